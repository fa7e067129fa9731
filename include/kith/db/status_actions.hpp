// What a local user keeps about statuses besides favourites and boosts:
// bookmarks, pins, muted threads, and a status's earlier versions; and the
// lists the client API pages through (who favourited or boosted a status,
// a user's bookmarks and favourites).
//
// The one idea: every list is paged by its own row's id (a bookmark's, a
// favourite's, a boost's), so a page is an id range on an index whatever
// the status ids; a thread is named by its root (db::thread_root in
// notifications.hpp, which also mutes and unmutes threads), and whether
// the statuses of a page are in muted threads is one query for the page.
// Every write takes the caller's transaction; nothing here checks
// permissions (the caller decided) or commits.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Mastodon's StatusPinValidator: at most 5 pinned statuses per account.
inline constexpr std::size_t kMaxPinnedStatuses = 5;
// Most earlier versions read for GET /statuses/:id/history (the newest).
inline constexpr std::size_t kMaxStatusEditsShown = 200;

// Bookmarks: true when a row was written / removed.
bool insert_bookmark(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);
bool delete_bookmark(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);

// Pins.
std::size_t count_pins(pqxx::transaction_base& tx, std::int64_t account_id);
bool insert_pin(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);
bool delete_pin(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id);

// The statuses among `status_ids` whose thread root `account_id` muted
// (as db::thread_muted decides for one; a single index probe when the
// account muted nothing, else one walk up for the whole page).
std::set<std::int64_t> in_muted_threads(pqxx::transaction_base& tx, std::int64_t account_id,
                                        const std::vector<std::int64_t>& status_ids);

// An earlier version of a status (status_edits), as it was from created_at.
struct StatusEditRecord {
  std::string content;  // HTML
  std::string spoiler_text;
  bool sensitive = false;
  std::vector<std::int64_t> media_ids;
  std::optional<std::vector<std::string>> poll_options;  // titles, when it had a poll
  std::string created_at;                                // ISO 8601, UTC
};
// Oldest first, at most kMaxStatusEditsShown (the newest ones).
std::vector<StatusEditRecord> status_edits(pqxx::transaction_base& tx, std::int64_t status_id);

// Saves the current version of `status_id` as an earlier one (created_at:
// when it was written, its edited_at or created_at), before an edit.
void save_status_version(pqxx::transaction_base& tx, std::int64_t status_id);

// One page of a list whose cursor is its own row id, newest first.
struct ListEntry {
  std::int64_t cursor = 0;
  std::int64_t id = 0;  // an account id or a status id
};
// Accounts that favourited / boosted (public or unlisted boosts) a status.
std::vector<ListEntry> favourited_by_page(pqxx::transaction_base& tx, std::int64_t status_id,
                                          const PageRequest& page);
std::vector<ListEntry> reblogged_by_page(pqxx::transaction_base& tx, std::int64_t status_id,
                                         const PageRequest& page);
// Statuses a user bookmarked / favourited.
std::vector<ListEntry> bookmarks_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                      const PageRequest& page);
std::vector<ListEntry> favourites_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                       const PageRequest& page);

}  // namespace kith::db
