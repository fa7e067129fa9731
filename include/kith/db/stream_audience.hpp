// Who may be sent a status on a stream: the facts the streaming hub needs
// to decide, for each signed-in user with an open stream, whether an event
// about a status belongs on that user's home, list, direct and public
// streams. Plain values; the hub renders (api/streaming_hub.cpp).
//
// The conditions mirror the timelines (client_views.cpp): home is the
// viewer's own statuses, those of accounts it follows (boosts only when it
// shows their reblogs), those that mention it, and public statuses with a
// hashtag it follows, less what the home timeline itself leaves out (the
// authors of the viewer's exclusive lists, statuses mentioning an account
// it muted, languages a follow left out: the same SQL as db::home_timeline).
// Whether the viewer may see the status at all is not
// decided here: the hub renders every status through db::status_views for
// that viewer, which applies the one visibility rule, so nothing a viewer
// may not see is ever sent even if these facts were wrong.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace kith::db {

struct StreamedStatus {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string visibility;
  bool local = false;
  bool reblog = false;
  bool reply_to_other = false;  // a reply to another account (or to an unknown status)
  bool has_media = false;
  bool deleted = false;
  std::vector<std::string> tags;  // lower case
};

// The status `id`, deleted or not; nullopt when there is no such row.
std::optional<StreamedStatus> streamed_status(pqxx::transaction_base& tx, std::int64_t id);

struct StreamViewer {
  bool home = false;       // belongs in the viewer's home timeline
  bool direct = false;     // a direct status the viewer wrote or is mentioned in
  bool muted = false;      // the viewer mutes its author (or the boosted one) or blocks its domain
  bool could_see = false;  // its audience included the viewer (deletion ignored)
  std::vector<std::int64_t> lists;  // the viewer's lists with the author as a member
};

// For each of `viewers` (local account ids), what status `status_id` is to
// it; empty when the status does not exist.
std::map<std::int64_t, StreamViewer> stream_viewers(pqxx::transaction_base& tx,
                                                    std::int64_t status_id,
                                                    const std::vector<std::int64_t>& viewers);

// Which of `viewers` could have seen a status that no longer exists, from
// the facts its deletion event carried: everyone for public, unlisted and
// local; otherwise its author, the accounts it mentioned and, for private
// (followers-only), the author's accepted followers. An unknown (empty)
// visibility counts as direct.
std::vector<std::int64_t> deleted_status_audience(pqxx::transaction_base& tx,
                                                  std::int64_t author_id,
                                                  const std::string& visibility,
                                                  const std::vector<std::int64_t>& mentioned,
                                                  const std::vector<std::int64_t>& viewers);

// Whether list `list_id` exists and belongs to `account_id`.
bool list_belongs_to(pqxx::transaction_base& tx, std::int64_t list_id, std::int64_t account_id);

}  // namespace kith::db
