// kith::app — the composition root: the `kith` command line, `kith serve`
// (which wires configuration, database, routes and the HTTP server together
// and owns the process lifecycle), operational routes and systemd
// integration. Nothing else depends on it.
//
// This header: getting a usable, migrated database from the configuration,
// embedded or external, for `serve` and the other commands alike.
#pragma once

#include <memory>
#include <string>

#include "kith/core/config.hpp"
#include "kith/db/embedded_postgres.hpp"
#include "kith/db/migrations.hpp"

namespace kith::app {

struct Database {
  std::unique_ptr<db::EmbeddedPostgres> embedded;  // null with an external database_url
  std::string connection_string;
};

// Starts the embedded cluster when database_url is empty; otherwise just
// names the configured server. Throws std::runtime_error on failure.
Database open_database(const core::Config& config);

// Connects and applies missing migrations, retrying while the server is not
// reachable yet (for up to `wait_seconds`, e.g. at boot). Throws on a failed
// migration or when the server stays unreachable.
db::MigrationReport migrate(const std::string& connection_string, int wait_seconds);

}  // namespace kith::app
