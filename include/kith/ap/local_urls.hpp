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
// (callers check first) or a URL with a fragment other than a key id's.
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

// https://<host>/actor: the instance actor (an Application), with
// <instance actor>#main-key, /actor/inbox and /actor/outbox.
std::string instance_actor(std::string_view host);

// Whether `name` can be a local username ([A-Za-z0-9_]{1,30}, as
// db::create_local_user requires): anything else is not one of ours, and
// is answered 404 without asking the database.
bool valid_username(std::string_view name);

}  // namespace kith::ap::urls
