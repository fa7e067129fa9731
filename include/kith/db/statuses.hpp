// Statuses as other servers and browsers see them: one status, and an
// account's statuses a page at a time. Which visibilities a caller may see
// is decided by kith::ap (visibility.hpp) and passed in; this layer only
// filters by it, so the rule lives in one place.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/paging.hpp"
#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// statuses.visibility (migrations/0001_core.sql).
enum class Visibility {
  public_,   // as:Public in to; on public timelines
  unlisted,  // as:Public in cc; off public timelines
  private_,  // followers only
  direct,    // mentioned accounts only
  local,     // this server's users only, never federated
};

std::string_view visibility_name(Visibility visibility);
std::optional<Visibility> parse_visibility(std::string_view name);

// An account a status mentions (migrations/0004: mentions).
struct StatusMention {
  std::string actor_uri;
  std::string username;
  std::string domain;   // "" for a local account
  bool silent = false;  // addressed, not named in the text: no Mention tag
};

// Most mentions and hashtags read for one status (a local status has at
// most kith::api's limits; a remote one what the reader kept).
inline constexpr std::size_t kMaxStatusMentions = 256;
inline constexpr std::size_t kMaxStatusTags = 256;
// Attachments read per status (kith attaches at most 4; this bounds old rows).
inline constexpr std::size_t kMaxStatusAttachments = 16;

// A local upload attached to a status, as federation describes it.
struct StatusAttachment {
  std::string file_path;   // under media.directory, served at /system/media/<file_path>
  std::string media_type;  // image/png ...
  std::string description;
  std::string blurhash;   // "" when none
  std::string meta_json;  // {"original": {"width", "height"}, "focus": {"x", "y"}}
};

// A local status's poll (migrations/0004: polls), sent as a Question.
struct StatusPollOption {
  std::string title;
  std::int64_t votes = 0;
};
struct StatusPoll {
  bool multiple = false;
  std::vector<StatusPollOption> options;
  std::string end_time;  // ISO 8601, "" when open-ended
  std::string closed;    // when it ended, "" while open
  std::int64_t voters_count = 0;
};

struct StatusRecord {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string uri;  // the object id: https://<host>/users/<username>/statuses/<id>
  std::string url;  // the page for people: https://<host>/@<username>/<id>; may be ""
  Visibility visibility = Visibility::public_;
  std::string content;       // sanitised HTML
  std::string spoiler_text;  // the content warning, "" for none
  bool sensitive = false;
  std::string language;         // "" when unknown
  std::string in_reply_to_uri;  // the parent's uri, "" when not a reply
  std::string created_at;       // ISO 8601, UTC
  std::string edited_at;        // "" when never edited
  std::string account_uri;      // the author's actor id
  std::string account_followers_url;
  std::vector<StatusMention> mentions;        // in mention order
  std::vector<std::string> tags;              // hashtag names, lower case, without '#'
  std::optional<StatusPoll> poll;             // a Question when set
  std::vector<StatusAttachment> attachments;  // local uploads, in order
};

// A local, not deleted, original (not a boost) status of the account, or
// nullopt. Any visibility: the caller applies kith::ap::may_fetch.
std::optional<StatusRecord> find_local_status(pqxx::connection& connection, std::int64_t account_id,
                                              std::int64_t status_id);

// The same, by status id alone, inside the caller's transaction (the
// outbox reads what the caller has just written): any local, not deleted,
// original status, whatever its author.
std::optional<StatusRecord> find_local_status(pqxx::transaction_base& txn, std::int64_t status_id);

// The account's local, not deleted, original statuses with one of
// `visibilities`, newest first, one page.
std::vector<StatusRecord> list_account_statuses(pqxx::connection& connection,
                                                std::int64_t account_id,
                                                std::span<const Visibility> visibilities,
                                                const PageRequest& page);
std::int64_t count_account_statuses(pqxx::connection& connection, std::int64_t account_id,
                                    std::span<const Visibility> visibilities);

}  // namespace kith::db
