// Hashtags, their history and tag follows (tags.hpp).
#include "kith/db/tags.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {

std::optional<TagRow> find_tag(pqxx::transaction_base& tx, const std::string& name) {
  const pqxx::result rows =
      tx.exec_params("SELECT id, name FROM tags WHERE name = lower($1)", name);
  if (rows.empty()) return std::nullopt;
  return TagRow{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>()};
}

TagRow ensure_tag(pqxx::transaction_base& tx, const std::string& name) {
  tx.exec_params("INSERT INTO tags (name) VALUES (lower($1)) ON CONFLICT (name) DO NOTHING", name);
  return *find_tag(tx, name);
}

std::map<std::int64_t, std::vector<TagDay>> tag_history(pqxx::transaction_base& tx,
                                                        const std::vector<std::int64_t>& tag_ids) {
  std::map<std::int64_t, std::vector<TagDay>> out;
  if (tag_ids.empty()) return out;
  // Status ids start with their creation time in milliseconds (<< 16,
  // kith_next_id), so each day is an id range on statuses_tags' primary
  // key (tag_id, status_id).
  for (const auto& row : tx.exec_params(
           "SELECT t.id, extract(epoch FROM d.day)::bigint,"
           " (SELECT count(*) FROM statuses_tags st JOIN statuses s ON s.id = st.status_id"
           "   WHERE st.tag_id = t.id"
           "   AND st.status_id >= (extract(epoch FROM d.day)::bigint * 1000) << 16"
           "   AND st.status_id < ((extract(epoch FROM d.day)::bigint + 86400) * 1000) << 16"
           "   AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL"
           "   AND s.visibility IN ('public', 'unlisted')),"
           " (SELECT count(DISTINCT s.account_id) FROM statuses_tags st"
           "   JOIN statuses s ON s.id = st.status_id WHERE st.tag_id = t.id"
           "   AND st.status_id >= (extract(epoch FROM d.day)::bigint * 1000) << 16"
           "   AND st.status_id < ((extract(epoch FROM d.day)::bigint + 86400) * 1000) << 16"
           "   AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL"
           "   AND s.visibility IN ('public', 'unlisted'))"
           " FROM unnest($1::bigint[]) AS t(id),"
           " generate_series(0, $2 - 1) AS n,"
           " LATERAL (SELECT date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC'"
           "   - n * interval '1 day' AS day) d"
           " ORDER BY t.id, d.day DESC",
           bigint_array_literal(tag_ids), kTagHistoryDays))
    out[row[0].as<std::int64_t>()].push_back(
        {row[1].as<std::int64_t>(), row[2].as<std::int64_t>(), row[3].as<std::int64_t>()});
  return out;
}

bool follows_tag(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t tag_id) {
  return !tx.exec_params("SELECT 1 FROM tag_follows WHERE account_id = $1 AND tag_id = $2",
                         account_id, tag_id)
              .empty();
}

void follow_tag(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t tag_id) {
  tx.exec_params(
      "INSERT INTO tag_follows (account_id, tag_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
      account_id, tag_id);
}

void unfollow_tag(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t tag_id) {
  tx.exec_params("DELETE FROM tag_follows WHERE account_id = $1 AND tag_id = $2", account_id,
                 tag_id);
}

std::int64_t count_followed_tags_locked(pqxx::transaction_base& tx, std::int64_t account_id) {
  tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", account_id);
  return tx.exec_params1("SELECT count(*) FROM tag_follows WHERE account_id = $1", account_id)[0]
      .as<std::int64_t>();
}

std::vector<FollowedTag> followed_tags_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                            const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  std::vector<FollowedTag> out;
  for (const auto& row : tx.exec_params(
           std::string("SELECT f.id, t.id, t.name FROM tag_follows f JOIN tags t ON t.id = f.tag_id"
                       " WHERE f.account_id = $1 AND f.id < $2 AND f.id > $3 ORDER BY f.id") +
               (upward ? " ASC" : " DESC") + " LIMIT $4",
           account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
           page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
           static_cast<std::int64_t>(page.limit)))
    out.push_back(
        {row[0].as<std::int64_t>(), TagRow{row[1].as<std::int64_t>(), row[2].as<std::string>()}});
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

}  // namespace kith::db
