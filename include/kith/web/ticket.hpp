// The authorization ticket: what the consent page carries between the
// sign-in and the decision, so that kith keeps no web session. It holds
// who signed in and what the client asked for, with an expiry, and is
// sealed with HMAC-SHA256 under a server secret (instance_secrets), so the
// browser can carry it but not change it. It is bound to the browser's
// CSRF cookie (csrf_binding is a hash of the cookie's value): a ticket that
// leaks is useless in another browser.
// Pure functions: they are unit-tested without a server.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::web {

// Longest sealed ticket opened; longer input is refused unread.
inline constexpr std::size_t kMaxTicketLength = 8192;

struct AuthorizationTicket {
  std::int64_t user_id = 0;
  std::string client_id;
  std::string redirect_uri;
  std::string scope;  // space-separated
  std::string state;
  std::string code_challenge;  // empty: no PKCE
  std::string csrf_binding;
  std::int64_t expires_at = 0;  // Unix seconds
};

// base64url(JSON) "." base64url(HMAC-SHA256(key, base64url(JSON))).
std::string seal_ticket(const AuthorizationTicket& ticket, std::string_view key);

// The ticket, if `sealed` carries a valid MAC under `key` and has not
// expired at `now` (Unix seconds); nullopt otherwise.
std::optional<AuthorizationTicket> open_ticket(std::string_view sealed, std::string_view key,
                                               std::int64_t now);

// Hex SHA-256 of a CSRF token, what a ticket binds to.
std::string csrf_binding(std::string_view csrf_token);

// Constant-time equality of two secrets.
bool same_secret(std::string_view a, std::string_view b);

}  // namespace kith::web
