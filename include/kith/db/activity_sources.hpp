// The rows an outgoing activity is made from, read inside the caller's
// transaction: the outbox (kith::ap::outbox) builds each activity from what
// the local action has just written, before it commits, so that the action
// and its deliveries are one transaction. This layer returns plain values;
// which recipients an activity deserves is decided by the outbox, not here.
// What it must never do: return a local account as a delivery target (its
// "inbox" is this server) or an account with no inbox.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/accounts.hpp"
#include "kith/db/remote_accounts.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Where to deliver to one remote account.
struct RemoteInbox {
  std::string inbox;
  std::string shared_inbox;  // "" when it has none
};

// Remote accounts with an accepted follow of `account_id`.
std::vector<RemoteInbox> remote_follower_inboxes(pqxx::transaction_base& tx,
                                                 std::int64_t account_id);
// Remote accounts `account_id` follows or asked to follow (their servers
// keep a follower row for it: a Delete{Person} goes to them too).
std::vector<RemoteInbox> remote_followee_inboxes(pqxx::transaction_base& tx,
                                                 std::int64_t account_id);
// Remote followers of the local accounts that boosted `status_id`: they saw
// it through the boost, so its edits and deletion go to them too.
std::vector<RemoteInbox> remote_booster_follower_inboxes(pqxx::transaction_base& tx,
                                                         std::int64_t status_id);
// Remote accounts that boosted, favourited or replied to `status_id` (the
// boosts and replies not deleted), one per delivery target (shared inbox,
// else inbox), at most `limit` of them: they have the status, so its edits
// and deletion concern them, followers or not.
std::vector<RemoteInbox> remote_interactor_inboxes(pqxx::transaction_base& tx,
                                                   std::int64_t status_id, std::size_t limit);
// Remote accounts the status mentions (silent ones included).
std::vector<RemoteInbox> remote_mention_inboxes(pqxx::transaction_base& tx, std::int64_t status_id);

// Any account by id (local or remote), or nullopt.
std::optional<AccountRef> account_ref(pqxx::transaction_base& tx, std::int64_t account_id);

struct FollowRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;  // the follower
  std::int64_t target_account_id = 0;
  std::string uri;  // the Follow activity's id, "" when none was recorded
  bool accepted = false;
};
std::optional<FollowRow> follow_row(pqxx::transaction_base& tx, std::int64_t follow_id);

struct FavouriteRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::int64_t status_id = 0;
  std::string uri;
};
std::optional<FavouriteRow> favourite_row(pqxx::transaction_base& tx, std::int64_t favourite_id);

struct BlockRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::int64_t target_account_id = 0;
  std::string uri;
};
std::optional<BlockRow> block_row(pqxx::transaction_base& tx, std::int64_t block_id);

// Any status row (local or remote, a boost or not, deleted or not), with
// what an activity about it needs.
struct StatusRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string uri;
  bool local = false;
  std::string visibility;
  std::int64_t reblog_of_id = 0;      // 0: not a boost
  std::int64_t in_reply_to_id = 0;    // 0: not a reply to a known status
  std::string created_at;             // ISO 8601, UTC
  std::int64_t edited_at_micros = 0;  // Unix microseconds; 0: never edited
  bool deleted = false;
};
std::optional<StatusRow> status_row(pqxx::transaction_base& tx, std::int64_t status_id);

struct ReportRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::int64_t target_account_id = 0;
  std::vector<std::int64_t> status_ids;
  std::string comment;
};
std::optional<ReportRow> report_row(pqxx::transaction_base& tx, std::int64_t report_id);

// accounts.updated_at as Unix microseconds (in the Update{Person} and Move
// ids: two profile changes within one second are two activities).
std::int64_t account_updated_micros(pqxx::transaction_base& tx, std::int64_t account_id);

}  // namespace kith::db
