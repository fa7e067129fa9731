// OAuth scopes as Mastodon defines them: the top-level ones (read, write,
// follow, push, profile, admin:read, admin:write) and the granular ones
// (write:statuses, read:accounts...), where a top-level scope includes every
// granular scope under it and the legacy `follow` scope means
// read/write:follows, read/write:blocks and read/write:mutes.
// Pure functions, so the rules are tested on their own.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kith::api {

// Whether `granted` (a token's scopes) allows an action that needs `needed`
// (e.g. "write:statuses").
bool scope_allows(const std::vector<std::string>& granted, std::string_view needed);

// Whether every scope of `requested` is allowed by `registered` (an
// application's scopes): a token may not get more than its application.
bool scopes_within(const std::vector<std::string>& requested,
                   const std::vector<std::string>& registered);

// Splits on spaces and '+' (how scopes come in forms), dropping empties.
std::vector<std::string> split_scopes(std::string_view text);

// Every scope Mastodon defines, top-level ones first (RFC 8414's
// scopes_supported, and what POST /api/v1/apps accepts).
const std::vector<std::string>& known_scopes();
bool scope_known(std::string_view scope);

// The scopes joined with single spaces (how tokens and codes store them).
std::string join_scopes(const std::vector<std::string>& scopes);

// RFC 7636 4.1/4.6, the S256 method: whether `verifier` (43 to 128
// characters of [A-Za-z0-9-._~]) hashes to `challenge`, i.e.
// BASE64URL(SHA256(verifier)) == challenge, compared in constant time.
bool pkce_s256_matches(std::string_view verifier, std::string_view challenge);

// A code_challenge as RFC 7636 4.2 allows for S256: 43 base64url characters.
bool valid_code_challenge(std::string_view challenge);

}  // namespace kith::api
