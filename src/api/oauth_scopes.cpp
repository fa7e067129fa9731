// Mastodon's scope rules (oauth_scopes.hpp).
#include "kith/api/oauth_scopes.hpp"

#include <algorithm>

namespace kith::api {

bool scope_allows(const std::vector<std::string>& granted, std::string_view needed) {
  auto has = [&granted](std::string_view scope) {
    return std::find(granted.begin(), granted.end(), scope) != granted.end();
  };
  if (has(needed)) return true;
  // "write:statuses" is included in "write"; "admin:read:accounts" in
  // "admin:read".
  if (auto colon = needed.rfind(':');
      colon != std::string_view::npos && has(needed.substr(0, colon)))
    return true;
  static constexpr std::string_view kFollowScopes[] = {
      "read:follows", "write:follows", "read:blocks", "write:blocks", "read:mutes", "write:mutes"};
  if (has("follow") && std::find(std::begin(kFollowScopes), std::end(kFollowScopes), needed) !=
                           std::end(kFollowScopes))
    return true;
  return false;
}

bool scopes_within(const std::vector<std::string>& requested,
                   const std::vector<std::string>& registered) {
  return std::all_of(requested.begin(), requested.end(), [&registered](const std::string& scope) {
    return scope_allows(registered, scope);
  });
}

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(" +", start);
    if (end == std::string_view::npos) end = text.size();
    if (end > start) {
      std::string scope(text.substr(start, end - start));
      if (std::find(out.begin(), out.end(), scope) == out.end()) out.push_back(std::move(scope));
    }
    start = end + 1;
  }
  return out;
}

}  // namespace kith::api
