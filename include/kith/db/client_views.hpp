// What the Mastodon client API shows, read from the database: accounts with
// their counts, statuses with their counts, mentions, hashtags and what the
// viewer did to them, timelines, relationships, follow lists. Plain values;
// kith::api renders them as Mastodon entities (api/entities.hpp).
//
// The one idea: who may see a status is one SQL condition (kVisibleTo
// below, in client_views.cpp) used by every query here, so a timeline, a
// profile and GET /statuses/:id cannot disagree. A viewer is a local
// account (tokens belong to local users) or 0 for nobody signed in.
// What it must never do: return a status its viewer may not see (a
// followers-only one to a non-follower, a direct one to someone not
// mentioned, a local-only one to nobody signed in), or a deleted one.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "kith/db/accounts.hpp"
#include "kith/db/paging.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

struct AccountView {
  std::int64_t id = 0;
  std::string username;
  std::string domain;  // "" for a local account
  std::string display_name;
  std::string note;  // sanitised HTML
  std::string uri;
  std::string url;
  std::string avatar_url;  // "" when none
  std::string header_url;
  bool locked = false;
  bool bot = false;
  bool discoverable = false;
  bool group = false;
  std::vector<ProfileField> fields;
  std::string created_at;      // ISO 8601, UTC
  std::string last_status_at;  // YYYY-MM-DD, "" when none
  std::int64_t followers_count = 0;
  std::int64_t following_count = 0;
  std::int64_t statuses_count = 0;
  bool suspended = false;
  std::int64_t moved_to_account_id = 0;  // 0 unless the account moved
  bool hide_collections = false;         // followers and following are not listed
  bool indexable = false;
};

// The accounts among `ids` that exist, by id.
std::map<std::int64_t, AccountView> account_views(pqxx::transaction_base& tx,
                                                  const std::vector<std::int64_t>& ids);

// Most mentions and hashtags shown per status.
inline constexpr std::size_t kMaxStatusViewMentions = 256;

struct MentionView {
  std::int64_t account_id = 0;
  std::string username;
  std::string domain;
  std::string url;
  std::string uri;
};

// Most media attachments and poll options shown per status (Mastodon
// shows 4 attachments of its own; other servers send more).
inline constexpr std::size_t kMaxStatusViewMedia = 16;
inline constexpr std::size_t kMaxStatusViewPollOptions = 64;

// A media attachment: a remote one has its remote URL only (kith does not
// copy remote media); a local upload has its file under media.directory.
struct MediaView {
  std::int64_t id = 0;
  std::string type;  // image, gifv, video, audio, unknown
  std::string remote_url;
  std::string description;  // "" when none
  std::string blurhash;     // "" when none
  std::string meta_json;    // {"original": {...}, "focus": {...}} or {}
  std::string file_path;    // local uploads: the stored file's name; "" otherwise
  std::string media_type;   // image/png ...; "" when unknown
};

struct PollOptionView {
  std::string title;
  std::optional<std::int64_t> votes;  // unknown when the server hides it
};

struct PollView {
  std::int64_t id = 0;
  std::string expires_at;  // "" when open-ended
  bool expired = false;    // closed, or past expires_at
  bool multiple = false;
  std::optional<std::int64_t> voters_count;
  std::vector<PollOptionView> options;
  std::vector<int> own_votes;  // the viewer's choices
  bool voted = false;          // the viewer voted, or is the author (Mastodon's Poll#voted?)
  bool hide_totals = false;    // counts hidden until it ends, but from the author
};

struct StatusView {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string uri;
  std::string url;
  bool local = false;
  std::string visibility;  // statuses.visibility
  std::string content;     // sanitised HTML
  std::string text;        // the source, local statuses only
  std::string spoiler_text;
  bool sensitive = false;
  std::string language;  // "" when unknown
  std::string created_at;
  std::string edited_at;  // "" when never edited
  std::optional<std::int64_t> in_reply_to_id;
  std::optional<std::int64_t> in_reply_to_account_id;
  std::optional<std::int64_t> reblog_of_id;
  std::int64_t replies_count = 0;
  std::int64_t reblogs_count = 0;
  std::int64_t favourites_count = 0;
  bool favourited = false;  // by the viewer
  bool reblogged = false;   // by the viewer
  bool bookmarked = false;  // by the viewer
  bool muted = false;       // the viewer muted its thread
  // Pinned by the viewer; nullopt unless the viewer may pin it (its own
  // status, not a boost, not direct: Mastodon shows `pinned` only then).
  std::optional<bool> pinned;
  std::vector<MentionView> mentions;
  std::vector<std::string> tags;
  std::vector<MediaView> media;  // in position order
  std::optional<PollView> poll;
};

// The statuses among `ids` that `viewer` may see, by id.
std::map<std::int64_t, StatusView> status_views(pqxx::transaction_base& tx,
                                                const std::vector<std::int64_t>& ids,
                                                std::int64_t viewer);

// Timelines: status ids, newest first, one page, only what `viewer` may see.
// Home: the viewer's own statuses and boosts and those of accounts it
// follows, and statuses that mention it.
std::vector<std::int64_t> home_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                        const PageRequest& page);
// Public: public statuses (no boosts), all, only local or only remote;
// local-only statuses too when `local` and a viewer is signed in; only
// those with media attachments when `only_media`.
enum class Origin { all, local, remote };
std::vector<std::int64_t> public_timeline(pqxx::transaction_base& tx, std::int64_t viewer,
                                          Origin origin, const PageRequest& page,
                                          bool only_media = false);
// One account's statuses and boosts (GET /api/v1/accounts/:id/statuses),
// narrowed as Mastodon's AccountStatusesFilter: boosts of statuses by
// accounts the viewer muted are left out.
struct AccountStatusFilter {
  bool exclude_replies = false;  // replies to others (a thread of one's own stays)
  bool exclude_reblogs = false;
  bool only_media = false;
  bool exclude_sensitive = false;
  bool pinned = false;  // only statuses the account pinned (status_pins)
  std::string tagged;   // only statuses with this hashtag (lower case); "" for any
};
std::vector<std::int64_t> account_statuses(pqxx::transaction_base& tx, std::int64_t account_id,
                                           std::int64_t viewer, const AccountStatusFilter& filter,
                                           const PageRequest& page);

// " NOT EXISTS (...)": status `s` is not hidden from the viewer in $1 by a
// mute (not expired) of its author or its boosted status's author, or by
// the viewer's block of their server. For the other timelines (lists,
// hashtags) to use, as home and public do.
const char* not_muted_sql();

// A thread around a status: its ancestors (oldest first) and descendants
// (depth first, in id order), at most `limit` each; visibility is applied
// when they are rendered (status_views). A deleted status ends the walk
// (its replies are not part of the thread any more, as in Mastodon).
std::vector<std::int64_t> ancestors(pqxx::transaction_base& tx, std::int64_t status_id,
                                    std::size_t limit);
// descendants() reads at most `limit` replies of each status and walks at
// most kDescendantsVisitedPerShown * limit rows (breadth first), however
// large the thread, down to kMaxDescendantDepth.
inline constexpr std::size_t kDescendantsVisitedPerShown = 4;
inline constexpr std::size_t kMaxDescendantDepth = 64;
std::vector<std::int64_t> descendants(pqxx::transaction_base& tx, std::int64_t status_id,
                                      std::size_t limit,
                                      std::size_t max_depth = kMaxDescendantDepth);

struct RelationshipView {
  std::int64_t id = 0;
  bool following = false, showing_reblogs = false, notifying = false, followed_by = false,
       blocking = false, blocked_by = false, requested = false, requested_by = false;
  // Mutes (not expired), the viewer's block of the target's server, its
  // endorsement and private note (migrations 0006, 0010).
  bool muting = false, muting_notifications = false, domain_blocking = false, endorsed = false;
  std::string note;
  std::optional<std::vector<std::string>> languages;  // of the viewer's follow; nullopt: all
};
RelationshipView relationship(pqxx::transaction_base& tx, std::int64_t viewer, std::int64_t target);

// Follows, one page, newest first: (follows.id as the cursor, the other
// account's id). Accepted ones for followers/following; pending ones of a
// target for its follow requests.
struct FollowListEntry {
  std::int64_t cursor = 0;
  std::int64_t account_id = 0;
};
std::vector<FollowListEntry> followers_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                            const PageRequest& page);
std::vector<FollowListEntry> following_page(pqxx::transaction_base& tx, std::int64_t account_id,
                                            const PageRequest& page);
std::vector<FollowListEntry> follow_requests_page(pqxx::transaction_base& tx,
                                                  std::int64_t account_id, const PageRequest& page);

// username@domain (domain "" for local), ignoring case: the account id.
std::optional<std::int64_t> account_id_by_acct(pqxx::transaction_base& tx,
                                               const std::string& username,
                                               const std::string& domain);
// By actor id or profile URL.
std::optional<std::int64_t> account_id_by_uri(pqxx::transaction_base& tx, const std::string& uri);
// A status by its object id or its URL (not deleted).
std::optional<std::int64_t> status_id_by_uri(pqxx::transaction_base& tx, const std::string& uri);

}  // namespace kith::db
