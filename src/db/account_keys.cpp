// Private keys of local accounts, for signing outgoing requests.
#include "kith/db/account_keys.hpp"

#include <pqxx/pqxx>

namespace kith::db {

std::map<std::int64_t, std::string> local_private_keys(
    pqxx::connection& connection, const std::vector<std::int64_t>& account_ids) {
  std::map<std::int64_t, std::string> keys;
  if (account_ids.empty()) return keys;
  std::string ids = "{";
  for (auto id : account_ids) {
    if (ids.size() > 1) ids += ',';
    ids += std::to_string(id);
  }
  ids += '}';
  pqxx::work tx(connection);
  for (const auto& row : tx.exec_params(
           "SELECT account_id, private_key_pem FROM users WHERE account_id = ANY($1::bigint[])",
           ids)) {
    keys.emplace(row[0].as<std::int64_t>(), row[1].as<std::string>());
  }
  tx.commit();
  return keys;
}

}  // namespace kith::db
