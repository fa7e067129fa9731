// Applying schema migrations.
//
// The SQL files are compiled into the binary (see
// cmake/embed_migrations.cmake), so a daemon always knows exactly which
// schema it was built for. Each migration runs in its own transaction
// together with the row that records it in schema_migrations: either both
// happen or neither does, and a failed migration leaves the database at the
// previous version. A session-level advisory lock is held for the whole run,
// so daemons that start together against one database take turns; the
// second finds everything recorded and does nothing.
#include "kith/db/migrations.hpp"

#include <algorithm>
#include <set>
#include <stdexcept>

#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

// Fixed key for pg_advisory_lock: "kith" in ASCII, then "mig".
constexpr long long kMigrationLockKey = 0x6b697468'006d6967LL;

// Holds the advisory lock for as long as it lives. If the connection breaks
// the server releases the lock itself when the session ends.
class MigrationLock {
 public:
  explicit MigrationLock(pqxx::connection& connection) : connection_(connection) {
    pqxx::nontransaction txn(connection_);
    txn.exec_params("SELECT pg_advisory_lock($1)", kMigrationLockKey);
  }
  ~MigrationLock() {
    try {
      pqxx::nontransaction txn(connection_);
      txn.exec_params("SELECT pg_advisory_unlock($1)", kMigrationLockKey);
    } catch (const std::exception& e) {
      spdlog::warn("could not release the migration lock: {}", e.what());
    }
  }
  MigrationLock(const MigrationLock&) = delete;
  MigrationLock& operator=(const MigrationLock&) = delete;

 private:
  pqxx::connection& connection_;
};

std::vector<int> recorded_versions(pqxx::connection& connection) {
  pqxx::work txn(connection);
  txn.exec0(
      "CREATE TABLE IF NOT EXISTS schema_migrations ("
      " version integer PRIMARY KEY,"
      " name text NOT NULL,"
      " applied_at timestamptz NOT NULL DEFAULT now())");
  std::vector<int> versions;
  for (const auto& row : txn.exec("SELECT version FROM schema_migrations ORDER BY version")) {
    versions.push_back(row[0].as<int>());
  }
  txn.commit();
  return versions;
}

void apply_one(pqxx::connection& connection, const Migration& migration) {
  const std::string label = fmt::format("{:04}_{}", migration.version, migration.name);
  try {
    pqxx::work txn(connection);
    txn.exec(migration.sql, "migration " + label);
    txn.exec_params0("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)",
                     migration.version, migration.name);
    txn.commit();
  } catch (const pqxx::sql_error& e) {
    throw std::runtime_error(fmt::format("migration {} failed: {}", label, e.what()));
  }
  spdlog::info("applied migration {}", label);
}

}  // namespace

std::vector<int> plan_migrations(const std::vector<Migration>& migrations,
                                 const std::vector<int>& recorded) {
  for (std::size_t i = 1; i < migrations.size(); ++i) {
    if (migrations[i].version <= migrations[i - 1].version) {
      throw std::logic_error(fmt::format("migrations out of order: {} after {}",
                                         migrations[i].version, migrations[i - 1].version));
    }
  }
  const std::set<int> done(recorded.begin(), recorded.end());
  std::set<int> known;
  std::vector<int> missing;
  for (const auto& migration : migrations) {
    known.insert(migration.version);
    if (!done.contains(migration.version)) missing.push_back(migration.version);
  }
  for (const int version : done) {
    if (!known.contains(version)) {
      throw std::runtime_error(fmt::format(
          "the database has schema version {}, which this kith does not know (it knows up to "
          "{}): it was migrated by a newer kith",
          version, migrations.empty() ? 0 : migrations.back().version));
    }
  }
  return missing;
}

MigrationReport apply_migrations(pqxx::connection& connection,
                                 const std::vector<Migration>& migrations) {
  MigrationLock lock(connection);
  const std::vector<int> recorded = recorded_versions(connection);
  MigrationReport report;
  report.applied = plan_migrations(migrations, recorded);
  for (const int version : report.applied) {
    const auto it = std::find_if(migrations.begin(), migrations.end(),
                                 [version](const Migration& m) { return m.version == version; });
    apply_one(connection, *it);
  }
  report.current_version = recorded.empty() ? 0 : recorded.back();
  if (!report.applied.empty()) {
    report.current_version = std::max(report.current_version, report.applied.back());
  }
  return report;
}

}  // namespace kith::db
