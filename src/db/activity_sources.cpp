// The rows outgoing activities are made from (activity_sources.hpp), read
// in the caller's transaction.
#include "kith/db/activity_sources.hpp"

#include <pqxx/pqxx>

namespace kith::db {
namespace {

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

// Microseconds since the Unix epoch, PostgreSQL's own resolution: two
// different stored times never give the same number.
std::string epoch_micros(const std::string& column) {
  return "floor(extract(epoch FROM " + column + ") * 1000000)::bigint";
}

std::vector<RemoteInbox> inboxes(const pqxx::result& rows) {
  std::vector<RemoteInbox> out;
  out.reserve(rows.size());
  for (const auto& row : rows) out.push_back({row[0].as<std::string>(), row[1].as<std::string>()});
  return out;
}

}  // namespace

std::vector<RemoteInbox> remote_follower_inboxes(pqxx::transaction_base& tx,
                                                 std::int64_t account_id) {
  return inboxes(tx.exec_params(
      "SELECT a.inbox_url, coalesce(a.shared_inbox_url, '') FROM follows f"
      " JOIN accounts a ON a.id = f.account_id"
      " WHERE f.target_account_id = $1 AND f.state = 'accepted' AND a.domain IS NOT NULL"
      " AND a.suspended_at IS NULL AND a.inbox_url <> '' ORDER BY f.id",
      account_id));
}

std::vector<RemoteInbox> remote_followee_inboxes(pqxx::transaction_base& tx,
                                                 std::int64_t account_id) {
  return inboxes(
      tx.exec_params("SELECT a.inbox_url, coalesce(a.shared_inbox_url, '') FROM follows f"
                     " JOIN accounts a ON a.id = f.target_account_id"
                     " WHERE f.account_id = $1 AND a.domain IS NOT NULL"
                     " AND a.suspended_at IS NULL AND a.inbox_url <> '' ORDER BY f.id",
                     account_id));
}

std::vector<RemoteInbox> remote_booster_follower_inboxes(pqxx::transaction_base& tx,
                                                         std::int64_t status_id) {
  return inboxes(tx.exec_params(
      "SELECT a.inbox_url, coalesce(a.shared_inbox_url, '') FROM statuses b"
      " JOIN follows f ON f.target_account_id = b.account_id AND f.state = 'accepted'"
      " JOIN accounts a ON a.id = f.account_id"
      " WHERE b.reblog_of_id = $1 AND b.local AND b.deleted_at IS NULL"
      " AND a.domain IS NOT NULL AND a.suspended_at IS NULL AND a.inbox_url <> ''"
      " ORDER BY f.id",
      status_id));
}

std::vector<RemoteInbox> remote_interactor_inboxes(pqxx::transaction_base& tx,
                                                   std::int64_t status_id, std::size_t limit) {
  // One row per delivery target (the shared inbox, else the inbox), so the
  // limit counts servers' inboxes rather than accounts.
  return inboxes(tx.exec_params(
      "SELECT DISTINCT ON (coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url))"
      " a.inbox_url, coalesce(a.shared_inbox_url, '') FROM accounts a"
      " WHERE a.id IN (SELECT account_id FROM statuses"
      "   WHERE reblog_of_id = $1 AND deleted_at IS NULL"
      " UNION SELECT account_id FROM favourites WHERE status_id = $1"
      " UNION SELECT account_id FROM statuses WHERE in_reply_to_id = $1 AND deleted_at IS NULL)"
      " AND a.domain IS NOT NULL AND a.suspended_at IS NULL AND a.inbox_url <> ''"
      " ORDER BY coalesce(nullif(a.shared_inbox_url, ''), a.inbox_url), a.id LIMIT $2",
      status_id, static_cast<std::int64_t>(limit)));
}

std::vector<RemoteInbox> remote_mention_inboxes(pqxx::transaction_base& tx,
                                                std::int64_t status_id) {
  return inboxes(
      tx.exec_params("SELECT a.inbox_url, coalesce(a.shared_inbox_url, '') FROM mentions m"
                     " JOIN accounts a ON a.id = m.account_id"
                     " WHERE m.status_id = $1 AND a.domain IS NOT NULL AND a.suspended_at IS NULL"
                     " AND a.inbox_url <> '' ORDER BY m.id",
                     status_id));
}

std::optional<AccountRef> account_ref(pqxx::transaction_base& tx, std::int64_t account_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT a.id, a.username, coalesce(a.domain, ''), a.uri, coalesce(a.url, ''), a.inbox_url,"
      " coalesce(a.shared_inbox_url, ''), a.followers_url, coalesce(a.public_key_id, ''),"
      " a.actor_type, a.locked, a.suspended_at IS NOT NULL, coalesce(m.uri, '')"
      " FROM accounts a LEFT JOIN accounts m ON m.id = a.moved_to_account_id WHERE a.id = $1",
      account_id);
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  AccountRef ref;
  ref.id = row[0].as<std::int64_t>();
  ref.username = row[1].as<std::string>();
  ref.domain = row[2].as<std::string>();
  ref.uri = row[3].as<std::string>();
  ref.url = row[4].as<std::string>();
  ref.inbox_url = row[5].as<std::string>();
  ref.shared_inbox_url = row[6].as<std::string>();
  ref.followers_url = row[7].as<std::string>();
  ref.public_key_id = row[8].as<std::string>();
  ref.actor_type = row[9].as<std::string>();
  ref.locked = row[10].as<bool>();
  ref.suspended = row[11].as<bool>();
  ref.moved_to_uri = row[12].as<std::string>();
  return ref;
}

std::optional<FollowRow> follow_row(pqxx::transaction_base& tx, std::int64_t follow_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, account_id, target_account_id, coalesce(uri, ''), state = 'accepted'"
      " FROM follows WHERE id = $1",
      follow_id);
  if (rows.empty()) return std::nullopt;
  return FollowRow{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::int64_t>(),
                   rows[0][2].as<std::int64_t>(), rows[0][3].as<std::string>(),
                   rows[0][4].as<bool>()};
}

std::optional<FavouriteRow> favourite_row(pqxx::transaction_base& tx, std::int64_t favourite_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, account_id, status_id, coalesce(uri, '') FROM favourites WHERE id = $1",
      favourite_id);
  if (rows.empty()) return std::nullopt;
  return FavouriteRow{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::int64_t>(),
                      rows[0][2].as<std::int64_t>(), rows[0][3].as<std::string>()};
}

std::optional<BlockRow> block_row(pqxx::transaction_base& tx, std::int64_t block_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, account_id, target_account_id, coalesce(uri, '') FROM blocks WHERE id = $1",
      block_id);
  if (rows.empty()) return std::nullopt;
  return BlockRow{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::int64_t>(),
                  rows[0][2].as<std::int64_t>(), rows[0][3].as<std::string>()};
}

std::optional<StatusRow> status_row(pqxx::transaction_base& tx, std::int64_t status_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, account_id, uri, local, visibility, coalesce(reblog_of_id, 0),"
      " coalesce(in_reply_to_id, 0), " +
          iso_time("created_at") + ", coalesce(" + epoch_micros("edited_at") +
          ", 0), deleted_at IS NOT NULL"
          " FROM statuses WHERE id = $1",
      status_id);
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  StatusRow status;
  status.id = row[0].as<std::int64_t>();
  status.account_id = row[1].as<std::int64_t>();
  status.uri = row[2].as<std::string>();
  status.local = row[3].as<bool>();
  status.visibility = row[4].as<std::string>();
  status.reblog_of_id = row[5].as<std::int64_t>();
  status.in_reply_to_id = row[6].as<std::int64_t>();
  status.created_at = row[7].as<std::string>();
  status.edited_at_micros = row[8].as<std::int64_t>();
  status.deleted = row[9].as<bool>();
  return status;
}

std::optional<ReportRow> report_row(pqxx::transaction_base& tx, std::int64_t report_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, account_id, target_account_id, comment FROM reports WHERE id = $1", report_id);
  if (rows.empty()) return std::nullopt;
  ReportRow report{rows[0][0].as<std::int64_t>(),
                   rows[0][1].as<std::int64_t>(),
                   rows[0][2].as<std::int64_t>(),
                   {},
                   rows[0][3].as<std::string>()};
  for (const auto& row :
       tx.exec_params("SELECT unnest(status_ids) FROM reports WHERE id = $1", report_id))
    report.status_ids.push_back(row[0].as<std::int64_t>());
  return report;
}

std::int64_t account_updated_micros(pqxx::transaction_base& tx, std::int64_t account_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT " + epoch_micros("updated_at") + " FROM accounts WHERE id = $1", account_id);
  return rows.empty() ? 0 : rows[0][0].as<std::int64_t>();
}

}  // namespace kith::db
