// The outbox: what a local action sends to other servers.
//
// The one idea: a local action (a post, a follow, a favourite, accepting a
// follow request...) changes the database and queues the activity that tells
// other servers, in ONE transaction: each function here takes the caller's
// transaction, builds the activity (to_activitystreams.hpp, activity_writer
// .hpp), chooses its recipients from the database (followers' shared inboxes
// de-duplicated, mentioned accounts, the object's author) and calls
// enqueue_deliveries (delivery.hpp). Either the action and all of its
// deliveries commit, or neither does; the caller wakes the DeliveryQueue
// after COMMIT.
// What it must never do: send a local-only status anywhere, send a
// followers-only or direct status to anyone not addressed, or put a
// recipient's private data into an activity.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace pqxx {
class transaction_base;
}

namespace kith::ap::outbox {

// Every function returns how many delivery jobs it queued. `host` is this
// server's configured authority. Ids are accounts.id / statuses.id /
// follows.id rows that the caller has just written (or is about to remove,
// for the Undo and Delete ones: call them before the DELETE).

// Create{Note} of a new local status to its audience (followers for public,
// unlisted and private; mentioned accounts always; nobody for local).
std::size_t create_status(pqxx::transaction_base& tx, std::string_view host,
                          std::int64_t status_id);
// Update{Note} after an edit, to the same audience.
std::size_t update_status(pqxx::transaction_base& tx, std::string_view host,
                          std::int64_t status_id);
// Delete{Tombstone} of a local status, to the audience it had.
std::size_t delete_status(pqxx::transaction_base& tx, std::string_view host,
                          std::int64_t status_id);
// Follow of a remote account (follows row, state pending, uri set).
std::size_t follow(pqxx::transaction_base& tx, std::string_view host, std::int64_t follow_id);
// Undo{Follow}.
std::size_t unfollow(pqxx::transaction_base& tx, std::string_view host, std::int64_t follow_id);
// Accept{Follow} / Reject{Follow} of a remote account's follow of a local one.
std::size_t accept_follow(pqxx::transaction_base& tx, std::string_view host,
                          std::int64_t follow_id);
std::size_t reject_follow(pqxx::transaction_base& tx, std::string_view host,
                          std::int64_t follow_id);
// Like / Undo{Like} of a remote status, to its author.
std::size_t like(pqxx::transaction_base& tx, std::string_view host, std::int64_t favourite_id);
std::size_t unlike(pqxx::transaction_base& tx, std::string_view host, std::int64_t favourite_id);
// Announce / Undo{Announce} (the boost is a statuses row with reblog_of_id),
// to the booster's followers and the boosted status's author.
std::size_t announce(pqxx::transaction_base& tx, std::string_view host, std::int64_t reblog_id);
std::size_t unannounce(pqxx::transaction_base& tx, std::string_view host, std::int64_t reblog_id);
// Block / Undo{Block} of a remote account.
std::size_t block(pqxx::transaction_base& tx, std::string_view host, std::int64_t block_id);
std::size_t unblock(pqxx::transaction_base& tx, std::string_view host, std::int64_t block_id);
// Update{Person} of a local account after a profile change, to its followers.
std::size_t update_actor(pqxx::transaction_base& tx, std::string_view host,
                         std::int64_t account_id);
// Delete{Person} of a local account, to every server that follows it or
// that it follows.
std::size_t delete_actor(pqxx::transaction_base& tx, std::string_view host,
                         std::int64_t account_id);
// Flag of a remote account (a reports row), sent by the instance actor to
// the target's server.
std::size_t flag(pqxx::transaction_base& tx, std::string_view host, std::int64_t report_id);
// Move from a local account to `target_uri` (already checked to list the
// local account in alsoKnownAs), to its followers.
std::size_t move(pqxx::transaction_base& tx, std::string_view host, std::int64_t account_id,
                 std::string_view target_uri);

}  // namespace kith::ap::outbox
