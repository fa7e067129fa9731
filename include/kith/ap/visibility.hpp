// Who may see a status over federation: the one place that says which
// statuses a fetch (of the status's URL, or of a collection that lists it)
// may return.
//
// A followers-only or direct status must never reach anyone it was not
// addressed to, and the ways in are many: the status URL, its /activity URL,
// the outbox, and later replies and context collections. The one idea: each
// of them asks this file, and nothing else decides. Today nobody is
// authenticated on the fetch side (there is no signed-fetch verification
// yet), so only public and unlisted statuses are ever served; local-only
// statuses are never served as ActivityStreams to anyone. What it must
// never do: allow a private, direct or local status without a signer who is
// checked against the status's addressees.
#pragma once

#include <cstdint>
#include <span>
#include <string>

#include "kith/db/statuses.hpp"

namespace kith::ap {

// Who signed a fetch, once HTTP Signatures on GET are verified (the inbox
// work): the key's owner, resolved to an account.
struct FetchSigner {
  std::int64_t account_id = 0;
  std::string actor_uri;
};

// Whether `status` may be served to a fetch signed by `signer` (nullptr:
// unsigned). Today: public and unlisted only, for everyone.
bool may_fetch(const db::StatusRecord& status, const FetchSigner* signer);

// The visibilities an account's collections (the outbox) may list for
// `signer`: what may_fetch allows without looking at addressees.
std::span<const db::Visibility> collection_visibilities(const FetchSigner* signer);

// Whether a response to `signer` may be cached by shared caches: only when
// it cannot depend on who signed (today: always, since no signer is ever
// honoured). Responses that may differ by signer are Cache-Control: private.
bool publicly_cacheable(const FetchSigner* signer);

}  // namespace kith::ap
