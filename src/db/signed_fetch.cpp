// Signed-fetch lookups (signed_fetch.hpp).
#include "kith/db/signed_fetch.hpp"

#include <pqxx/pqxx>

namespace kith::db {

bool accepted_follower(pqxx::connection& connection, std::int64_t follower_id,
                       std::int64_t account_id) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      "SELECT 1 FROM follows WHERE account_id = $1 AND target_account_id = $2"
      " AND state = 'accepted'",
      follower_id, account_id);
  return !rows.empty();
}

}  // namespace kith::db
