// Who follows an account and whom it follows, a page at a time: the
// followers and following collections. Only accepted follows count: these
// functions must never list or count a pending follow request, which is
// nobody's business but the two accounts'.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/paging.hpp"
#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

struct FollowEntry {
  std::int64_t follow_id = 0;  // the paging cursor
  std::string actor_uri;       // the other account's actor id
};

// Accounts that follow `account_id`, most recent follow first.
std::vector<FollowEntry> list_followers(pqxx::connection& connection, std::int64_t account_id,
                                        const PageRequest& page);
std::int64_t count_followers(pqxx::connection& connection, std::int64_t account_id);

// Accounts that `account_id` follows, most recent follow first.
std::vector<FollowEntry> list_following(pqxx::connection& connection, std::int64_t account_id,
                                        const PageRequest& page);
std::int64_t count_following(pqxx::connection& connection, std::int64_t account_id);

// A follower's options on one follow (POST /accounts/:id/follow on an
// existing follow or request, as Mastodon's FollowService changes them):
// unset members stay; `languages` empty means every language (NULL).
struct FollowOptions {
  std::optional<bool> show_reblogs;
  std::optional<bool> notify;
  std::optional<std::vector<std::string>> languages;
};
void update_follow_options(pqxx::transaction_base& tx, std::int64_t follow_id,
                           const FollowOptions& options);

}  // namespace kith::db
