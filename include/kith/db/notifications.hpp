// Notifications for local accounts: one function that every cause calls
// (a local action in the client API, an activity applied by the inbox
// worker), inside the transaction that made the cause, so a notification
// exists exactly when its cause committed. Streaming and Web Push learn of
// a new row from the notifications table's trigger (0006_client_api.sql).
// What it must never do: notify a remote account, notify someone about
// their own action, or notify twice for one cause (the table's unique
// index makes a replayed activity a no-op).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

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

}  // namespace kith::db
