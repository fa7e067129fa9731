// Move from other servers: an account moved to a new one, and its local
// followers follow it there (Mastodon's ActivityPub::Activity::Move and
// MoveWorker).
//
// The actor may move only itself (object == actor), and the move is
// believed only if the target says so too: the target actor is fetched
// again from its origin (Refresh::always, never the cached copy) and must
// list the origin in alsoKnownAs. Then, in one transaction: the origin
// account is marked moved, and each local follower of the origin gets a
// follow of the target (a new follows row, pending until the target's
// server accepts, with its Follow queued through the outbox) and stops
// following the origin (Undo{Follow} queued, row removed). A repeated Move
// finds no local follower of the origin left and changes nothing.
#include <algorithm>
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/ap/move_followers.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

asio::awaitable<Prepared> prepare_move(Context& context, const Received& r) {
  const std::string origin_uri =
      r.activity.embedded ? r.activity.embedded->id() : r.activity.object;
  if (origin_uri != r.actor.uri) co_return invalid("Move of another account than the actor");
  const std::string target_uri = r.activity.target;
  if (target_uri.empty() || target_uri == origin_uri) co_return invalid("Move without a target");
  const auto target = co_await context.actors.by_uri(target_uri, Refresh::always);
  if (!target) co_return retry_later("the Move's target cannot be fetched");
  if (target->uri != target_uri) co_return invalid("the Move's target answered as another actor");
  if (std::find(target->also_known_as.begin(), target->also_known_as.end(), origin_uri) ==
      target->also_known_as.end())
    co_return invalid("the Move's target does not list the origin in alsoKnownAs");
  if (target->suspended) co_return ignored("the Move's target is suspended");
  const std::int64_t origin_id = r.actor.id;
  const std::int64_t target_id = target->id;
  const std::string host = context.host;
  co_return apply([=](pqxx::transaction_base& tx) {
    WriteResult result;
    const MovedFollowers moved = move_local_followers(tx, host, origin_id, target_id);
    result.deliveries = moved.deliveries;
    result.note = "account moved; " + std::to_string(moved.followers) + " local follower(s) moved";
    return result;
  });
}

}  // namespace kith::ap::inbox
