// Notifications for local accounts: one function that every cause calls
// (a local action in the client API, an activity applied by the inbox
// worker), inside the transaction that made the cause, so a notification
// exists exactly when its cause committed. Streaming and Web Push learn of
// a new row from the notifications table's trigger (0006_client_api.sql).
// Also what the notification endpoints read: one notification, pages of
// them (filtered by type and sender), and their v2 groups.
// What it must never do: notify a remote account, notify someone about
// their own action, or notify twice for one cause (the table's unique
// index makes a replayed activity a no-op).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Mastodon's notification types (notifications.type's CHECK lists them):
// mention, status, reblog, follow, follow_request, favourite, poll, update,
// admin.sign_up, admin.report, quote...
//
// Creates the notification of `account_id` (the recipient) about `type`
// caused by `from_account_id`, unless the recipient is not local, is the
// cause, blocks or mutes (with hide_notifications) the cause's account or
// its domain, or muted the status's thread. Returns the new row's id, or
// nullopt when nothing was created (skipped, or it already existed).
std::optional<std::int64_t> create_notification(pqxx::transaction_base& tx, std::int64_t account_id,
                                                std::int64_t from_account_id, std::string_view type,
                                                std::optional<std::int64_t> status_id = {},
                                                std::optional<std::int64_t> report_id = {});

// The notifications a new status causes, in its transaction: `mention` for
// each local account it mentions, `status` for each local follower that
// asked to be notified (follows.notify) and may see it. Call it once the
// status's mentions are written. Boosts cause `reblog` (notify_reblog).
void notify_new_status(pqxx::transaction_base& tx, std::int64_t status_id);

// `mention` for each local account status `status_id` mentions that was
// not told yet (an edit that adds a mention).
void notify_mentions(pqxx::transaction_base& tx, std::int64_t status_id);

// `reblog` to the boosted status's author, for boost `reblog_id`.
void notify_reblog(pqxx::transaction_base& tx, std::int64_t reblog_id);

// `favourite` to the author of `status_id`, favourited by `account_id`.
void notify_favourite(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);

// `follow` (or `follow_request` when not accepted yet) to `target_id`.
void notify_follow(pqxx::transaction_base& tx, std::int64_t follower_id, std::int64_t target_id,
                   bool accepted);

// `update` to each account that boosted status `status_id`, after an edit.
void notify_status_update(pqxx::transaction_base& tx, std::int64_t status_id);

// `admin.report` to each local admin (not the reporter), for report `report_id`.
void notify_report(pqxx::transaction_base& tx, std::int64_t report_id);

// `poll` to the voters and the local author of each poll that has ended
// and not been announced yet (polls.closed_at still NULL), marking them
// closed. `poll_id` narrows it to one poll. Returns how many polls closed.
std::size_t close_expired_polls(pqxx::transaction_base& tx,
                                std::optional<std::int64_t> poll_id = {});

// The root status of `status_id`'s thread (itself when it replies to
// nothing), following in_reply_to_id at most kMaxThreadDepth steps.
inline constexpr std::size_t kMaxThreadDepth = 256;
std::int64_t thread_root(pqxx::transaction_base& tx, std::int64_t status_id);

// Thread mutes (POST /api/v1/statuses/:id/mute): no notifications about
// statuses of that thread. Both are idempotent.
void mute_thread(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);
void unmute_thread(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);
bool thread_muted(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);

// One notification as the endpoints show it.
struct NotificationView {
  std::int64_t id = 0;
  std::string type;
  std::string group_key;  // see kGroupKeySql in notifications.cpp
  std::string created_at;
  std::int64_t from_account_id = 0;
  std::optional<std::int64_t> status_id;
  std::optional<std::int64_t> report_id;
};

std::optional<NotificationView> notification_view(pqxx::transaction_base& tx, std::int64_t id,
                                                  std::int64_t account_id);

// Which notifications a list shows: types (empty: all) minus exclude_types,
// only those from `from_account_id` when set.
struct NotificationFilter {
  std::vector<std::string> types;
  std::vector<std::string> exclude_types;
  std::optional<std::int64_t> from_account_id;
};

// One page, newest first.
std::vector<NotificationView> notifications_page(pqxx::transaction_base& tx,
                                                 std::int64_t account_id,
                                                 const NotificationFilter& filter,
                                                 const PageRequest& page);

// How many notifications are newer than the notifications marker (all when
// there is none), counting at most `cap`.
std::int64_t unread_notifications(pqxx::transaction_base& tx, std::int64_t account_id,
                                  const NotificationFilter& filter, std::int64_t cap);

// A v2 notification group: the notifications sharing a group_key.
struct NotificationGroup {
  std::string group_key;
  std::string type;
  std::int64_t notifications_count = 0;
  std::int64_t most_recent_notification_id = 0;
  std::int64_t page_min_id = 0;  // the oldest notification of the group in this page
  std::int64_t page_max_id = 0;
  std::string latest_page_notification_at;
  std::vector<std::int64_t> sample_account_ids;  // newest first, at most kGroupSampleAccounts
  std::optional<std::int64_t> status_id;
  std::optional<std::int64_t> report_id;
};
inline constexpr std::size_t kGroupSampleAccounts = 8;

// The groups of the newest notifications of one page (`page` bounds the
// notification ids; at most page.limit groups), newest group first.
// `grouped_types`: the types that are grouped at all (the others get
// ungrouped-<id> keys).
std::vector<NotificationGroup> notification_groups_page(
    pqxx::transaction_base& tx, std::int64_t account_id, const NotificationFilter& filter,
    const std::vector<std::string>& grouped_types, const PageRequest& page);

// The notifications of one group (by key), newest first, at most `limit`.
std::vector<NotificationView> notifications_of_group(pqxx::transaction_base& tx,
                                                     std::int64_t account_id,
                                                     std::string_view group_key, std::size_t limit);

// Removing: one, a whole group, or all of the account's. Returns rows removed.
std::size_t dismiss_notification(pqxx::transaction_base& tx, std::int64_t account_id,
                                 std::int64_t id);
std::size_t dismiss_group(pqxx::transaction_base& tx, std::int64_t account_id,
                          std::string_view group_key);
std::size_t clear_notifications(pqxx::transaction_base& tx, std::int64_t account_id);

}  // namespace kith::db
