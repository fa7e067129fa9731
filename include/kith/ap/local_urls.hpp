// The URLs of everything kith publishes, in one place: actors, their keys,
// inboxes and collections, statuses and their activities, the instance
// actor. `host` is the configured public authority (domain[:port]); every
// URL is https, whatever the daemon itself listens on (TLS ends in front of
// it).
//
// Other servers store these URLs forever (as actor ids, key ids, object
// ids), so the scheme can never change once a server federates; it follows
// Mastodon's layout, which other servers' heuristics know. db/users.cpp
// writes the same actor URLs into each new account row, and what is stored
// in a row (accounts.uri, statuses.uri) is what is served: these functions
// are for building new ones and for recognising ours. What this file must
// never do: produce a URL for a name that is not a valid local username
// (callers check first), or an activity id that two different activities
// could share (receivers de-duplicate by id, so a reused id is a lost
// activity).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace kith::ap::urls {

// https://<host>
std::string origin(std::string_view host);

// https://<host>/users/<username>: the actor id (a Person).
std::string actor(std::string_view host, std::string_view username);
// <actor>#main-key: the key id in every signature the user makes.
std::string key_id(std::string_view actor_uri);
// https://<host>/@<username>: the profile page for people.
std::string profile_page(std::string_view host, std::string_view username);
// <actor>/inbox, /outbox, /followers, /following, /collections/featured.
std::string inbox(std::string_view actor_uri);
std::string outbox(std::string_view actor_uri);
std::string followers(std::string_view actor_uri);
std::string following(std::string_view actor_uri);
std::string featured(std::string_view actor_uri);
// https://<host>/inbox: the shared inbox.
std::string shared_inbox(std::string_view host);

// <actor>/statuses/<id>: a status's object id (a Note).
std::string status(std::string_view actor_uri, std::int64_t status_id);
// <status>/activity: the id of the Create that published it.
std::string status_activity(std::string_view status_uri);
// https://<host>/@<username>/<id>: the status page for people.
std::string status_page(std::string_view host, std::string_view username, std::int64_t status_id);

// https://<host>/tags/<name>: a hashtag's page (a Hashtag tag's href).
std::string tag_page(std::string_view host, std::string_view name);

// The ids of the activities kith sends. Each is stable (the same action
// always has the same id, so a repeated enqueue is one activity for the
// receiver) and unique (built from the row the action wrote). Activities
// about a row live under its actor with a fragment, as Mastodon names
// them; those about a status live under the status:
//   Follow      <actor>#follows/<follows.id>
//   Like        <actor>#likes/<favourites.id>
//   Block       <actor>#blocks/<blocks.id>
//   Accept      <actor>#accepts/follows/<follows.id>/<h>   (the local followee)
//   Reject      <actor>#rejects/follows/<follows.id>/<h>
//   Create      <status uri>/activity                  (status_activity)
//   Announce    <uri of the boost's own row>/activity   (status_activity)
//   Update      <status uri>#updates/<unix microseconds of the edit>
//   Delete      <status uri>#delete
//   Update      <actor>#updates/<unix microseconds of the change>  (the Person)
//   Delete      <actor>#delete                                  (the Person)
//   Move        <actor>#moves/<unix microseconds of accounts.updated_at>
//   Flag        https://<host>/actor#flags/<reports.id>  (sent by the instance actor)
//   Undo        <id of the undone activity>/undo
// <h> is the first 16 hex digits of SHA-256 of the answered Follow's id
// (follows.uri): a server that lost an Accept sends a new Follow, and the
// answer to it must be a new activity (the delivery queue, like the
// receiver, drops a second activity with the same id), while answering the
// same Follow twice stays one activity.
std::string follow_activity(std::string_view actor_uri, std::int64_t follow_id);
std::string like_activity(std::string_view actor_uri, std::int64_t favourite_id);
std::string block_activity(std::string_view actor_uri, std::int64_t block_id);
std::string accept_follow_activity(std::string_view actor_uri, std::int64_t follow_id,
                                   std::string_view follow_activity_id);
std::string reject_follow_activity(std::string_view actor_uri, std::int64_t follow_id,
                                   std::string_view follow_activity_id);
std::string update_activity(std::string_view object_uri, std::int64_t unix_micros);
std::string delete_activity(std::string_view object_uri);
std::string move_activity(std::string_view actor_uri, std::int64_t unix_micros);
std::string flag_activity(std::string_view host, std::int64_t report_id);
std::string undo_activity(std::string_view undone_id);

// The authority (host[:port]) of an https URL such as an actor id, "" if it
// is not one. For naming accounts (@user@host), not for security checks
// (kith::http::parse_url normalises).
std::string authority(std::string_view url);

// https://<host>/actor: the instance actor (an Application), with
// <instance actor>#main-key, /actor/inbox and /actor/outbox.
std::string instance_actor(std::string_view host);

// Whether `name` can be a local username ([A-Za-z0-9_]{1,30}, as
// db::create_local_user requires): anything else is not one of ours, and
// is answered 404 without asking the database.
bool valid_username(std::string_view name);

}  // namespace kith::ap::urls
