// Who may see a status over federation: the one place that says which
// statuses a fetch (of the status's URL, or of a collection that lists it)
// may return.
//
// A followers-only or direct status must never reach anyone it was not
// addressed to, and the ways in are many: the status URL, its /activity URL,
// the outbox, and later replies and context collections. The one idea: each
// of them asks this file, and nothing else decides. A fetch is anonymous
// unless it carries an HTTP Signature that verified (signed_fetch.cpp); the
// signer is then the key's owner, and:
//   public, unlisted  to anyone, signed or not;
//   private           (followers only) to a signer who is an accepted
//                     follower of the author, or is mentioned in the status;
//   direct            to a signer mentioned in it;
//   local             to nobody: never served as ActivityStreams.
// "Mentioned" is the status's mentions (the mentions table, silent ones
// included: a direct status's addressees). What it must never do: allow a
// private, direct or local status without a signer who is checked against
// the status's addressees, or let a response that depends on the signer be
// cached publicly.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kith/db/statuses.hpp"

namespace kith::ap {

// Who signed a fetch: the key's owner, resolved to an account, and what the
// route looked up about it for the account whose URL is fetched (every
// status and collection URL belongs to one author).
struct FetchSigner {
  std::int64_t account_id = 0;
  std::string actor_uri;        // accounts.uri, as the mentions carry it
  bool follows_author = false;  // an accepted follow of the author
};

// Whether `status` may be served to a fetch signed by `signer` (nullptr:
// unsigned), by the table above.
bool may_fetch(const db::StatusRecord& status, const FetchSigner* signer);

// The visibilities an account's collections (the outbox) may list for
// `signer`: public and unlisted, and private too for an accepted follower.
// Direct statuses are never listed (they are fetched by their URL only).
std::span<const db::Visibility> collection_visibilities(const FetchSigner* signer);

// Whether a response to `signer` may be cached by shared caches: only an
// unsigned one. Responses that may differ by signer are Cache-Control:
// private (and Vary: Accept, Signature; see signed_fetch.cpp).
bool publicly_cacheable(const FetchSigner* signer);

}  // namespace kith::ap
