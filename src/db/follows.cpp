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

void update_follow_options(pqxx::transaction_base& tx, std::int64_t follow_id,
                           const FollowOptions& options) {
  std::optional<std::string> languages;  // a PostgreSQL array literal
  if (options.languages) {
    std::string list;
    for (const std::string& code : *options.languages) list += (list.empty() ? "" : ",") + code;
    languages = "{" + list + "}";
  }
  tx.exec_params(
      "UPDATE follows SET show_reblogs = coalesce($2, show_reblogs), notify = coalesce($3, notify),"
      " languages = CASE WHEN $4::text[] IS NULL THEN languages"
      "   WHEN cardinality($4::text[]) = 0 THEN NULL ELSE $4::text[] END"
      " WHERE id = $1",
      follow_id, options.show_reblogs, options.notify, languages);
}

}  // namespace kith::db
