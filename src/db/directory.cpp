// The profile directory, known peers and weekly activity (directory.hpp).
#include "kith/db/directory.hpp"

#include <pqxx/pqxx>

namespace kith::db {

std::vector<std::int64_t> directory_page(pqxx::transaction_base& tx, bool local_only,
                                         bool by_newest, std::size_t offset, std::size_t limit) {
  std::string sql = "SELECT a.id FROM accounts a WHERE a.discoverable AND a.suspended_at IS NULL";
  if (local_only) sql += " AND a.domain IS NULL";
  // "active": by the newest status anyone may see, so that the order does not
  // tell when someone last wrote a private or direct status.
  sql += by_newest ? " ORDER BY a.id DESC"
                   : " ORDER BY (SELECT max(s.id) FROM statuses s WHERE s.account_id = a.id"
                     " AND s.visibility IN ('public', 'unlisted')"
                     " AND s.deleted_at IS NULL) DESC NULLS LAST, a.id DESC";
  sql += " OFFSET $1 LIMIT $2";
  std::vector<std::int64_t> ids;
  for (const auto& row :
       tx.exec_params(sql, static_cast<std::int64_t>(offset), static_cast<std::int64_t>(limit)))
    ids.push_back(row[0].as<std::int64_t>());
  return ids;
}

std::vector<std::string> known_domains(pqxx::transaction_base& tx, std::size_t most) {
  std::vector<std::string> out;
  for (const auto& row : tx.exec_params(
           "SELECT DISTINCT domain FROM accounts WHERE domain IS NOT NULL ORDER BY domain LIMIT $1",
           static_cast<std::int64_t>(most)))
    out.push_back(row[0].as<std::string>());
  return out;
}

std::vector<WeekActivity> weekly_activity(pqxx::transaction_base& tx, int weeks) {
  std::vector<WeekActivity> out;
  for (const auto& row : tx.exec_params(
           "SELECT extract(epoch FROM w.start)::bigint,"
           " (SELECT count(*) FROM statuses s WHERE s.local AND s.reblog_of_id IS NULL"
           "   AND s.id >= (extract(epoch FROM w.start)::bigint * 1000) << 16"
           "   AND s.id < ((extract(epoch FROM w.start)::bigint + 604800) * 1000) << 16),"
           " (SELECT count(DISTINCT t.user_id) FROM oauth_access_tokens t"
           "   WHERE t.last_used_at >= w.start AND t.last_used_at < w.start + interval '7 days'),"
           " (SELECT count(*) FROM users u"
           "   WHERE u.created_at >= w.start AND u.created_at < w.start + interval '7 days')"
           " FROM generate_series(0, $1 - 1) AS n, LATERAL (SELECT"
           "   date_trunc('week', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
           "   - n * interval '7 days' AS start) w"
           " ORDER BY w.start DESC",
           weeks))
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                   row[3].as<std::int64_t>()});
  return out;
}

std::string instance_created_at(pqxx::transaction_base& tx) {
  const pqxx::result rows = tx.exec(
      "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
      " FROM instance_actor");
  if (rows.empty()) return "1970-01-01T00:00:00.000Z";
  return rows[0][0].as<std::string>();
}

}  // namespace kith::db
