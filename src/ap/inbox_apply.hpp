// Inside the inbox worker: how one activity becomes one transaction.
//
// Applying is two steps. prepare_* (a coroutine) decides, asking the
// database and other servers what it needs (the actor, an object fetched
// from its origin), and returns a Verdict; when the verdict is `apply` it
// also returns `write`, a function of the worker's transaction that makes
// the rows. The worker runs `write` and completes the job in that one
// transaction (inbox_worker.cpp), so nothing is half-applied and a job whose
// lease was lost commits nothing. `write` re-reads what it depends on inside
// the transaction and writes with ON CONFLICT DO NOTHING, so running it
// twice (a replay, or two workers racing) changes nothing the second time.
//
// One file per family of activities: apply_follow.cpp (Follow, Accept,
// Reject, Undo{Follow}), apply_create.cpp, apply_update.cpp,
// apply_delete.cpp, apply_reactions.cpp (Like, Announce and their Undo),
// apply_block.cpp (Block, Undo{Block}), apply_flag.cpp, apply_move.cpp; the
// dispatcher (inbox_dispatch.cpp) picks one by type.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <stdexcept>
#include <string>

#include "kith/ap/activity.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/inbox.hpp"
#include "kith/ap/inbox_rules.hpp"
#include "kith/db/remote_accounts.hpp"

namespace pqxx {
class transaction_base;
}
namespace kith::db {
class Pool;
}

namespace kith::ap::inbox {

struct Context {
  db::Pool& pool;
  Fetcher& fetcher;
  RemoteActors& actors;
  std::string host;  // this server's authority, for the outbox
};

// What a write did, for the log line and for waking the delivery queue.
struct WriteResult {
  std::string note;            // "follow accepted", "already stored"...
  std::size_t deliveries = 0;  // delivery jobs queued (an Accept, a Follow...)
  bool ignored = false;        // true but irrelevant: nothing was written
};

// Thrown by a write that finds, inside the transaction, that the activity
// is false (an Update of someone else's status): the transaction is rolled
// back and the job failed, never retried.
struct Refused : std::runtime_error {
  using std::runtime_error::runtime_error;
};

using Write = std::function<WriteResult(pqxx::transaction_base&)>;

struct Prepared {
  Verdict verdict = Verdict::invalid;
  std::string reason;  // for ignore, invalid and retry
  Write write;         // for apply
};

inline Prepared apply(Write write) {
  return Prepared{Verdict::apply, {}, std::move(write)};
}
inline Prepared ignored(std::string reason) {
  return Prepared{Verdict::ignore, std::move(reason), {}};
}
inline Prepared invalid(std::string reason) {
  return Prepared{Verdict::invalid, std::move(reason), {}};
}
inline Prepared retry_later(std::string reason) {
  return Prepared{Verdict::retry, std::move(reason), {}};
}

// One accepted activity, with its checked actor.
struct Received {
  const InboundActivity& job;
  const Activity& activity;
  const db::AccountRef& actor;
};

// Picks the family by type.
boost::asio::awaitable<Prepared> prepare_activity(Context& context, const Received& received);

// The activity's object as its origin says it (inbox_rules.hpp's
// object_source): the embedded one if on the actor's origin, else fetched.
// `failure` is set (and `document` empty) when it cannot be had.
struct Believed {
  std::optional<Document> document;
  Prepared failure;
};
boost::asio::awaitable<Believed> believe_object(Context& context, const Activity& activity);

// The families.
boost::asio::awaitable<Prepared> prepare_follow(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_accept(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_reject(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_create(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_update(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_delete(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_like(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_announce(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_block(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_flag(Context& context, const Received& received);
boost::asio::awaitable<Prepared> prepare_move(Context& context, const Received& received);

// Undo of an activity the actor sent (inbox_rules.hpp's read_undone).
// The writes that undo each kind, in the worker's transaction.
WriteResult undo_follow(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone);
WriteResult undo_like(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone);
WriteResult undo_announce(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone);
WriteResult undo_block(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone);

// Stores a remote status object (already believed and checked) as the
// actor's, with mentions resolved among known accounts; shared by Create
// and Announce (which stores the boosted status first).
WriteResult store_status(pqxx::transaction_base& tx, db::InboundStatus status,
                         const NamedAccounts& named);

// A status is worth storing when someone here follows its author, it names
// a local account (Mention tag or addressee), or it replies to a local
// status or to a status of an account someone here follows. (Mastodon's
// Create#related_to_local_activity? without relays.) Anything else is
// dropped: kith is not a relay, and storing every post a server pushes would
// let any server fill the database.
bool relevant_status(pqxx::transaction_base& tx, const db::InboundStatus& status,
                     const NamedAccounts& named);

}  // namespace kith::ap::inbox
