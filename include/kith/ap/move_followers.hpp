// Moving the local followers of an account that moved (Mastodon's
// MoveWorker): shared by the inbox's Move (a remote account moved) and the
// client API's POST /api/v1/accounts/move (a local one did).
//
// The one idea: each local follower of the origin gets a follow of the
// target (accepted at once when the target is local and not locked, else
// pending with its Follow queued through the outbox) unless a block
// stands between them, and stops following the origin (Undo{Follow} queued,
// row removed), in the caller's transaction.
// What it must never do: follow a target that blocks the follower or that
// the follower blocks.
#pragma once

#include <cstdint>
#include <string_view>

namespace pqxx {
class transaction_base;
}

namespace kith::ap {

struct MovedFollowers {
  std::size_t followers = 0;   // local followers moved
  std::size_t deliveries = 0;  // delivery jobs queued
};

// Marks `origin_id` moved to `target_id` (db::mark_moved: remote origins;
// the client API marks a local origin itself) and moves its local followers.
MovedFollowers move_local_followers(pqxx::transaction_base& tx, std::string_view host,
                                    std::int64_t origin_id, std::int64_t target_id);

}  // namespace kith::ap
