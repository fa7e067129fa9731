// Block and Undo{Block} from other servers.
//
// A remote account blocking a local one: the block is kept (so that the
// local account is not shown the blocker's posts and cannot follow it
// again unnoticed) and the follows between the two, both ways, end, as
// Mastodon's BlockService does on the receiving side. Only blocks of local
// accounts are kept: a block between two remote accounts is not kith's
// business.
#include <pqxx/pqxx>

#include "inbox_apply.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

namespace asio = boost::asio;

asio::awaitable<Prepared> prepare_block(Context& context, const Received& r) {
  const std::string target_uri = r.activity.object;
  if (target_uri.empty()) co_return invalid("Block without an object");
  if (!same_origin(target_uri, "https://" + context.host + "/"))
    co_return ignored("Block of an account on another server");
  const std::int64_t actor_id = r.actor.id;
  const std::string block_uri = r.activity.id;
  co_return apply([=](pqxx::transaction_base& tx) {
    const auto target = db::find_local_account_by_uri(tx, target_uri);
    if (!target) return WriteResult{"no such local account", 0, true};
    if (db::insert_block(tx, actor_id, target->id, block_uri))
      return WriteResult{"block stored, follows between the two removed", 0, false};
    return WriteResult{"block already stored", 0, true};
  });
}

WriteResult undo_block(pqxx::transaction_base& tx, std::int64_t actor_id, const Undone& undone) {
  std::int64_t target_id = 0;
  if (!undone.object.empty())
    if (auto target = db::find_local_account_by_uri(tx, undone.object)) target_id = target->id;
  if (db::remove_block(tx, actor_id, undone.id, target_id))
    return WriteResult{"block removed", 0, false};
  return WriteResult{"no such block", 0, true};
}

}  // namespace kith::ap::inbox
