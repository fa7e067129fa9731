// Schema migrations: numbered SQL files from migrations/, compiled into the
// binary, applied in order, each in its own transaction, and recorded in the
// table schema_migrations. Applying is idempotent (what is recorded is
// skipped) and safe with several daemons starting at once (an advisory lock
// serialises them).
#pragma once

#include <string>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

struct Migration {
  int version;
  std::string name;
  std::string sql;
};

// The migrations compiled into this binary, in version order.
const std::vector<Migration>& embedded_migrations();

struct MigrationReport {
  std::vector<int> applied;  // versions applied by this call
  int current_version = 0;   // highest recorded version afterwards
};

// The versions among `migrations` that `recorded` lacks, in order. Throws
// std::logic_error if `migrations` is not in strictly increasing version
// order, and std::runtime_error if `recorded` holds a version that
// `migrations` does not (the database was migrated by a newer kith).
std::vector<int> plan_migrations(const std::vector<Migration>& migrations,
                                 const std::vector<int>& recorded);

// Applies what is missing. Throws if a migration fails (its transaction is
// rolled back) or if the database records a version this binary does not
// know (it was migrated by a newer kith).
MigrationReport apply_migrations(pqxx::connection& connection,
                                 const std::vector<Migration>& migrations);

}  // namespace kith::db
