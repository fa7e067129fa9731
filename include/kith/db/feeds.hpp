// The timelines of lists and hashtags (GET /api/v1/timelines/list/:id and
// /api/v1/timelines/tag/:hashtag), beside the home, public and account
// timelines of client_views.hpp, under the same visibility rule
// (kVisibleTo, shared through visibility_sql.hpp): status ids, newest first,
// one page.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kith/db/client_views.hpp"
#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Statuses and boosts of the list's members (those its owner, `viewer`,
// still follows), with its replies_policy applied as Mastodon's
// FeedManager#filter_from_list? does: a reply to oneself or to the owner is
// always shown; otherwise `followed` shows replies to accounts the owner
// follows, `list` replies to members of the list, `none` no replies.
std::vector<std::int64_t> list_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                        std::int64_t list_id, const std::string& replies_policy,
                                        const PageRequest& page);

// Public statuses (no boosts; local-only ones too for a signed-in viewer)
// tagged with any of `any` (the path's tag and any[]), all of `all`, none
// of `none` (tag names, lower case). An `all` tag that does not exist
// means no status.
struct TagQuery {
  std::vector<std::string> any;
  std::vector<std::string> all;
  std::vector<std::string> none;
  Origin origin = Origin::all;
  bool only_media = false;
};
std::vector<std::int64_t> tag_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                       const TagQuery& query, const PageRequest& page);

}  // namespace kith::db
