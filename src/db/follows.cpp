// Followers and following, a page at a time (follows.hpp). Follow ids grow
// with time, so they are the paging cursor.
#include "kith/db/follows.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

// `mine` is the follows column holding the account whose collection this is;
// `theirs` the column of the other account, whose actor id is listed.
std::vector<FollowEntry> list_follows(pqxx::connection& connection, const char* mine,
                                      const char* theirs, std::int64_t account_id,
                                      const PageRequest& page) {
  pqxx::read_transaction txn(connection);
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  const pqxx::result rows = txn.exec_params(
      std::string("SELECT f.id, a.uri FROM follows f JOIN accounts a ON a.id = f.") + theirs +
          " WHERE f." + mine +
          " = $1 AND f.state = 'accepted' AND f.id < $2 AND f.id > $3"
          " ORDER BY f.id " +
          (upward ? "ASC" : "DESC") + " LIMIT $4",
      account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
      static_cast<std::int64_t>(page.limit));
  std::vector<FollowEntry> entries;
  entries.reserve(rows.size());
  for (const auto& row : rows)
    entries.push_back({row[0].as<std::int64_t>(), row[1].as<std::string>()});
  if (upward) std::reverse(entries.begin(), entries.end());
  return entries;
}

std::int64_t count_follows(pqxx::connection& connection, const char* mine,
                           std::int64_t account_id) {
  pqxx::read_transaction txn(connection);
  return txn
      .exec_params1(std::string("SELECT count(*) FROM follows WHERE ") + mine +
                        " = $1 AND state = 'accepted'",
                    account_id)[0]
      .as<std::int64_t>();
}

}  // namespace

std::vector<FollowEntry> list_followers(pqxx::connection& connection, std::int64_t account_id,
                                        const PageRequest& page) {
  return list_follows(connection, "target_account_id", "account_id", account_id, page);
}

std::int64_t count_followers(pqxx::connection& connection, std::int64_t account_id) {
  return count_follows(connection, "target_account_id", account_id);
}

std::vector<FollowEntry> list_following(pqxx::connection& connection, std::int64_t account_id,
                                        const PageRequest& page) {
  return list_follows(connection, "account_id", "target_account_id", account_id, page);
}

std::int64_t count_following(pqxx::connection& connection, std::int64_t account_id) {
  return count_follows(connection, "account_id", account_id);
}

}  // namespace kith::db
