// List and hashtag timelines (feeds.hpp). Pages are id ranges on indexes,
// never OFFSET; visibility is client_views.cpp's kVisibleTo, and, as on home
// and public, nothing from an account the viewer muted or from a domain the
// viewer blocked (not_muted_sql()).
#include "kith/db/feeds.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"
#include "visibility_sql.hpp"

namespace kith::db {
namespace {

// " AND s.id < $2 AND s.id > $3 ORDER BY ... LIMIT $4", as client_views.cpp
// pages.
std::string page_clause(const PageRequest& page, bool& upward) {
  upward = page.min_id.has_value() && !page.max_id.has_value();
  return std::string(" AND s.id < $2 AND s.id > $3 ORDER BY s.id") + (upward ? " ASC" : " DESC") +
         " LIMIT $4";
}

template <class... Extra>
std::vector<std::int64_t> ids_page(pqxx::transaction_base& tx, const std::string& sql,
                                   std::int64_t viewer, const PageRequest& page, bool upward,
                                   const Extra&... extra) {
  std::vector<std::int64_t> ids;
  for (const auto& row :
       tx.exec_params(sql, viewer, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
                      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
                      static_cast<std::int64_t>(page.limit), extra...))
    ids.push_back(row[0].template as<std::int64_t>());
  if (upward) std::reverse(ids.begin(), ids.end());
  return ids;
}

// The tag names of text[] parameter `param`, lower-cased as tags.name is
// (PostgreSQL's lower(), which knows more than ASCII).
std::string lowered(const char* param) {
  return std::string("coalesce((SELECT array_agg(lower(n)) FROM unnest(") + param +
         "::text[]) n), '{}')";
}

}  // namespace

std::vector<std::int64_t> list_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                        std::int64_t list_id, const std::string& replies_policy,
                                        const PageRequest& page) {
  bool upward = false;
  const std::string sql =
      "SELECT s.id FROM statuses s WHERE s.account_id IN (SELECT la.account_id"
      "   FROM list_accounts la WHERE la.list_id = $5 AND (la.account_id = $1::bigint"
      "   OR EXISTS (SELECT 1 FROM follows f WHERE f.account_id = $1::bigint"
      "     AND f.target_account_id = la.account_id AND f.state = 'accepted')))"
      " AND (s.in_reply_to_account_id IS NULL OR s.in_reply_to_account_id = s.account_id"
      "   OR s.in_reply_to_account_id = $1::bigint"
      "   OR ($6 = 'followed' AND EXISTS (SELECT 1 FROM follows rf"
      "     WHERE rf.account_id = $1::bigint AND rf.target_account_id = s.in_reply_to_account_id"
      "     AND rf.state = 'accepted'))"
      "   OR ($6 = 'list' AND EXISTS (SELECT 1 FROM list_accounts rl WHERE rl.list_id = $5"
      "     AND rl.account_id = s.in_reply_to_account_id)))"
      " AND" +
      std::string(not_muted_sql()) + " AND" + visible_to_sql() + page_clause(page, upward);
  return ids_page(tx, sql, viewer, page, upward, list_id, replies_policy);
}

std::vector<std::int64_t> tag_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                       const TagQuery& query, const PageRequest& page) {
  bool upward = false;
  std::string sql =
      "SELECT s.id FROM statuses s WHERE s.reblog_of_id IS NULL"
      " AND (s.visibility = 'public' OR (s.visibility = 'local' AND $1::bigint <> 0))"
      " AND s.id IN (SELECT st.status_id FROM statuses_tags st JOIN tags t ON t.id = st.tag_id"
      "   WHERE t.name = ANY(" +
      lowered("$5") + "))";
  if (!query.all.empty())
    sql +=
        " AND (SELECT count(DISTINCT t.name) FROM statuses_tags st JOIN tags t"
        "   ON t.id = st.tag_id WHERE st.status_id = s.id AND t.name = ANY(" +
        lowered("$6") +
        "))"
        "   = cardinality($6::text[])";
  else
    sql += " AND cardinality($6::text[]) = 0";
  sql +=
      " AND NOT EXISTS (SELECT 1 FROM statuses_tags st JOIN tags t ON t.id = st.tag_id"
      "   WHERE st.status_id = s.id AND t.name = ANY(" +
      lowered("$7") + "))";
  if (query.origin == Origin::local) sql += " AND s.local";
  if (query.origin == Origin::remote) sql += " AND NOT s.local";
  if (query.only_media)
    sql += " AND EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id)";
  sql +=
      std::string(" AND") + not_muted_sql() + " AND" + visible_to_sql() + page_clause(page, upward);
  // Distinct names: cardinality() of `all` must count each tag once.
  std::vector<std::string> all = query.all;
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  return ids_page(tx, sql, viewer, page, upward, text_array_literal(query.any),
                  text_array_literal(all), text_array_literal(query.none));
}

}  // namespace kith::db
