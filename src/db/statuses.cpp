// Statuses for presentation (statuses.hpp). Ids grow with time, so pages
// are ranges of ids on statuses_account_id_idx (account_id, id DESC).
#include "kith/db/statuses.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

// The columns StatusRecord is read from; `s` is the status, `a` its author,
// `p` its parent (LEFT JOIN: the parent may be unknown or gone).
const std::string& status_columns() {
  static const std::string columns =
      "s.id, s.account_id, s.uri, coalesce(s.url, ''), s.visibility, s.content,"
      " s.spoiler_text, s.sensitive, coalesce(s.language, ''),"
      " coalesce(p.uri, s.in_reply_to_uri, ''), " +
      iso_time("s.created_at") + ", coalesce(" + iso_time("s.edited_at") +
      ", ''), a.uri, a.followers_url";
  return columns;
}

const char* const kStatusJoins =
    " FROM statuses s JOIN accounts a ON a.id = s.account_id"
    " LEFT JOIN statuses p ON p.id = s.in_reply_to_id";

// What every federated read excludes: remote, deleted, and boosts (a boost
// has no object of its own; Announce comes with the boost work).
const char* const kOriginalLocal = " s.local AND s.deleted_at IS NULL AND s.reblog_of_id IS NULL";

StatusRecord to_status(const pqxx::row& row) {
  StatusRecord status;
  status.id = row[0].as<std::int64_t>();
  status.account_id = row[1].as<std::int64_t>();
  status.uri = row[2].as<std::string>();
  status.url = row[3].as<std::string>();
  // The CHECK constraint allows only the five names.
  status.visibility = parse_visibility(row[4].as<std::string>()).value_or(Visibility::direct);
  status.content = row[5].as<std::string>();
  status.spoiler_text = row[6].as<std::string>();
  status.sensitive = row[7].as<bool>();
  status.language = row[8].as<std::string>();
  status.in_reply_to_uri = row[9].as<std::string>();
  status.created_at = row[10].as<std::string>();
  status.edited_at = row[11].as<std::string>();
  status.account_uri = row[12].as<std::string>();
  status.account_followers_url = row[13].as<std::string>();
  return status;
}

// Mentions and hashtags of the statuses, which the Note's tags and a direct
// status's addressing are made of.
void load_tags(pqxx::transaction_base& txn, std::vector<StatusRecord>& statuses) {
  if (statuses.empty()) return;
  std::string ids = "{";
  for (const StatusRecord& status : statuses) {
    if (ids.size() > 1) ids += ',';
    ids += std::to_string(status.id);
  }
  ids += '}';
  std::map<std::int64_t, StatusRecord*> by_id;
  for (StatusRecord& status : statuses) by_id[status.id] = &status;
  for (const auto& row :
       txn.exec_params("SELECT m.status_id, a.uri, a.username, coalesce(a.domain, ''), m.silent"
                       " FROM mentions m JOIN accounts a ON a.id = m.account_id"
                       " WHERE m.status_id = ANY($1::bigint[]) ORDER BY m.status_id, m.id",
                       ids)) {
    StatusRecord& status = *by_id.at(row[0].as<std::int64_t>());
    if (status.mentions.size() >= kMaxStatusMentions) continue;
    status.mentions.push_back({row[1].as<std::string>(), row[2].as<std::string>(),
                               row[3].as<std::string>(), row[4].as<bool>()});
  }
  for (const auto& row : txn.exec_params(
           "SELECT st.status_id, t.name FROM statuses_tags st JOIN tags t ON t.id = st.tag_id"
           " WHERE st.status_id = ANY($1::bigint[]) ORDER BY st.status_id, t.name",
           ids)) {
    StatusRecord& status = *by_id.at(row[0].as<std::int64_t>());
    if (status.tags.size() >= kMaxStatusTags) continue;
    status.tags.push_back(row[1].as<std::string>());
  }
  for (const auto& row :
       txn.exec_params("SELECT status_id, file_path, coalesce(media_type, ''), description,"
                       " coalesce(blurhash, ''), meta::text FROM media_attachments"
                       " WHERE status_id = ANY($1::bigint[]) AND file_path IS NOT NULL"
                       " ORDER BY status_id, position, id",
                       ids)) {
    StatusRecord& status = *by_id.at(row[0].as<std::int64_t>());
    if (status.attachments.size() >= kMaxStatusAttachments) continue;
    status.attachments.push_back({row[1].as<std::string>(), row[2].as<std::string>(),
                                  row[3].as<std::string>(), row[4].as<std::string>(),
                                  row[5].as<std::string>()});
  }
  for (const auto& row :
       txn.exec_params("SELECT status_id, multiple, options::text, coalesce(" +
                           iso_time("expires_at") + ", ''), coalesce(" +
                           iso_time("coalesce(closed_at, CASE WHEN expires_at <= now()"
                                    " THEN expires_at END)") +
                           ", ''), coalesce(voters_count, 0)"
                           " FROM polls WHERE status_id = ANY($1::bigint[])",
                       ids)) {
    StatusPoll poll;
    poll.multiple = row[1].as<bool>();
    poll.end_time = row[3].as<std::string>();
    poll.closed = row[4].as<std::string>();
    poll.voters_count = row[5].as<std::int64_t>();
    const nlohmann::json options = nlohmann::json::parse(row[2].as<std::string>(), nullptr, false);
    if (options.is_array())
      for (const auto& option : options)
        if (option.is_object() && option.contains("title") && option["title"].is_string())
          poll.options.push_back({option["title"].get<std::string>(),
                                  option.contains("votes") && option["votes"].is_number_integer()
                                      ? option["votes"].get<std::int64_t>()
                                      : 0});
    by_id.at(row[0].as<std::int64_t>())->poll = std::move(poll);
  }
}

// "s.visibility IN ('public', 'unlisted')": built from the enumeration, never
// from input. An empty set matches nothing.
std::string visibility_condition(std::span<const Visibility> visibilities) {
  if (visibilities.empty()) return " false";
  std::string sql = " s.visibility IN (";
  for (std::size_t i = 0; i < visibilities.size(); ++i) {
    if (i > 0) sql += ", ";
    sql += "'";
    sql += visibility_name(visibilities[i]);
    sql += "'";
  }
  return sql + ")";
}

}  // namespace

std::string_view visibility_name(Visibility visibility) {
  switch (visibility) {
    case Visibility::public_:
      return "public";
    case Visibility::unlisted:
      return "unlisted";
    case Visibility::private_:
      return "private";
    case Visibility::direct:
      return "direct";
    case Visibility::local:
      return "local";
  }
  return "direct";
}

std::optional<Visibility> parse_visibility(std::string_view name) {
  for (Visibility v : {Visibility::public_, Visibility::unlisted, Visibility::private_,
                       Visibility::direct, Visibility::local})
    if (visibility_name(v) == name) return v;
  return std::nullopt;
}

std::optional<StatusRecord> find_local_status(pqxx::connection& connection, std::int64_t account_id,
                                              std::int64_t status_id) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows =
      txn.exec_params("SELECT " + status_columns() + kStatusJoins +
                          " WHERE s.id = $1 AND s.account_id = $2 AND" + kOriginalLocal,
                      status_id, account_id);
  if (rows.empty()) return std::nullopt;
  std::vector<StatusRecord> found{to_status(rows[0])};
  load_tags(txn, found);
  return std::move(found.front());
}

std::optional<StatusRecord> find_local_status(pqxx::transaction_base& txn, std::int64_t status_id) {
  const pqxx::result rows = txn.exec_params(
      "SELECT " + status_columns() + kStatusJoins + " WHERE s.id = $1 AND" + kOriginalLocal,
      status_id);
  if (rows.empty()) return std::nullopt;
  std::vector<StatusRecord> found{to_status(rows[0])};
  load_tags(txn, found);
  return std::move(found.front());
}

std::vector<StatusRecord> list_account_statuses(pqxx::connection& connection,
                                                std::int64_t account_id,
                                                std::span<const Visibility> visibilities,
                                                const PageRequest& page) {
  pqxx::read_transaction txn(connection);
  // With min_id the rows just above it are wanted: ascending, then reversed.
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  const pqxx::result rows = txn.exec_params(
      "SELECT " + status_columns() + kStatusJoins + " WHERE s.account_id = $1 AND" +
          kOriginalLocal + " AND" + visibility_condition(visibilities) +
          " AND s.id < $2 AND s.id > $3 ORDER BY s.id " + (upward ? "ASC" : "DESC") + " LIMIT $4",
      account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
      static_cast<std::int64_t>(page.limit));
  std::vector<StatusRecord> statuses;
  statuses.reserve(rows.size());
  for (const auto& row : rows) statuses.push_back(to_status(row));
  if (upward) std::reverse(statuses.begin(), statuses.end());
  load_tags(txn, statuses);
  return statuses;
}

std::int64_t count_account_statuses(pqxx::connection& connection, std::int64_t account_id,
                                    std::span<const Visibility> visibilities) {
  pqxx::read_transaction txn(connection);
  return txn
      .exec_params1("SELECT count(*) FROM statuses s WHERE s.account_id = $1 AND" +
                        std::string(kOriginalLocal) + " AND" + visibility_condition(visibilities),
                    account_id)[0]
      .as<std::int64_t>();
}

}  // namespace kith::db
