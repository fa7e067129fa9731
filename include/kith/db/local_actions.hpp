// The rows a local user's action writes: statuses with their mentions and
// hashtags, edits and deletions, favourites, boosts, follows, blocks,
// reports and profile changes. Every function takes the caller's
// transaction, because the caller also queues the action's activity
// (kith::ap::outbox) in it: the row and its deliveries commit together.
// Ids are made first (next_id) when a row's uri must contain its id.
// What this layer must never do: check permissions (the caller decided),
// or commit.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/activity_sources.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// A fresh time-ordered id (kith_next_id()).
std::int64_t next_id(pqxx::transaction_base& tx);

struct NewStatus {
  std::int64_t id = 0;  // from next_id
  std::int64_t account_id = 0;
  std::string uri;
  std::string url;
  std::string text;     // the author's source
  std::string content;  // its HTML
  std::string spoiler_text;
  bool sensitive = false;
  std::string visibility;  // one of statuses.visibility's names
  std::string language;    // "" for none
  std::optional<std::int64_t> in_reply_to_id;
  std::vector<std::int64_t> mentioned_account_ids;  // distinct
  std::vector<std::string> tags;                    // lower case, distinct
};

void insert_local_status(pqxx::transaction_base& tx, const NewStatus& status);

// An edit: the current version is kept in status_edits first
// (save_status_version), then new text, HTML, warning, language, mentions
// and hashtags; edited_at set to now.
void update_local_status(pqxx::transaction_base& tx, const NewStatus& status);

// An edit's attachments (Mastodon's UpdateStatusService: the edit lists
// them all, in order): those of `media_ids` already on the status stay,
// the others must be the account's own, unattached and processed, and
// attachments not listed any more leave the status. False, when one of
// them is not usable: the caller rolls back.
bool replace_status_media(pqxx::transaction_base& tx, std::int64_t status_id,
                          std::int64_t account_id, const std::vector<std::int64_t>& media_ids);

// Marks it deleted (the row stays, so a late activity about it is
// recognised) and removes boosts and the pin of it.
void mark_status_deleted(pqxx::transaction_base& tx, std::int64_t status_id);

// The boost of `status_id` by `account_id`, if any (not deleted).
std::optional<std::int64_t> find_local_reblog(pqxx::transaction_base& tx, std::int64_t account_id,
                                              std::int64_t status_id);
// A boost row: no content of its own, reblog_of_id set. These three
// inserts return false, writing nothing, when the row already exists (a
// concurrent request made it): the caller then finds it and queues no
// activity.
bool insert_local_reblog(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                         std::int64_t status_id, const std::string& uri,
                         const std::string& visibility);
void delete_status_row(pqxx::transaction_base& tx, std::int64_t status_id);

std::optional<std::int64_t> find_local_favourite(pqxx::transaction_base& tx,
                                                 std::int64_t account_id, std::int64_t status_id);
bool insert_local_favourite(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                            std::int64_t status_id, const std::string& uri);
void delete_favourite(pqxx::transaction_base& tx, std::int64_t favourite_id);

std::optional<FollowRow> find_follow(pqxx::transaction_base& tx, std::int64_t account_id,
                                     std::int64_t target_account_id);
bool insert_local_follow(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                         std::int64_t target_account_id, const std::string& uri, bool accepted,
                         bool show_reblogs, bool notify);
void set_follow_options(pqxx::transaction_base& tx, std::int64_t follow_id, bool show_reblogs,
                        bool notify);
void accept_follow_row(pqxx::transaction_base& tx, std::int64_t follow_id);
void delete_follow(pqxx::transaction_base& tx, std::int64_t follow_id);

std::optional<BlockRow> find_block(pqxx::transaction_base& tx, std::int64_t account_id,
                                   std::int64_t target_account_id);
void insert_local_block(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                        std::int64_t target_account_id, const std::string& uri);
void delete_block(pqxx::transaction_base& tx, std::int64_t block_id);

void insert_local_report(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                         std::int64_t target_account_id,
                         const std::vector<std::int64_t>& status_ids, const std::string& comment,
                         const std::string& uri);

// A profile change; unset members stay as they are. Sets updated_at.
struct ProfileChange {
  std::optional<std::string> display_name;
  std::optional<std::string> note;  // HTML
  std::optional<bool> locked;
  std::optional<bool> discoverable;
  std::optional<bool> bot;
};
void update_profile(pqxx::transaction_base& tx, std::int64_t account_id,
                    const ProfileChange& change);

}  // namespace kith::db
