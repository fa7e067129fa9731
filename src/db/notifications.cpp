// Creating and reading notifications (db/notifications.hpp).
//
// Grouping (the v2 endpoints) is computed, not stored: a notification's
// group_key is kGroupKeySql of its row. Favourites and boosts of one status
// group together, and follows do, within fixed windows of
// kGroupWindowHours (Mastodon's MAXIMUM_GROUP_SPAN_HOURS), so that a new
// wave of likes on an old post starts a new group; every other
// notification is alone in "ungrouped-<id>".
#include "kith/db/notifications.hpp"

#include <algorithm>
#include <limits>
#include <map>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {
namespace {

constexpr int kGroupWindowHours = 12;

// At most this many polls are closed (and their voters notified) by one call.
constexpr std::int64_t kMaxPollsClosedPerCall = 100;

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

// The group key of notification row `n`; `grouped` is an SQL text[]
// expression naming the types that may group.
std::string group_key_sql(const std::string& grouped) {
  const std::string window = "(floor(extract(epoch FROM n.created_at) / " +
                             std::to_string(3600 * kGroupWindowHours) + ") * " +
                             std::to_string(kGroupWindowHours) + ")::bigint::text";
  return "(CASE WHEN n.type = ANY(" + grouped +
         ") AND n.type IN ('favourite', 'reblog') AND n.status_id IS NOT NULL"
         "   THEN n.type || '-' || n.status_id || '-' || " +
         window + " WHEN n.type = ANY(" + grouped + ") AND n.type = 'follow' THEN 'follow-' || " +
         window + " ELSE 'ungrouped-' || n.id END)";
}

const std::string kDefaultGrouped = "ARRAY['favourite', 'reblog', 'follow']";

// The root of status $2's thread (recursive, bounded), as SQL.
std::string thread_root_sql(const std::string& status_param) {
  return "(WITH RECURSIVE up(id, parent, depth) AS ("
         "   SELECT id, in_reply_to_id, 0 FROM statuses WHERE id = " +
         status_param +
         "   UNION ALL SELECT s.id, s.in_reply_to_id, up.depth + 1 FROM statuses s"
         "   JOIN up ON s.id = up.parent WHERE up.depth < " +
         std::to_string(kMaxThreadDepth) +
         ")"
         " SELECT id FROM up ORDER BY depth DESC LIMIT 1)";
}

std::optional<std::int64_t> insert_notification(pqxx::transaction_base& tx, std::int64_t account_id,
                                                std::int64_t from_account_id, std::string_view type,
                                                std::optional<std::int64_t> status_id,
                                                std::optional<std::int64_t> report_id) {
  // Local recipients only; nothing from accounts (or servers) the recipient
  // blocked or muted with hide_notifications, nothing from a muted thread.
  const auto rows = tx.exec_params(
      "INSERT INTO notifications (account_id, from_account_id, type, status_id, report_id)"
      " SELECT $1, $2, $3, $4, $5"
      " FROM accounts r JOIN accounts f ON f.id = $2"
      " WHERE r.id = $1 AND r.domain IS NULL"
      "   AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1"
      "                   AND b.target_account_id = $2)"
      "   AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1"
      "                   AND m.target_account_id = $2 AND m.hide_notifications"
      "                   AND (m.expires_at IS NULL OR m.expires_at > now()))"
      "   AND NOT EXISTS (SELECT 1 FROM account_domain_blocks d WHERE d.account_id = $1"
      "                   AND d.domain = f.domain)"
      "   AND ($4::bigint IS NULL OR NOT EXISTS (SELECT 1 FROM thread_mutes t"
      "        WHERE t.account_id = $1 AND t.root_status_id = " +
          thread_root_sql("$4::bigint") +
          "))"
          " ON CONFLICT DO NOTHING RETURNING id",
      account_id, from_account_id, std::string(type), status_id, report_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

std::vector<std::int64_t> ids_of(const pqxx::result& rows) {
  std::vector<std::int64_t> ids;
  for (const auto& row : rows) ids.push_back(row[0].as<std::int64_t>());
  return ids;
}

// " AND ..." for a NotificationFilter; parameters from $first on:
// types, exclude_types, from_account_id.
std::string filter_sql(int first) {
  const std::string a = "$" + std::to_string(first), b = "$" + std::to_string(first + 1),
                    c = "$" + std::to_string(first + 2);
  return " AND (cardinality(" + a + "::text[]) = 0 OR n.type = ANY(" + a +
         "::text[])) AND NOT (n.type = ANY(" + b + "::text[])) AND (" + c +
         "::bigint IS NULL OR n.from_account_id = " + c + "::bigint)";
}

NotificationView view_of(const pqxx::row& row) {
  NotificationView v;
  v.id = row[0].as<std::int64_t>();
  v.type = row[1].as<std::string>();
  v.group_key = row[2].as<std::string>();
  v.created_at = row[3].as<std::string>();
  v.from_account_id = row[4].as<std::int64_t>();
  if (!row[5].is_null()) v.status_id = row[5].as<std::int64_t>();
  if (!row[6].is_null()) v.report_id = row[6].as<std::int64_t>();
  return v;
}

std::string view_columns(const std::string& grouped = kDefaultGrouped) {
  return "n.id, n.type, " + group_key_sql(grouped) + ", " + iso_time("n.created_at") +
         ", n.from_account_id, n.status_id, n.report_id";
}

}  // namespace

std::optional<std::int64_t> create_notification(pqxx::transaction_base& tx, std::int64_t account_id,
                                                std::int64_t from_account_id, std::string_view type,
                                                std::optional<std::int64_t> status_id,
                                                std::optional<std::int64_t> report_id) {
  if (account_id == from_account_id) return std::nullopt;
  return insert_notification(tx, account_id, from_account_id, type, status_id, report_id);
}

void notify_new_status(pqxx::transaction_base& tx, std::int64_t status_id) {
  const auto status = tx.exec_params(
      "SELECT account_id, visibility, reblog_of_id IS NOT NULL,"
      " in_reply_to_account_id IS NULL OR in_reply_to_account_id = account_id"
      " FROM statuses WHERE id = $1 AND deleted_at IS NULL",
      status_id);
  if (status.empty() || status[0][2].as<bool>()) return;
  const auto author = status[0][0].as<std::int64_t>();
  const auto visibility = status[0][1].as<std::string>();
  notify_mentions(tx, status_id);
  // Mastodon notifies followers who asked for it of the author's posts
  // that are not replies to someone else, and never of a direct one.
  if (visibility == "direct" || !status[0][3].as<bool>()) return;
  const auto subscribers = ids_of(
      tx.exec_params("SELECT f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
                     " WHERE f.target_account_id = $1 AND f.state = 'accepted' AND f.notify"
                     "   AND a.domain IS NULL AND NOT EXISTS (SELECT 1 FROM mentions m"
                     "   WHERE m.status_id = $2 AND m.account_id = f.account_id)",
                     author, status_id));
  for (std::int64_t id : subscribers) create_notification(tx, id, author, "status", status_id);
}

void notify_mentions(pqxx::transaction_base& tx, std::int64_t status_id) {
  const auto rows = tx.exec_params(
      "SELECT m.account_id, s.account_id FROM mentions m JOIN accounts a ON a.id = m.account_id"
      " JOIN statuses s ON s.id = m.status_id"
      " WHERE m.status_id = $1 AND a.domain IS NULL AND s.deleted_at IS NULL ORDER BY m.id",
      status_id);
  for (const auto& row : rows)
    create_notification(tx, row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), "mention",
                        status_id);
}

void notify_reblog(pqxx::transaction_base& tx, std::int64_t reblog_id) {
  const auto rows = tx.exec_params(
      "SELECT b.account_id, o.account_id, o.id FROM statuses b"
      " JOIN statuses o ON o.id = b.reblog_of_id WHERE b.id = $1",
      reblog_id);
  if (rows.empty()) return;
  create_notification(tx, rows[0][1].as<std::int64_t>(), rows[0][0].as<std::int64_t>(), "reblog",
                      rows[0][2].as<std::int64_t>());
}

void notify_favourite(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  const auto rows = tx.exec_params("SELECT account_id FROM statuses WHERE id = $1", status_id);
  if (rows.empty()) return;
  create_notification(tx, rows[0][0].as<std::int64_t>(), account_id, "favourite", status_id);
}

void notify_follow(pqxx::transaction_base& tx, std::int64_t follower_id, std::int64_t target_id,
                   bool accepted) {
  create_notification(tx, target_id, follower_id, accepted ? "follow" : "follow_request");
}

void notify_status_update(pqxx::transaction_base& tx, std::int64_t status_id) {
  const auto author = tx.exec_params("SELECT account_id FROM statuses WHERE id = $1", status_id);
  if (author.empty()) return;
  const auto author_id = author[0][0].as<std::int64_t>();
  const auto boosters = ids_of(tx.exec_params(
      "SELECT DISTINCT b.account_id FROM statuses b JOIN accounts a ON a.id = b.account_id"
      " WHERE b.reblog_of_id = $1 AND b.deleted_at IS NULL AND a.domain IS NULL",
      status_id));
  // Each edit notifies afresh: the earlier edit's notification gives way
  // (the unique index would otherwise keep only the first edit's).
  for (std::int64_t id : boosters) {
    tx.exec_params(
        "DELETE FROM notifications WHERE account_id = $1 AND type = 'update'"
        " AND from_account_id = $2 AND status_id = $3",
        id, author_id, status_id);
    create_notification(tx, id, author_id, "update", status_id);
  }
}

void notify_report(pqxx::transaction_base& tx, std::int64_t report_id) {
  const auto rows = tx.exec_params(
      "SELECT r.account_id, u.account_id FROM reports r, users u"
      " WHERE r.id = $1 AND u.admin AND NOT u.disabled",
      report_id);
  for (const auto& row : rows)
    create_notification(tx, row[1].as<std::int64_t>(), row[0].as<std::int64_t>(), "admin.report",
                        std::nullopt, report_id);
}

std::size_t close_expired_polls(pqxx::transaction_base& tx, std::optional<std::int64_t> poll_id) {
  const auto polls = tx.exec_params(
      "UPDATE polls SET closed_at = now(), updated_at = now() WHERE id IN ("
      "  SELECT id FROM polls WHERE closed_at IS NULL AND expires_at <= now()"
      "  AND ($1::bigint IS NULL OR id = $1::bigint) ORDER BY expires_at LIMIT $2"
      "  FOR UPDATE SKIP LOCKED)"
      " RETURNING id, status_id",
      poll_id, kMaxPollsClosedPerCall);
  for (const auto& poll : polls) {
    const auto id = poll[0].as<std::int64_t>();
    const auto status_id = poll[1].as<std::int64_t>();
    const auto author = tx.exec_params("SELECT account_id FROM statuses WHERE id = $1", status_id);
    if (author.empty()) continue;
    const auto author_id = author[0][0].as<std::int64_t>();
    // Mastodon tells the poll's own (local) author too, "from" itself.
    insert_notification(tx, author_id, author_id, "poll", status_id, std::nullopt);
    for (std::int64_t voter : ids_of(
             tx.exec_params("SELECT DISTINCT account_id FROM poll_votes WHERE poll_id = $1", id)))
      create_notification(tx, voter, author_id, "poll", status_id);
  }
  return polls.size();
}

std::int64_t thread_root(pqxx::transaction_base& tx, std::int64_t status_id) {
  const auto rows = tx.exec_params("SELECT " + thread_root_sql("$1::bigint"), status_id);
  if (rows.empty() || rows[0][0].is_null()) return status_id;
  return rows[0][0].as<std::int64_t>();
}

void mute_thread(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  tx.exec_params(
      "INSERT INTO thread_mutes (account_id, root_status_id) VALUES ($1, $2)"
      " ON CONFLICT DO NOTHING",
      account_id, thread_root(tx, status_id));
}

void unmute_thread(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  tx.exec_params("DELETE FROM thread_mutes WHERE account_id = $1 AND root_status_id = $2",
                 account_id, thread_root(tx, status_id));
}

bool thread_muted(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id) {
  return !tx.exec_params("SELECT 1 FROM thread_mutes WHERE account_id = $1 AND root_status_id = $2",
                         account_id, thread_root(tx, status_id))
              .empty();
}

std::optional<NotificationView> notification_view(pqxx::transaction_base& tx, std::int64_t id,
                                                  std::int64_t account_id) {
  const auto rows = tx.exec_params(
      "SELECT " + view_columns() + " FROM notifications n WHERE n.id = $1 AND n.account_id = $2",
      id, account_id);
  if (rows.empty()) return std::nullopt;
  return view_of(rows[0]);
}

std::vector<NotificationView> notifications_page(pqxx::transaction_base& tx,
                                                 std::int64_t account_id,
                                                 const NotificationFilter& filter,
                                                 const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  const std::string sql =
      "SELECT " + view_columns() + " FROM notifications n WHERE n.account_id = $1" + filter_sql(5) +
      " AND n.id < $2 AND n.id > $3 ORDER BY n.id " + (upward ? "ASC" : "DESC") + " LIMIT $4";
  std::vector<NotificationView> out;
  for (const auto& row : tx.exec_params(
           sql, account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
           page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
           static_cast<std::int64_t>(page.limit), text_array_literal(filter.types),
           text_array_literal(filter.exclude_types), filter.from_account_id))
    out.push_back(view_of(row));
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

std::int64_t unread_notifications(pqxx::transaction_base& tx, std::int64_t account_id,
                                  const NotificationFilter& filter, std::int64_t cap) {
  const auto rows = tx.exec_params(
      "SELECT count(*) FROM (SELECT 1 FROM notifications n WHERE n.account_id = $1"
      " AND n.id > coalesce((SELECT last_read_id FROM markers WHERE account_id = $1"
      "   AND timeline = 'notifications'), 0)" +
          filter_sql(3) + " LIMIT $2) unread",
      account_id, cap, text_array_literal(filter.types), text_array_literal(filter.exclude_types),
      filter.from_account_id);
  return rows[0][0].as<std::int64_t>();
}

std::vector<NotificationGroup> notification_groups_page(
    pqxx::transaction_base& tx, std::int64_t account_id, const NotificationFilter& filter,
    const std::vector<std::string>& grouped_types, const PageRequest& page) {
  // The page's notifications (at most kGroupedPageScan times the limit, so
  // a page of groups is still bounded), grouped in order of their newest.
  constexpr std::size_t kGroupedPageScan = 10;
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  PageRequest scan = page;
  scan.limit = page.limit * kGroupedPageScan;
  const std::string grouped = "$8::text[]";
  const std::string sql = "SELECT " + view_columns(grouped) +
                          " FROM notifications n WHERE n.account_id = $1" + filter_sql(5) +
                          " AND n.id < $2 AND n.id > $3 ORDER BY n.id " +
                          (upward ? "ASC" : "DESC") + " LIMIT $4";
  std::vector<NotificationView> rows;
  for (const auto& row : tx.exec_params(
           sql, account_id, scan.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
           scan.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
           static_cast<std::int64_t>(scan.limit), text_array_literal(filter.types),
           text_array_literal(filter.exclude_types), filter.from_account_id,
           text_array_literal(grouped_types)))
    rows.push_back(view_of(row));
  if (upward) {
    // Going up: the `limit` groups just above min_id, shown newest first.
    std::map<std::string, bool> kept;
    for (const auto& n : rows)
      if (!kept.count(n.group_key) && kept.size() < page.limit) kept[n.group_key] = true;
    std::erase_if(rows, [&](const NotificationView& n) { return !kept.count(n.group_key); });
    std::reverse(rows.begin(), rows.end());
  }
  std::vector<NotificationGroup> groups;
  std::map<std::string, std::size_t> index;
  for (const auto& n : rows) {
    auto it = index.find(n.group_key);
    if (it == index.end()) {
      if (groups.size() >= page.limit) break;
      it = index.emplace(n.group_key, groups.size()).first;
      NotificationGroup g;
      g.group_key = n.group_key;
      g.type = n.type;
      g.page_max_id = n.id;
      g.latest_page_notification_at = n.created_at;
      g.status_id = n.status_id;
      g.report_id = n.report_id;
      groups.push_back(std::move(g));
    }
    NotificationGroup& g = groups[it->second];
    g.page_min_id = n.id;
  }
  // Whole-group figures: how many, the newest id, the newest senders.
  for (NotificationGroup& g : groups) {
    const auto figures = tx.exec_params(
        "SELECT count(*), max(n.id) FROM notifications n WHERE n.account_id = $1 AND " +
            group_key_sql("$3::text[]") + " = $2" + filter_sql(4),
        account_id, g.group_key, text_array_literal(grouped_types),
        text_array_literal(filter.types), text_array_literal(filter.exclude_types),
        filter.from_account_id);
    g.notifications_count = figures[0][0].as<std::int64_t>();
    g.most_recent_notification_id =
        figures[0][1].is_null() ? g.page_max_id : figures[0][1].as<std::int64_t>();
    g.sample_account_ids = ids_of(tx.exec_params(
        "SELECT n.from_account_id FROM notifications n WHERE n.account_id = $1 AND " +
            group_key_sql("$3::text[]") + " = $2" + filter_sql(5) + " ORDER BY n.id DESC LIMIT $4",
        account_id, g.group_key, text_array_literal(grouped_types),
        static_cast<std::int64_t>(kGroupSampleAccounts), text_array_literal(filter.types),
        text_array_literal(filter.exclude_types), filter.from_account_id));
  }
  return groups;
}

std::vector<NotificationView> notifications_of_group(pqxx::transaction_base& tx,
                                                     std::int64_t account_id,
                                                     std::string_view group_key,
                                                     std::size_t limit) {
  std::vector<NotificationView> out;
  for (const auto& row : tx.exec_params(
           "SELECT " + view_columns() + " FROM notifications n WHERE n.account_id = $1 AND " +
               group_key_sql(kDefaultGrouped) + " = $2 ORDER BY n.id DESC LIMIT $3",
           account_id, std::string(group_key), static_cast<std::int64_t>(limit)))
    out.push_back(view_of(row));
  return out;
}

std::size_t dismiss_notification(pqxx::transaction_base& tx, std::int64_t account_id,
                                 std::int64_t id) {
  return tx
      .exec_params("DELETE FROM notifications WHERE id = $1 AND account_id = $2", id, account_id)
      .affected_rows();
}

std::size_t dismiss_group(pqxx::transaction_base& tx, std::int64_t account_id,
                          std::string_view group_key) {
  return tx
      .exec_params("DELETE FROM notifications n WHERE n.account_id = $1 AND " +
                       group_key_sql(kDefaultGrouped) + " = $2",
                   account_id, std::string(group_key))
      .affected_rows();
}

std::size_t clear_notifications(pqxx::transaction_base& tx, std::int64_t account_id) {
  return tx.exec_params("DELETE FROM notifications WHERE account_id = $1", account_id)
      .affected_rows();
}

}  // namespace kith::db
