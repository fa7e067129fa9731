// Hashtags as the client API sees them: a tag by name, its use over the
// last days (the Tag entity's history), and the tags a user follows
// (tag_follows; their statuses reach the home timeline, client_views.cpp).
// Tag names are stored lower case (tags.name); look-ups lower-case with
// PostgreSQL's lower(), as the inbox does when it stores them.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Days of history of the Tag entity (Mastodon shows a week).
inline constexpr int kTagHistoryDays = 7;

struct TagRow {
  std::int64_t id = 0;
  std::string name;
};

struct TagDay {
  std::int64_t day = 0;  // UNIX time of the day's midnight (UTC)
  std::int64_t uses = 0;
  std::int64_t accounts = 0;
};

std::optional<TagRow> find_tag(pqxx::transaction_base& tx, const std::string& name);
// The tag, made when it does not exist yet.
TagRow ensure_tag(pqxx::transaction_base& tx, const std::string& name);

// Per tag, kTagHistoryDays days, today first: statuses (not boosts, not
// deleted, public or unlisted) with the tag and their distinct authors.
std::map<std::int64_t, std::vector<TagDay>> tag_history(pqxx::transaction_base& tx,
                                                        const std::vector<std::int64_t>& tag_ids);

bool follows_tag(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t tag_id);
void follow_tag(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t tag_id);
void unfollow_tag(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t tag_id);
// How many tags the account follows, after locking its account row so that
// concurrent follows count one after the other.
std::int64_t count_followed_tags_locked(pqxx::transaction_base& tx, std::int64_t account_id);

// One page of followed tags, newest follow first: (tag_follows.id as the
// cursor, the tag).
struct FollowedTag {
  std::int64_t cursor = 0;
  TagRow tag;
};
std::vector<FollowedTag> followed_tags_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                            const PageRequest& page);

}  // namespace kith::db
