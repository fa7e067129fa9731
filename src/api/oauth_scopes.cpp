// Mastodon's scope rules (oauth_scopes.hpp).
#include "kith/api/oauth_scopes.hpp"

#include <openssl/crypto.h>
#include <openssl/sha.h>

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

const std::vector<std::string>& known_scopes() {
  // Mastodon's config/initializers/doorkeeper.rb, in its order: top-level
  // scopes, then the granular ones under each.
  static const std::vector<std::string> scopes = {
      "read",
      "write",
      "follow",
      "push",
      "profile",
      "admin:read",
      "admin:write",
      "read:accounts",
      "read:blocks",
      "read:bookmarks",
      "read:favourites",
      "read:filters",
      "read:follows",
      "read:lists",
      "read:mutes",
      "read:notifications",
      "read:search",
      "read:statuses",
      "write:accounts",
      "write:blocks",
      "write:bookmarks",
      "write:conversations",
      "write:favourites",
      "write:filters",
      "write:follows",
      "write:lists",
      "write:media",
      "write:mutes",
      "write:notifications",
      "write:reports",
      "write:statuses",
      "admin:read:accounts",
      "admin:read:reports",
      "admin:read:domain_allows",
      "admin:read:domain_blocks",
      "admin:read:ip_blocks",
      "admin:read:email_domain_blocks",
      "admin:read:canonical_email_blocks",
      "admin:write:accounts",
      "admin:write:reports",
      "admin:write:domain_allows",
      "admin:write:domain_blocks",
      "admin:write:ip_blocks",
      "admin:write:email_domain_blocks",
      "admin:write:canonical_email_blocks",
  };
  return scopes;
}

bool scope_known(std::string_view scope) {
  const auto& all = known_scopes();
  return std::find(all.begin(), all.end(), scope) != all.end();
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const std::string& scope : scopes) out += (out.empty() ? "" : " ") + scope;
  return out;
}

namespace {

bool unreserved(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '_' || c == '~';
}

std::string base64url(const unsigned char* bytes, std::size_t size) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  std::uint32_t buffer = 0;
  int bits = 0;
  for (std::size_t i = 0; i < size; ++i) {
    buffer = (buffer << 8) | bytes[i];
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out += alphabet[(buffer >> bits) & 0x3f];
    }
  }
  if (bits > 0) out += alphabet[(buffer << (6 - bits)) & 0x3f];
  return out;
}

}  // namespace

bool valid_code_challenge(std::string_view challenge) {
  // SHA-256 is 32 bytes: 43 base64url characters without padding.
  return challenge.size() == 43 && std::all_of(challenge.begin(), challenge.end(), [](char c) {
           return unreserved(c) && c != '.' && c != '~';
         });
}

bool pkce_s256_matches(std::string_view verifier, std::string_view challenge) {
  // RFC 7636 4.1: code-verifier = 43*128unreserved.
  if (verifier.size() < 43 || verifier.size() > 128) return false;
  if (!std::all_of(verifier.begin(), verifier.end(), unreserved)) return false;
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(verifier.data()), verifier.size(), digest);
  const std::string computed = base64url(digest, sizeof digest);
  return computed.size() == challenge.size() &&
         CRYPTO_memcmp(computed.data(), challenge.data(), computed.size()) == 0;
}

}  // namespace kith::api
