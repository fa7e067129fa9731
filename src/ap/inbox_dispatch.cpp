// The inbox worker's dispatcher: an activity's type picks the family that
// applies it (inbox_apply.hpp). Also here: what every family shares, the
// object as its origin says it (believe_object), and Undo, which crosses
// families (the undone activity's type decides whose rows it touches).
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

asio::awaitable<Believed> believe_object(Context& context, const Activity& activity) {
  Believed believed;
  switch (object_source(activity)) {
    case ObjectSource::none:
      believed.failure = invalid("the activity has no object");
      co_return believed;
    case ObjectSource::embedded:
      believed.document = *activity.embedded;
      co_return believed;
    case ObjectSource::fetch:
      break;
  }
  // Never what the sender embedded: what the object's origin serves at its id.
  const std::string id = activity.embedded ? activity.embedded->id() : activity.object;
  FetchResult fetched = co_await context.fetcher.fetch(id);
  if (!fetched) {
    const Verdict verdict = verdict_for_fetch(fetched.failure);
    believed.failure =
        Prepared{verdict,
                 "fetching " + id + " from its origin: " + std::string(describe(fetched.failure)) +
                     (fetched.detail.empty() ? "" : " (" + fetched.detail + ")"),
                 {}};
    co_return believed;
  }
  believed.document = std::move(fetched.document);
  co_return believed;
}

namespace {

// Undo: the undone activity must be the actor's own. Its rows are then
// looked up by its id among the actor's rows only, so even a well-formed
// Undo can only remove what the actor itself made.
Prepared prepare_undo(const Received& r) {
  std::string error;
  const auto read = read_undone(r.activity, r.actor.uri, error);
  if (!read) return invalid(error);
  const Undone undone = *read;
  const std::int64_t actor_id = r.actor.id;
  using Undoer = WriteResult (*)(pqxx::transaction_base&, std::int64_t, const Undone&);
  Undoer undoer = nullptr;
  if (undone.type == "Follow") undoer = undo_follow;
  if (undone.type == "Like") undoer = undo_like;
  if (undone.type == "Announce") undoer = undo_announce;
  if (undone.type == "Block") undoer = undo_block;
  if (undoer)
    return apply([undoer, actor_id, undone](pqxx::transaction_base& tx) {
      return undoer(tx, actor_id, undone);
    });
  if (!undone.type.empty()) return ignored("Undo of " + undone.type + " is not supported");
  // Only the id was given: whichever of the actor's rows carries it.
  return apply([actor_id, undone](pqxx::transaction_base& tx) {
    for (Undoer each : {undo_follow, undo_like, undo_announce, undo_block}) {
      WriteResult result = each(tx, actor_id, undone);
      if (!result.ignored) return result;
    }
    return WriteResult{"nothing of the actor's has that id", 0, true};
  });
}

}  // namespace

asio::awaitable<Prepared> prepare_activity(Context& context, const Received& r) {
  const std::string& type = r.activity.type;
  if (type == "Follow") co_return co_await prepare_follow(context, r);
  if (type == "Accept") co_return co_await prepare_accept(context, r);
  if (type == "Reject") co_return co_await prepare_reject(context, r);
  if (type == "Undo") co_return prepare_undo(r);
  if (type == "Create") co_return co_await prepare_create(context, r);
  if (type == "Update") co_return co_await prepare_update(context, r);
  if (type == "Delete") co_return co_await prepare_delete(context, r);
  if (type == "Like") co_return co_await prepare_like(context, r);
  if (type == "Announce") co_return co_await prepare_announce(context, r);
  if (type == "Block") co_return co_await prepare_block(context, r);
  if (type == "Flag") co_return co_await prepare_flag(context, r);
  if (type == "Move") co_return co_await prepare_move(context, r);
  // Featured collections (pins) are not kept yet: true, but nothing to do.
  if (type == "Add" || type == "Remove") co_return ignored(type + " is not applied yet");
  co_return invalid("unknown activity type " + type);
}

}  // namespace kith::ap::inbox
