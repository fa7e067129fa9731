// The inbox worker's decisions that need no database and no network: what
// an activity's addressing means, which of its parts may be believed, and
// how a remote object becomes a status. Pure functions, so that the trust
// rules are unit-tested on documents alone.
//
// The one idea: the HTTP side proved who SENT the activity (the signer is
// its actor, and the activity id is on the actor's origin); everything the
// activity embeds is still only what that actor claims. An actor is the
// authority on its own origin and nothing else: an embedded object on the
// actor's origin is believed as sent, one on any other origin is fetched
// from that origin (Fetcher checks the id is the URL that answered), and an
// object the actor claims to author must be attributed to the actor and
// live on the actor's origin (Mastodon's invalid_origin?, GoToSocial's
// federatingdb checks).
// What these rules must never do: believe an object because a third party
// embedded it, or let a URL compare equal to another origin's by spelling
// (origins are compared after http::parse_url's normalisation).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "kith/ap/activity.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/db/inbound.hpp"

namespace kith::ap::inbox {

// What becomes of an inbound activity.
enum class Verdict {
  apply,    // write it (in one transaction with the job's completion)
  ignore,   // true but irrelevant here (a Like of a remote status): done, nothing written
  invalid,  // false or malformed (a bad origin, an unknown type): failed, never retried
  retry,    // could not be decided now (a remote server did not answer): later
};

std::string_view verdict_name(Verdict verdict);

// Whether both are URLs with the same origin (scheme, normalised host,
// port). False when either does not parse.
bool same_origin(std::string_view a, std::string_view b);

// Mastodon's rule (StatusParser#visibility): as:Public in `to` -> public; in
// `cc` (or audience) -> unlisted; the author's followers collection
// addressed (to or cc) -> private; otherwise direct.
db::Visibility visibility_from_addressing(const Addressing& addressing,
                                          std::string_view followers_url);

// Which version of an activity's object to use.
enum class ObjectSource {
  embedded,  // embedded and on the actor's origin: the actor's own word
  fetch,     // given by id, or embedded on another origin: ask its origin
  none,      // neither an id nor an embedded object: the activity is invalid
};
ObjectSource object_source(const Activity& activity);

// For an object the actor claims to author (Create, Update of a Note): an
// error if it is not attributed to the actor or its id is not on the
// actor's origin; nullopt when it may be stored as the actor's.
std::optional<std::string> authorship_error(const Object& object, std::string_view actor);

// Undo: the undone activity, which must be the actor's own. `id` is its id;
// when the sender embedded it, `type` and `object` say what it was (used
// only to find the actor's own row, never believed beyond that).
struct Undone {
  std::string id;
  std::string type;    // "" when only the id was given
  std::string object;  // the undone activity's object id, "" when unknown
};
// The undone activity of `undo` by `actor`, or an error: an embedded
// undone activity whose actor is not the actor, something embedded that is
// not an activity, no id, or an id on another origin than the actor's.
std::optional<Undone> read_undone(const Activity& undo, std::string_view actor, std::string& error);

// Accept or Reject: the Follow it answers. `follow_uri` is its id;
// `follower_uri` the (local) follower when the sender embedded the Follow.
struct AnsweredFollow {
  std::string follow_uri;
  std::string follower_uri;  // "" when not embedded
};
// The Follow `answer` (by `actor`) answers, or an error: something embedded
// that is not a Follow, or a Follow of anyone but the actor (only the
// followed account answers).
std::optional<AnsweredFollow> read_answered_follow(const Activity& answer, std::string_view actor,
                                                   std::string& error);

// What a failed fetch means for the activity that needed it.
Verdict verdict_for_fetch(FetchFailure failure);

// Types read as statuses: Note, Question (a poll), Article, Page, and the
// media types Mastodon converts (Image, Video, Audio, Event).
bool is_status_type(std::string_view type);

// The status a remote object describes, as far as the document says:
// content and summary sanitised, visibility from addressing, hashtags,
// attachments, poll, reply and quote. Mentions are account ids, so the
// caller adds them. nullopt with `error` set when the HTML cannot be
// sanitised (over the sanitiser's limits).
std::optional<db::InboundStatus> status_from_object(const Object& object, std::int64_t account_id,
                                                    std::string_view followers_url,
                                                    std::string& error);

// The actor ids a status names: Mention hrefs, then to/cc addressees (not
// the public collection or the followers collection), each once.
struct NamedAccounts {
  std::vector<std::string> mentioned;  // Mention tags
  std::vector<std::string> addressed;  // in to/cc/bto/bcc/audience but not mentioned
};
NamedAccounts named_accounts(const Object& object, std::string_view followers_url);

}  // namespace kith::ap::inbox
