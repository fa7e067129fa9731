// The audience of a status for the streaming hub (stream_audience.hpp).
#include "kith/db/stream_audience.hpp"

#include <pqxx/pqxx>

#include "sql_arrays.hpp"
#include "visibility_sql.hpp"

namespace kith::db {
namespace {

// db::home_timeline's own rules (visibility_sql.hpp), for the viewer v.id.
const std::string& home_only_for_viewer() {
  static const std::string sql = [] {
    std::string text = home_only_sql();
    const std::string parameter = "$1::bigint";
    for (auto at = text.find(parameter); at != std::string::npos; at = text.find(parameter, at))
      text.replace(at, parameter.size(), "v.id");
    return text;
  }();
  return sql;
}

std::vector<std::string> split(const std::string& text, char separator) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  while (start < text.size()) {
    auto end = text.find(separator, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) parts.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return parts;
}

// stream_viewers' query: the home fact up to db::home_timeline's own
// rules (home_only_for_viewer() comes between), then the other facts.
const char* const kViewerFactsHead =
    "SELECT v.id,"
    // home: as db::home_timeline (with its exclusive lists, muted mentions
    // and follow options), plus followed hashtags
    " ((v.id = s.account_id"
    "  OR EXISTS (SELECT 1 FROM follows f WHERE f.account_id = v.id"
    "     AND f.target_account_id = s.account_id AND f.state = 'accepted'"
    "     AND (s.reblog_of_id IS NULL OR f.show_reblogs))"
    "  OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = v.id)"
    "  OR (s.visibility IN ('public', 'local') AND s.reblog_of_id IS NULL"
    "     AND EXISTS (SELECT 1 FROM tag_follows tf JOIN statuses_tags st ON st.tag_id = tf.tag_id"
    "       WHERE tf.account_id = v.id AND st.status_id = s.id))) AND";
const char* const kViewerFactsTail =
    "),"
    // direct
    " (s.visibility = 'direct' AND (v.id = s.account_id OR EXISTS (SELECT 1 FROM mentions m"
    "     WHERE m.status_id = s.id AND m.account_id = v.id))),"
    // muted (never one's own status)
    " (v.id <> s.account_id AND (EXISTS (SELECT 1 FROM mutes mu WHERE mu.account_id = v.id"
    "     AND mu.target_account_id IN (s.account_id, coalesce(r.account_id, 0))"
    "     AND (mu.expires_at IS NULL OR mu.expires_at > now()))"
    "   OR EXISTS (SELECT 1 FROM account_domain_blocks d WHERE d.account_id = v.id"
    "     AND d.domain IN (a.domain, ra.domain)))),"
    // could see it, deletion aside (kVisibleTo's audience)
    " (s.visibility IN ('public', 'unlisted', 'local') OR v.id = s.account_id"
    "  OR (s.visibility = 'private' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = v.id"
    "     AND f.target_account_id = s.account_id AND f.state = 'accepted'))"
    "  OR EXISTS (SELECT 1 FROM mentions m WHERE m.status_id = s.id AND m.account_id = v.id)),"
    // lists (not for direct statuses)
    " CASE WHEN s.visibility = 'direct' THEN '' ELSE coalesce((SELECT string_agg(l.id::text, ',')"
    "   FROM lists l JOIN list_accounts la ON la.list_id = l.id"
    "   WHERE l.account_id = v.id AND la.account_id = s.account_id), '') END"
    " FROM unnest($2::bigint[]) AS v(id)"
    " JOIN statuses s ON s.id = $1"
    " JOIN accounts a ON a.id = s.account_id"
    " LEFT JOIN statuses r ON r.id = s.reblog_of_id"
    " LEFT JOIN accounts ra ON ra.id = r.account_id";

}  // namespace

std::optional<StreamedStatus> streamed_status(pqxx::transaction_base& tx, std::int64_t id) {
  auto rows = tx.exec_params(
      "SELECT s.id, s.account_id, s.visibility, s.local, s.reblog_of_id IS NOT NULL,"
      " (s.in_reply_to_account_id IS NOT NULL AND s.in_reply_to_account_id <> s.account_id)"
      "   OR (s.in_reply_to_id IS NULL AND s.in_reply_to_uri IS NOT NULL),"
      " EXISTS (SELECT 1 FROM media_attachments ma WHERE ma.status_id = s.id),"
      " s.deleted_at IS NOT NULL,"
      " coalesce((SELECT string_agg(t.name, E'\\n') FROM statuses_tags st"
      "   JOIN tags t ON t.id = st.tag_id WHERE st.status_id = s.id), '')"
      " FROM statuses s WHERE s.id = $1",
      id);
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  StreamedStatus status;
  status.id = row[0].as<std::int64_t>();
  status.account_id = row[1].as<std::int64_t>();
  status.visibility = row[2].as<std::string>();
  status.local = row[3].as<bool>();
  status.reblog = row[4].as<bool>();
  status.reply_to_other = row[5].as<bool>();
  status.has_media = row[6].as<bool>();
  status.deleted = row[7].as<bool>();
  status.tags = split(row[8].as<std::string>(), '\n');
  return status;
}

std::map<std::int64_t, StreamViewer> stream_viewers(pqxx::transaction_base& tx,
                                                    std::int64_t status_id,
                                                    const std::vector<std::int64_t>& viewers) {
  std::map<std::int64_t, StreamViewer> result;
  if (viewers.empty()) return result;
  auto rows =
      tx.exec_params(std::string(kViewerFactsHead) + home_only_for_viewer() + kViewerFactsTail,
                     status_id, bigint_array_literal(viewers));
  for (const auto& row : rows) {
    StreamViewer viewer;
    viewer.home = row[1].as<bool>();
    viewer.direct = row[2].as<bool>();
    viewer.muted = row[3].as<bool>();
    viewer.could_see = row[4].as<bool>();
    for (const std::string& id : split(row[5].as<std::string>(), ','))
      viewer.lists.push_back(std::stoll(id));
    result[row[0].as<std::int64_t>()] = std::move(viewer);
  }
  return result;
}

std::vector<std::int64_t> deleted_status_audience(pqxx::transaction_base& tx,
                                                  std::int64_t author_id,
                                                  const std::string& visibility,
                                                  const std::vector<std::int64_t>& mentioned,
                                                  const std::vector<std::int64_t>& viewers) {
  if (visibility == "public" || visibility == "unlisted" || visibility == "local") return viewers;
  std::vector<std::int64_t> audience;
  if (viewers.empty()) return audience;
  for (const auto& row : tx.exec_params(
           "SELECT v.id FROM unnest($1::bigint[]) AS v(id)"
           " WHERE v.id = $2 OR v.id = ANY($3::bigint[])"
           "   OR ($4 = 'private' AND EXISTS (SELECT 1 FROM follows f WHERE f.account_id = v.id"
           "       AND f.target_account_id = $2 AND f.state = 'accepted'))",
           bigint_array_literal(viewers), author_id, bigint_array_literal(mentioned), visibility))
    audience.push_back(row[0].as<std::int64_t>());
  return audience;
}

bool list_belongs_to(pqxx::transaction_base& tx, std::int64_t list_id, std::int64_t account_id) {
  return !tx.exec_params("SELECT 1 FROM lists WHERE id = $1 AND account_id = $2", list_id,
                         account_id)
              .empty();
}

}  // namespace kith::db
