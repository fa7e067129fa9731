// kith's own data (database values) -> the ActivityStreams vocabulary of
// activity.hpp, which activity_writer.hpp then writes. One direction per
// file: this is where a field of a local account or status becomes a
// property of an actor or object, so a field's journey out is found here.
//
// The one idea: addressing follows from visibility alone, in one function,
// the way Mastodon writes it (public: as:Public in to, followers in cc;
// unlisted: the reverse; private: followers only), so that what kith serves
// and what it later delivers agree. What it must never do: be asked to
// convert a local-only status (visibility.hpp keeps those away), or put
// anything private (keys, emails) into a document.
#pragma once

#include <span>
#include <string>
#include <string_view>

#include "kith/ap/activity.hpp"
#include "kith/db/accounts.hpp"
#include "kith/db/instance_actor.hpp"
#include "kith/db/statuses.hpp"

namespace kith::ap {

// A local account as a Person (a Service when it is a bot).
Actor local_actor(const db::LocalAccount& account);

// The instance actor (https://<host>/actor) as an Application whose
// preferredUsername is the host.
Actor instance_actor(std::string_view host, const db::InstanceActorPublic& keys);

// to/cc for a status of `visibility` by an author with `followers_url`,
// mentioning the actors `mentioned` (silent ones included), as Mastodon
// writes it: public: to as:Public, cc followers and mentions; unlisted: to
// followers, cc as:Public and mentions; private: to followers, cc mentions;
// direct: to mentions only; local: nobody (never federated).
Addressing status_addressing(db::Visibility visibility, std::string_view followers_url,
                             std::span<const std::string> mentioned = {});
// The same for a stored status (its mentions).
Addressing status_addressing(const db::StatusRecord& status);

// A status as a Note: content, summary and sensitive (a content warning
// makes it sensitive), inReplyTo, a Mention tag per named mention, a Hashtag
// tag per hashtag (href: the tag's page on the author's server).
Object status_note(const db::StatusRecord& status);

// The Create that published a status, with the Note embedded; its id is
// local_urls.hpp's status_activity(uri).
Activity status_create(const db::StatusRecord& status);

}  // namespace kith::ap
