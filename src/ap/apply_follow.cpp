// Follow, Accept, Reject and Undo{Follow} from other servers.
//
// Follow of a local account: an unlocked account accepts at once, and the
// Accept is queued (outbox::accept_follow) in the same transaction as the
// follows row, so the follower is never accepted here without being told;
// a locked account gets a pending follow request. Accept and Reject only
// ever concern a Follow kith sent (found by follows.uri, or by the local
// follower) whose target is the actor: a server can accept or refuse
// follows of its own accounts and nothing else.
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

asio::awaitable<Prepared> prepare_follow(Context& context, const Received& r) {
  const std::string target_uri = r.activity.object;
  if (target_uri.empty()) co_return invalid("Follow without an object");
  if (!same_origin(target_uri, "https://" + context.host + "/"))
    co_return ignored("Follow of an account on another server");
  const std::int64_t follower_id = r.actor.id;
  const std::string follow_uri = r.activity.id;
  const std::string host = context.host;
  co_return apply([=](pqxx::transaction_base& tx) {
    const auto target = db::find_local_account_by_uri(tx, target_uri);
    if (!target || target->suspended) return WriteResult{"no such local account", 0, true};
    if (db::blocks(tx, target->id, follower_id))
      return WriteResult{"the account blocks the follower", 0, true};
    const db::InboundFollow follow =
        db::insert_inbound_follow(tx, follower_id, target->id, follow_uri, !target->locked);
    if (follow.id == 0) return WriteResult{"the Follow's id names another follow", 0, true};
    WriteResult result;
    if (!follow.accepted) {
      result.note = follow.created ? "follow request pending" : "follow request already pending";
      return result;
    }
    // Accepted: (re)tell the follower. A repeat of the same Follow sends
    // nothing; a new Follow for an existing follow is answered again, since
    // its server evidently lost the first Accept.
    if (follow.created || follow.uri_changed)
      result.deliveries = outbox::accept_follow(tx, host, follow.id);
    result.note = follow.created ? "follow accepted" : "already following";
    return result;
  });
}

namespace {

Prepared prepare_answer(const Received& r, bool accept) {
  std::string error;
  const auto read = read_answered_follow(r.activity, r.actor.uri, error);
  if (!read) return invalid(error);
  const AnsweredFollow answered = *read;
  const std::int64_t remote_id = r.actor.id;
  return apply([remote_id, answered, accept](pqxx::transaction_base& tx) {
    std::int64_t local_id = 0;
    if (!answered.follower_uri.empty())
      if (auto local = db::find_local_account_by_uri(tx, answered.follower_uri))
        local_id = local->id;
    const auto id = accept
                        ? db::accept_outbound_follow(tx, remote_id, answered.follow_uri, local_id)
                        : db::reject_outbound_follow(tx, remote_id, answered.follow_uri, local_id);
    if (!id) return WriteResult{"no follow of the actor by kith matches", 0, true};
    return WriteResult{
        accept ? "follow accepted by the remote account" : "follow rejected by the remote account",
        0, false};
  });
}

}  // namespace

asio::awaitable<Prepared> prepare_accept(Context&, const Received& r) {
  co_return prepare_answer(r, true);
}

asio::awaitable<Prepared> prepare_reject(Context&, const Received& r) {
  co_return prepare_answer(r, false);
}

WriteResult undo_follow(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone) {
  std::int64_t target_id = 0;
  if (!undone.object.empty())
    if (auto target = db::find_local_account_by_uri(tx, undone.object)) target_id = target->id;
  if (db::remove_inbound_follow(tx, actor_id, undone.id, target_id))
    return WriteResult{"unfollowed", 0, false};
  return WriteResult{"no such follow", 0, true};
}

}  // namespace kith::ap::inbox
