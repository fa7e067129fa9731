// Opening the database for any command: embedded or external, then
// migrated. At boot an external PostgreSQL may come up after kith, so the
// first connection is retried for a while before giving up.
#include "kith/app/database.hpp"

#include <spdlog/spdlog.h>

#include <pqxx/pqxx>
#include <thread>

namespace kith::app {

Database open_database(const core::Config& config) {
  Database database;
  if (!config.database_url.empty()) {
    database.connection_string = config.database_url;
    return database;
  }
  db::EmbeddedPostgresOptions options;
  options.data_dir = config.data_dir;
  options.shared_buffers = config.embedded_postgres.shared_buffers;
  options.max_connections = config.database.pool_size + 6;  // the pool, the CLI, a psql
  options.bin_dir = config.embedded_postgres.bin_dir;
  database.embedded = std::make_unique<db::EmbeddedPostgres>(options);
  database.connection_string = database.embedded->connection_string();
  return database;
}

db::MigrationReport migrate(const std::string& connection_string, int wait_seconds) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(wait_seconds);
  auto delay = std::chrono::milliseconds(200);
  while (true) {
    std::unique_ptr<pqxx::connection> connection;
    try {
      connection = std::make_unique<pqxx::connection>(connection_string);
    } catch (const pqxx::broken_connection& e) {
      if (std::chrono::steady_clock::now() + delay > deadline)
        throw std::runtime_error(std::string("cannot connect to the database: ") + e.what());
      spdlog::warn("database not reachable yet, retrying in {} ms", delay.count());
      std::this_thread::sleep_for(delay);
      delay = std::min(delay * 2, std::chrono::milliseconds(5'000));
      continue;
    }
    return db::apply_migrations(*connection, db::embedded_migrations());
  }
}

}  // namespace kith::app
