// Delete from other servers: of a status, or of the actor itself.
//
// An actor may delete only what is on its own origin, and the rows it
// touches are its own (db::delete_remote_status names the account). Nothing
// is fetched: the object is gone by now, and what is deleted is found by id
// in the database. A Delete of the actor removes the account's statuses,
// follows (both ways), favourites and blocks, and suspends the account row
// (kept, so that a late activity of the actor is recognised as gone). A
// Delete of a status kith does not have changes nothing (Mastodon keeps a
// short-lived "deleted first" marker; kith does not store tombstones for
// statuses it never had).
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

asio::awaitable<Prepared> prepare_delete(Context&, const Received& r) {
  const std::string object_id = r.activity.embedded ? r.activity.embedded->id() : r.activity.object;
  if (object_id.empty()) co_return invalid("Delete without an object");
  if (!same_origin(object_id, r.actor.uri))
    co_return invalid("Delete of an object on another origin than the actor's");
  const std::int64_t actor_id = r.actor.id;
  if (object_id == r.actor.uri)
    co_return apply([actor_id](pqxx::transaction_base& tx) {
      db::delete_remote_account(tx, actor_id);
      return WriteResult{"account deleted", 0, false};
    });
  co_return apply([actor_id, object_id](pqxx::transaction_base& tx) {
    if (db::delete_remote_status(tx, actor_id, object_id))
      return WriteResult{"status deleted", 0, false};
    return WriteResult{"nothing of the actor's to delete", 0, true};
  });
}

}  // namespace kith::ap::inbox
