// Lists: a local user's named groups of accounts it follows, each with its
// own timeline (GET /api/v1/timelines/list/:id), and which replies that
// timeline shows (replies_policy). An exclusive list's members are left out
// of the owner's home timeline (client_views.cpp, home_timeline).
//
// The one idea: a list belongs to one account and every function here takes
// that owner, so a list id of someone else's is simply not found. What this
// layer must never do: check follows for the caller (the api decides), or
// commit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Most lists one account may have (Mastodon's List::PER_ACCOUNT_LIMIT).
inline constexpr std::size_t kMaxListsPerAccount = 50;

struct ListRow {
  std::int64_t id = 0;
  std::string title;
  std::string replies_policy;  // followed, list or none
  bool exclusive = false;
};

// The owner's lists, oldest first (at most kMaxListsPerAccount).
std::vector<ListRow> lists_of(pqxx::transaction_base& tx, std::int64_t owner);
std::optional<ListRow> find_list(pqxx::transaction_base& tx, std::int64_t owner,
                                 std::int64_t list_id);
// The owner's lists that have `account_id` as a member.
std::vector<ListRow> lists_containing(pqxx::transaction_base& tx, std::int64_t owner,
                                      std::int64_t account_id);
std::size_t count_lists(pqxx::transaction_base& tx, std::int64_t owner);

ListRow insert_list(pqxx::transaction_base& tx, std::int64_t owner, const ListRow& list);
void update_list(pqxx::transaction_base& tx, const ListRow& list);
void delete_list(pqxx::transaction_base& tx, std::int64_t list_id);

// Membership. Members are shown, and their statuses read, only while the
// owner still follows them (or is the member): an unfollow leaves the row
// but takes the account out of the list's views.
bool is_list_member(pqxx::transaction_base& tx, std::int64_t list_id, std::int64_t account_id);
void add_list_member(pqxx::transaction_base& tx, std::int64_t list_id, std::int64_t account_id);
void remove_list_members(pqxx::transaction_base& tx, std::int64_t list_id,
                         const std::vector<std::int64_t>& account_ids);
// Members, one page by account id (ids grow with time), newest first.
std::vector<std::int64_t> list_members_page(pqxx::transaction_base& tx, std::int64_t owner,
                                            std::int64_t list_id, const PageRequest& page);
// Every member (for limit=0, Mastodon's "all accounts without paging"),
// at most `most`.
std::vector<std::int64_t> all_list_members(pqxx::transaction_base& tx, std::int64_t owner,
                                           std::int64_t list_id, std::size_t most);

// Whether `owner` follows `account_id` (accepted or still pending, as
// Mastodon accepts follow requests in lists), or is it.
bool may_list_account(pqxx::transaction_base& tx, std::int64_t owner, std::int64_t account_id);

}  // namespace kith::db
