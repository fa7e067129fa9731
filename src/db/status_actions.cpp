// Bookmarks, pins, muted threads, earlier versions and the status lists of
// the client API (status_actions.hpp). Pages are id ranges on indexes,
// never OFFSET.
#include "kith/db/status_actions.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "kith/db/notifications.hpp"
#include "sql_arrays.hpp"

namespace kith::db {
namespace {

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

// Ancestors-or-self of the statuses in parameter `ids` (bigint[]), each
// tagged with the status it started from: `up(start, id, parent, depth)`,
// at most parameter `depth` steps up.
std::string ancestors_or_self(const char* ids, const char* depth) {
  return std::string(
             "WITH RECURSIVE up(start, id, parent, depth) AS ("
             "  SELECT id, id, in_reply_to_id, 0 FROM statuses WHERE id = ANY(") +
         ids +
         "::bigint[])"
         "  UNION ALL SELECT up.start, s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s"
         "  JOIN up ON s.id = up.parent WHERE up.depth < " +
         depth + ") ";
}

// `sql` selects (cursor, id) rows of one owner ($1) and ends with its
// condition; the page's range, order and limit are added here ($2..$4).
std::vector<ListEntry> list_page(pqxx::transaction_base& tx, const std::string& sql,
                                 const std::string& cursor, std::int64_t owner,
                                 const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  std::vector<ListEntry> out;
  for (const auto& row :
       tx.exec_params(sql + " AND " + cursor + " < $2 AND " + cursor + " > $3 ORDER BY " + cursor +
                          (upward ? " ASC" : " DESC") + " LIMIT $4",
                      owner, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
                      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
                      static_cast<std::int64_t>(page.limit)))
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

std::vector<std::int64_t> parse_id_list(const std::string& text) {
  std::vector<std::int64_t> ids;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(',', start);
    if (end == std::string::npos) end = text.size();
    ids.push_back(std::stoll(text.substr(start, end - start)));
    start = end + 1;
  }
  return ids;
}

}  // namespace

bool insert_bookmark(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  return !tx.exec_params(
                "INSERT INTO bookmarks (account_id, status_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING id",
                account_id, status_id)
              .empty();
}

bool delete_bookmark(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  return !tx.exec_params(
                "DELETE FROM bookmarks WHERE account_id = $1 AND status_id = $2 RETURNING id",
                account_id, status_id)
              .empty();
}

std::size_t count_pins(pqxx::transaction_base& tx, std::int64_t account_id) {
  return tx.exec_params1("SELECT count(*) FROM status_pins WHERE account_id = $1", account_id)[0]
      .as<std::size_t>();
}

bool insert_pin(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  return !tx.exec_params(
                "INSERT INTO status_pins (account_id, status_id) VALUES ($1, $2)"
                " ON CONFLICT DO NOTHING RETURNING id",
                account_id, status_id)
              .empty();
}

bool delete_pin(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  return !tx.exec_params(
                "DELETE FROM status_pins WHERE account_id = $1 AND status_id = $2 RETURNING id",
                account_id, status_id)
              .empty();
}

std::set<std::int64_t> in_muted_threads(pqxx::transaction_base& tx, std::int64_t account_id,
                                        const std::vector<std::int64_t>& status_ids) {
  std::set<std::int64_t> out;
  if (status_ids.empty() || account_id == 0) return out;
  // Most accounts mute no thread: one index probe instead of the walk.
  if (!tx.exec_params1("SELECT EXISTS (SELECT 1 FROM thread_mutes WHERE account_id = $1)",
                       account_id)[0]
           .as<bool>())
    return out;
  for (const auto& row :
       tx.exec_params(ancestors_or_self("$2", "$3") +
                          "SELECT root.start FROM (SELECT DISTINCT ON (start) start, id FROM up"
                          "   ORDER BY start, depth DESC) root JOIN thread_mutes tm"
                          " ON tm.root_status_id = root.id AND tm.account_id = $1",
                      account_id, bigint_array_literal(status_ids),
                      static_cast<std::int64_t>(kMaxThreadDepth)))
    out.insert(row[0].as<std::int64_t>());
  return out;
}

std::vector<StatusEditRecord> status_edits(pqxx::transaction_base& tx, std::int64_t status_id) {
  std::vector<StatusEditRecord> out;
  for (const auto& row : tx.exec_params(
           "SELECT content, spoiler_text, sensitive, array_to_string(media_ids, ','),"
           " CASE WHEN jsonb_typeof(poll_options) = 'array' THEN poll_options::text END, " +
               iso_time("created_at") +
               " FROM (SELECT * FROM status_edits WHERE status_id = $1 ORDER BY id DESC"
               " LIMIT $2) newest ORDER BY id",
           status_id, static_cast<std::int64_t>(kMaxStatusEditsShown))) {
    StatusEditRecord edit;
    edit.content = row[0].as<std::string>();
    edit.spoiler_text = row[1].as<std::string>();
    edit.sensitive = row[2].as<bool>();
    edit.media_ids = parse_id_list(row[3].as<std::string>());
    edit.created_at = row[5].as<std::string>();
    if (!row[4].is_null()) {
      edit.poll_options.emplace();
      for (const auto& title :
           tx.exec_params("SELECT coalesce(t #>> '{}', '') FROM jsonb_array_elements($1::jsonb) t",
                          row[4].as<std::string>()))
        edit.poll_options->push_back(title[0].as<std::string>());
    }
    out.push_back(std::move(edit));
  }
  return out;
}

void save_status_version(pqxx::transaction_base& tx, std::int64_t status_id) {
  tx.exec_params(
      "INSERT INTO status_edits (status_id, account_id, content, spoiler_text, sensitive,"
      " media_ids, poll_options, created_at)"
      " SELECT s.id, s.account_id, s.content, s.spoiler_text, s.sensitive,"
      " coalesce((SELECT array_agg(m.id ORDER BY m.position, m.id) FROM media_attachments m"
      "   WHERE m.status_id = s.id), '{}'),"
      " (SELECT jsonb_agg(coalesce(o.option->>'title', '') ORDER BY o.n) FROM polls p,"
      "   jsonb_array_elements(CASE WHEN jsonb_typeof(p.options) = 'array' THEN p.options"
      "   ELSE '[]'::jsonb END) WITH ORDINALITY AS o(option, n) WHERE p.status_id = s.id),"
      " coalesce(s.edited_at, s.created_at)"
      " FROM statuses s WHERE s.id = $1",
      status_id);
}

std::vector<ListEntry> favourited_by_page(pqxx::transaction_base& tx, std::int64_t status_id,
                                          const PageRequest& page) {
  return list_page(tx, "SELECT f.id, f.account_id FROM favourites f WHERE f.status_id = $1", "f.id",
                   status_id, page);
}

std::vector<ListEntry> reblogged_by_page(pqxx::transaction_base& tx, std::int64_t status_id,
                                         const PageRequest& page) {
  return list_page(tx,
                   "SELECT r.id, r.account_id FROM statuses r WHERE r.reblog_of_id = $1"
                   " AND r.deleted_at IS NULL AND r.visibility IN ('public', 'unlisted')",
                   "r.id", status_id, page);
}

std::vector<ListEntry> bookmarks_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                      const PageRequest& page) {
  return list_page(tx, "SELECT b.id, b.status_id FROM bookmarks b WHERE b.account_id = $1", "b.id",
                   account_id, page);
}

std::vector<ListEntry> favourites_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                       const PageRequest& page) {
  return list_page(tx, "SELECT f.id, f.status_id FROM favourites f WHERE f.account_id = $1", "f.id",
                   account_id, page);
}

}  // namespace kith::db
