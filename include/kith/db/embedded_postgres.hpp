// The embedded PostgreSQL: when no database_url is configured, kith runs its
// own private cluster under <data_dir>/postgres, so that `kith serve` works
// on a fresh machine with nothing set up.
//
// initdb runs on first start; the server listens only on a unix socket in a
// private directory (no TCP port) and is tuned for a small footprint, since
// its memory is part of what kith costs an operator. When kith runs as root
// the cluster runs as an unprivileged user (the owner of an existing
// cluster; for a new one `postgres`, else `nobody`), because PostgreSQL
// refuses to run as root. kith stops the
// cluster when it stops, unless the cluster was already running when kith
// came up (another kith command started it), in which case it is left as is.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>
#include <utility>

namespace kith::db {

struct EmbeddedPostgresOptions {
  std::filesystem::path data_dir;  // kith's data_dir; the cluster lives below it
  std::string shared_buffers = "16MB";
  unsigned max_connections = 10;  // kith's pool plus a few for the CLI
  std::string bin_dir;  // empty: /usr/lib/postgresql/<the cluster's major>/bin, else the newest
};

class EmbeddedPostgres {
 public:
  // Initialises (if needed) and starts the cluster, waits until it accepts
  // connections and creates the `kith` database. Throws std::runtime_error
  // with PostgreSQL's own message (and the log file's path) on failure.
  explicit EmbeddedPostgres(EmbeddedPostgresOptions options);
  ~EmbeddedPostgres();  // stops the cluster if this object started it
  EmbeddedPostgres(const EmbeddedPostgres&) = delete;
  EmbeddedPostgres& operator=(const EmbeddedPostgres&) = delete;

  // libpq connection string for the `kith` database over the unix socket.
  const std::string& connection_string() const { return connection_string_; }
  // Stops the cluster now (fast shutdown) if this object started it.
  void stop();

 private:
  EmbeddedPostgresOptions options_;
  std::string connection_string_;
  std::filesystem::path bin_dir_;
  std::filesystem::path data_path_;
  std::optional<std::pair<uid_t, gid_t>> run_as_;  // set when kith runs as root
  bool started_here_ = false;
};

}  // namespace kith::db
