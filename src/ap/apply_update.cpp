// Update from other servers: of a status (an edit, or a poll's new vote
// counts) or of the actor itself (a profile change).
//
// An edit is held to Create's rule (the object is the actor's, on the
// actor's origin) and changes only a status kith already has, that is
// remote, not deleted, and the actor's own: an Update cannot create a status
// nor touch anyone else's. An Update of an actor may only be of the actor
// itself, and is not taken from the activity at all: the actor document is
// fetched again from its origin (RemoteActors, Refresh::always), which is
// what a key rotation needs too.
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

namespace {

asio::awaitable<Prepared> update_actor(Context& context, const Received& r,
                                       const std::string& object_id) {
  if (object_id != r.actor.uri) co_return invalid("Update of another actor");
  const auto refreshed = co_await context.actors.by_uri(r.actor.uri, Refresh::always);
  if (!refreshed) co_return retry_later("the actor could not be fetched again");
  // RemoteActors stored it; the job completes in the worker's transaction.
  co_return apply([](pqxx::transaction_base&) { return WriteResult{"actor refreshed", 0, false}; });
}

}  // namespace

asio::awaitable<Prepared> prepare_update(Context& context, const Received& r) {
  const Activity& activity = r.activity;
  // An actor's Update of itself needs nothing from the activity but the id.
  const std::string object_id = activity.embedded ? activity.embedded->id() : activity.object;
  if (object_id == r.actor.uri || (activity.embedded && activity.embedded->kind() == Kind::actor))
    co_return co_await update_actor(context, r, object_id);

  Believed believed = co_await believe_object(context, activity);
  if (!believed.document) co_return std::move(believed.failure);
  const Document& document = *believed.document;
  if (document.kind() == Kind::actor) co_return co_await update_actor(context, r, document.id());
  if (document.kind() != Kind::object || !is_status_type(document.type()))
    co_return ignored("Update of " + document.type() + " is not applied");
  const Object& object = std::get<Object>(document.value);
  if (auto error = authorship_error(object, r.actor.uri)) co_return invalid(*error);
  std::string error;
  auto status = status_from_object(object, r.actor.id, r.actor.followers_url, error);
  if (!status) co_return invalid(error);
  NamedAccounts named = named_accounts(object, r.actor.followers_url);
  co_return apply([status = std::move(*status),
                   named = std::move(named)](pqxx::transaction_base& tx) mutable {
    const auto existing = db::find_status_by_uri(tx, status.uri);
    if (!existing || existing->deleted)
      return WriteResult{"Update of a status kith does not have", 0, true};
    if (existing->account_id != status.account_id || existing->local || existing->reblog)
      throw Refused("Update of a status that is not the actor's");
    // Mentions the edit adds, among accounts kith knows.
    std::vector<std::string> uris = named.mentioned;
    uris.insert(uris.end(), named.addressed.begin(), named.addressed.end());
    for (const auto& known : db::find_known_accounts(tx, uris)) {
      const bool mentioned = std::find(named.mentioned.begin(), named.mentioned.end(), known.uri) !=
                             named.mentioned.end();
      (mentioned ? status.mentioned_account_ids : status.silent_account_ids).push_back(known.id);
    }
    const bool edited = db::update_remote_status(tx, existing->id, status);
    if (status.poll) db::update_poll(tx, existing->id, *status.poll);
    if (edited) return WriteResult{"status edited", 0, false};
    return WriteResult{status.poll ? "poll updated" : "no newer edit", 0, !status.poll};
  });
}

}  // namespace kith::ap::inbox
