// What other servers' activities write: the database side of the inbox
// worker (kith::ap's inbox_worker.hpp and src/ap/apply_*.cpp).
//
// The one idea: every function takes the worker's transaction, so an
// activity's writes and the completion of its job commit together, and every
// row an activity makes keeps the activity's (or its object's) id in a
// UNIQUE uri column and is written with ON CONFLICT DO NOTHING, so applying
// the same activity twice finds what the first time made and changes
// nothing. This layer stores what it is given: the caller has already
// decided the activity is true (origins checked, objects fetched from their
// origin), sanitised its HTML and chosen its visibility; SQL here knows
// nothing of ActivityStreams.
// What it must never do: touch a row that does not belong to the account the
// caller names (a Delete, Update or Undo acts only on the actor's own rows),
// or let a remote activity change a local status.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/statuses.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// ---------------------------------------------------------------------------
// Looking things up inside the worker's transaction.

struct StatusRef {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  bool local = false;
  bool deleted = false;
  bool reblog = false;  // a boost: reblog_of_id is set
  Visibility visibility = Visibility::public_;
};

// The status whose uri is `uri`, deleted ones included.
std::optional<StatusRef> find_status_by_uri(pqxx::transaction_base& tx, std::string_view uri);

struct LocalAccountRef {
  std::int64_t id = 0;
  bool locked = false;
  bool suspended = false;
};

// The local account whose actor id is `uri`.
std::optional<LocalAccountRef> find_local_account_by_uri(pqxx::transaction_base& tx,
                                                         std::string_view uri);

// The accounts (local and remote) among `uris` that kith knows, as
// (uri, id, local) in no particular order.
struct KnownAccount {
  std::string uri;
  std::int64_t id = 0;
  bool local = false;
};
std::vector<KnownAccount> find_known_accounts(pqxx::transaction_base& tx,
                                              const std::vector<std::string>& uris);

// Whether a local account follows `account_id` (accepted follows only).
bool followed_by_local_account(pqxx::transaction_base& tx, std::int64_t account_id);

// ---------------------------------------------------------------------------
// Statuses from other servers.

struct InboundAttachment {
  std::string type;  // image, gifv, video, audio or unknown
  std::string remote_url;
  std::string media_type;  // "" when not given
  std::string description;
  std::string blurhash;   // "" when not given
  std::string meta_json;  // {"original": {"width": …, "height": …}, "focus": {…}} or {}
};

struct InboundPollOption {
  std::string title;
  std::int64_t votes = 0;
};

struct InboundPoll {
  bool multiple = false;
  std::vector<InboundPollOption> options;
  std::optional<std::int64_t> voters_count;
  std::string expires_at;  // ISO 8601 as the remote server sent it (checked), "" for none
  std::string closed_at;   // likewise
};

struct InboundStatus {
  std::int64_t account_id = 0;  // the author (a remote account)
  std::string uri;              // the object's id
  std::string url;              // "" when none
  std::string activity_uri;     // the Create that brought it
  std::string content;          // sanitised HTML
  std::string spoiler_text;     // sanitised HTML of the summary ("" for none)
  bool sensitive = false;
  Visibility visibility = Visibility::direct;
  std::string language;         // "" when unknown
  std::string published;        // ISO 8601 (checked), "" for now
  std::string updated;          // ISO 8601 (checked): when it was last edited, "" if not given
  std::string in_reply_to_uri;  // "" when not a reply
  std::string quote_uri;        // "" when not a quote
  std::vector<std::int64_t> mentioned_account_ids;  // named in the text (Mention tags)
  std::vector<std::int64_t> silent_account_ids;     // addressed without being named
  std::vector<std::string> tags;                    // lower case, no '#', distinct
  std::vector<InboundAttachment> attachments;
  std::optional<InboundPoll> poll;
};

struct StoredStatus {
  std::int64_t id = 0;
  bool created = false;  // false: a status with this uri already existed
};

// Inserts the status with its mentions, tags, attachments and poll, unless
// a status with its uri exists (then nothing changes). The parent is linked
// (in_reply_to_id, in_reply_to_account_id) when known; in_reply_to_uri is
// kept either way.
StoredStatus insert_remote_status(pqxx::transaction_base& tx, const InboundStatus& status);

// An edit (Update{Note}): replaces content, summary, sensitive, language,
// quote, attachments and tags of the status `status_id`, adds new mentions
// and sets edited_at to status.updated (now when not given). Only a remote,
// not deleted, non-boost status of status.account_id is changed, and only
// by a newer edit: with `updated` given, when it is later than edited_at;
// without, when content, summary or sensitive differ. So the same Update
// applied twice changes nothing the second time. False when nothing changed.
// The poll is replaced (update_poll) whether or not the text changed:
// servers send vote counts as Updates of an unchanged Question.
bool update_remote_status(pqxx::transaction_base& tx, std::int64_t status_id,
                          const InboundStatus& status);

// The poll of `status_id` becomes `poll` (inserted if it had none).
void update_poll(pqxx::transaction_base& tx, std::int64_t status_id, const InboundPoll& poll);

// Delete{Note}: the status with this uri, if it is `account_id`'s and
// remote, is marked deleted (content and attachments cleared; the row stays
// so that a late Create of the same uri is recognised). Boosts of it go.
// False if there was nothing to delete.
bool delete_remote_status(pqxx::transaction_base& tx, std::int64_t account_id,
                          std::string_view uri);

// Delete{Person}: the account's statuses are marked deleted, its follows,
// favourites and blocks (both ways) removed, and the account suspended.
void delete_remote_account(pqxx::transaction_base& tx, std::int64_t account_id);

// ---------------------------------------------------------------------------
// Relations: follows, favourites, boosts, blocks.

struct InboundFollow {
  std::int64_t id = 0;
  bool created = false;
  bool accepted = false;
  bool uri_changed = false;  // it existed with another Follow id (now this one)
};

// A remote account's Follow of a local one: a follows row, accepted or
// pending, keeping the Follow's id. If the follow already exists (a repeated
// Follow with a new id) its uri becomes the new one and its state stays.
InboundFollow insert_inbound_follow(pqxx::transaction_base& tx, std::int64_t follower_id,
                                    std::int64_t target_id, std::string_view uri, bool accepted);

// Accept/Reject of a follow kith sent: the follows row of local account ->
// `remote_id`, found by its uri (`follow_uri`) or, when that is empty or
// unknown, by the pair (`local_id`, 0 for any). Accept makes it accepted;
// Reject removes it. Returns the follow's id, or nullopt if none matched.
std::optional<std::int64_t> accept_outbound_follow(pqxx::transaction_base& tx,
                                                   std::int64_t remote_id,
                                                   std::string_view follow_uri,
                                                   std::int64_t local_id);
std::optional<std::int64_t> reject_outbound_follow(pqxx::transaction_base& tx,
                                                   std::int64_t remote_id,
                                                   std::string_view follow_uri,
                                                   std::int64_t local_id);

// Undo{Follow}: removes `follower_id`'s follow with that uri, or of
// `target_id` when the uri is unknown (target_id 0: by uri only).
bool remove_inbound_follow(pqxx::transaction_base& tx, std::int64_t follower_id,
                           std::string_view uri, std::int64_t target_id);

// Like of a status: a favourites row keeping the Like's id. False if the
// account had already favourited it.
bool insert_favourite(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id,
                      std::string_view uri);
// Undo{Like}: by the Like's id, or of `status_id` when the id is unknown
// (0: by id only).
bool remove_favourite(pqxx::transaction_base& tx, std::int64_t account_id, std::string_view uri,
                      std::int64_t status_id);

// Announce: a boost (a statuses row with reblog_of_id, uri = the Announce's
// id, the boosted status's visibility unless `visibility` is narrower).
StoredStatus insert_reblog(pqxx::transaction_base& tx, std::int64_t account_id,
                           std::int64_t status_id, std::string_view uri, Visibility visibility,
                           std::string_view published);
// Undo{Announce}: removes the account's boost with that uri, or of
// `status_id` when the uri is unknown (0: by uri only).
bool remove_reblog(pqxx::transaction_base& tx, std::int64_t account_id, std::string_view uri,
                   std::int64_t status_id);

// Block: a blocks row keeping the Block's id, and the follows between the
// two accounts, both ways, removed. False if it already existed.
bool insert_block(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target_id,
                  std::string_view uri);
// Undo{Block}: by the Block's id, or of `target_id` when unknown.
bool remove_block(pqxx::transaction_base& tx, std::int64_t account_id, std::string_view uri,
                  std::int64_t target_id);

// Whether `account_id` blocks `target_id`.
bool blocks(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target_id);

// ---------------------------------------------------------------------------
// Reports and moves.

// Flag: a reports row keeping the Flag's id. False if it already existed.
bool insert_report(pqxx::transaction_base& tx, std::int64_t account_id,
                   std::int64_t target_account_id, const std::vector<std::int64_t>& status_ids,
                   std::string_view comment, std::string_view uri);

// Move: `origin_id` is marked moved to `target_id`. Returns the accepted or
// pending follows of `origin_id` by local accounts, as (follow id, follower
// id), for the caller to move.
struct FollowToMove {
  std::int64_t follow_id = 0;
  std::int64_t follower_id = 0;
};
std::vector<FollowToMove> mark_moved(pqxx::transaction_base& tx, std::int64_t origin_id,
                                     std::int64_t target_id);
// A pending follow of `target_id` by the local `follower_id`, whose uri is
// `<follower_uri>#follows/<its id>`, unless one exists. Returns its id when
// new.
std::optional<std::int64_t> insert_local_follow(pqxx::transaction_base& tx,
                                                std::int64_t follower_id, std::int64_t target_id);
void remove_follow(pqxx::transaction_base& tx, std::int64_t follow_id);

}  // namespace kith::db
