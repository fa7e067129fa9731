// What a signed fetch needs to know about its signer beyond the status
// itself (whose mentions db::StatusRecord carries): whether the signer is an
// accepted follower of the author.
#pragma once

#include <cstdint>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

// True when `follower_id` follows `account_id` and the follow was accepted
// (a pending follow request grants nothing).
bool accepted_follower(pqxx::connection& connection, std::int64_t follower_id,
                       std::int64_t account_id);

}  // namespace kith::db
