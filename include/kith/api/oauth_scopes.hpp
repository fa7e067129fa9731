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

}  // namespace kith::api
