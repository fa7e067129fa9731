// Moving the local followers of an account that moved; see
// include/kith/ap/move_followers.hpp.
#include "kith/ap/move_followers.hpp"

#include <pqxx/pqxx>

#include "kith/ap/outbox.hpp"
#include "kith/db/inbound.hpp"
#include "kith/db/local_actions.hpp"

namespace kith::ap {

MovedFollowers move_local_followers(pqxx::transaction_base& tx, std::string_view host,
                                    std::int64_t origin_id, std::int64_t target_id) {
  MovedFollowers moved;
  // A target on this server that is not locked accepts at once, as a local
  // follow does (api/follows.cpp); a remote one answers the Follow.
  const pqxx::result target =
      tx.exec_params("SELECT domain IS NULL AND NOT locked FROM accounts WHERE id = $1", target_id);
  const bool accepts_at_once = !target.empty() && target[0][0].as<bool>();
  for (const auto& follow : db::mark_moved(tx, origin_id, target_id)) {
    if (follow.follower_id != target_id && !db::blocks(tx, follow.follower_id, target_id) &&
        !db::blocks(tx, target_id, follow.follower_id)) {
      if (auto new_follow = db::insert_local_follow(tx, follow.follower_id, target_id)) {
        if (accepts_at_once)
          db::accept_follow_row(tx, *new_follow);
        else
          moved.deliveries += outbox::follow(tx, host, *new_follow);
      }
    }
    // Undo{Follow} is built from the row, so it is queued before the row goes.
    moved.deliveries += outbox::unfollow(tx, host, follow.follow_id);
    db::remove_follow(tx, follow.follow_id);
    ++moved.followers;
  }
  return moved;
}

}  // namespace kith::ap
