// OAuth 2 access tokens and what granting one needs: the client
// application's credentials and the user signing in. A token is random
// (core::random_token) and stored only as its SHA-256 hash, like client
// secrets (applications.hpp): a leaked database holds no working token.
// What this layer must never do: return a token of a revoked grant, of a
// disabled user or of a suspended account, or keep the plain token anywhere.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

// A client application authenticated by client_id and client_secret.
struct ClientApplication {
  std::int64_t id = 0;
  std::string name;
  std::string website;
  std::vector<std::string> scopes;  // what it registered for
};

// The application whose client_id is `client_id` and whose secret hashes to
// the stored hash, or nullopt (unknown id and wrong secret alike).
std::optional<ClientApplication> find_application_by_credentials(pqxx::connection& connection,
                                                                 std::string_view client_id,
                                                                 std::string_view client_secret);

// Who is signing in with the password grant: the local user whose username
// (ignoring case) or e-mail (ignoring case) is `login`.
struct LoginCandidate {
  std::int64_t user_id = 0;
  std::int64_t account_id = 0;
  std::string password_hash;
  bool may_sign_in = false;  // not disabled, account not suspended
};
std::optional<LoginCandidate> find_login(pqxx::connection& connection, std::string_view login);

struct IssuedToken {
  std::string token;            // the only time the plain token exists
  std::int64_t created_at = 0;  // Unix seconds
};

// A new token for the application, for `user_id` (nullopt: an app token
// from client_credentials), with `scopes` (space-separated). Records the
// sign-in time for a user token.
IssuedToken create_access_token(pqxx::connection& connection, std::int64_t application_id,
                                std::optional<std::int64_t> user_id, const std::string& scopes);

// What a bearer token grants: nullopt for an unknown, revoked or expired
// token, or one whose user is disabled or whose account is suspended.
struct TokenGrant {
  std::int64_t token_id = 0;
  std::int64_t application_id = 0;
  std::string application_name;
  std::string application_website;
  std::optional<std::int64_t> user_id;     // nullopt: an app token
  std::optional<std::int64_t> account_id;  // the user's account
  std::vector<std::string> scopes;
};
std::optional<TokenGrant> find_access_token(pqxx::connection& connection, std::string_view token);

// Revokes `token` if the application `application_id` owns it. RFC 7009
// 2.2: revoking an unknown token is not an error, so nothing is returned.
void revoke_access_token(pqxx::connection& connection, std::int64_t application_id,
                         std::string_view token);

}  // namespace kith::db
