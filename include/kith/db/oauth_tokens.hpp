// OAuth 2 access tokens and what granting one needs: the client
// application's credentials and the user signing in. A token is random
// (core::random_token) and stored only as its SHA-256 hash, like client
// secrets (applications.hpp): a leaked database holds no working token.
// What this layer must never do: return a token of a revoked grant, of a
// disabled user or of a suspended account, or keep the plain token anywhere.
#pragma once

#include <cstdint>
#include <functional>
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

// The same after checking `password`: nullopt when the login is unknown,
// the password wrong or the user may not sign in. An unknown login still
// costs one argon2 verification (against a fixed hash), so the answer's
// timing does not tell which logins exist. `on_candidate` is called with
// the user id before the password is checked; returning false stops there
// (the caller's throttle says that account is locked for now).
struct LoginResult {
  std::optional<LoginCandidate> user;     // set when the password was right
  std::optional<std::int64_t> candidate;  // the user the login named, right password or not
  bool refused = false;                   // on_candidate said no
};
LoginResult verify_login(pqxx::connection& connection, std::string_view login,
                         std::string_view password,
                         const std::function<bool(std::int64_t user_id)>& on_candidate);

struct IssuedToken {
  std::string token;                         // the only time the plain token exists
  std::optional<std::string> refresh_token;  // likewise, when one was issued
  std::int64_t created_at = 0;               // Unix seconds
  std::string scopes;                        // space-separated
};

// A new token for the application, for `user_id` (nullopt: an app token
// from client_credentials), with `scopes` (space-separated). Records the
// sign-in time for a user token.
IssuedToken create_access_token(pqxx::connection& connection, std::int64_t application_id,
                                std::optional<std::int64_t> user_id, const std::string& scopes);

// The same with a refresh token (RFC 6749 section 6), and the
// authorization code the grant came from (0: none).
IssuedToken create_access_token_with_refresh(pqxx::connection& connection,
                                             std::int64_t application_id, std::int64_t user_id,
                                             const std::string& scopes,
                                             std::int64_t authorization_code_id);

// An application found by its public client_id (the authorize page knows
// no secret): nullopt when unknown.
struct AuthorizingApplication {
  std::int64_t id = 0;
  std::string name;
  std::string website;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> scopes;
};
std::optional<AuthorizingApplication> find_application_by_client_id(pqxx::connection& connection,
                                                                    std::string_view client_id);

// The user's handle and whether they may still sign in, for the consent page
// and for issuing a code.
struct SigningInUser {
  std::int64_t user_id = 0;
  std::string username;
  bool may_sign_in = false;
};
std::optional<SigningInUser> find_signing_in_user(pqxx::connection& connection,
                                                  std::int64_t user_id);

// A new single-use authorization code (RFC 6749 4.1.2), valid for
// kAuthorizationCodeLifetime, stored only as its hash. Returns the code.
inline constexpr int kAuthorizationCodeLifetimeSeconds = 600;
struct NewAuthorizationCode {
  std::int64_t application_id = 0;
  std::int64_t user_id = 0;
  std::string redirect_uri;
  std::string scopes;          // space-separated
  std::string code_challenge;  // empty: no PKCE
};
std::string create_authorization_code(pqxx::connection& connection,
                                      const NewAuthorizationCode& code);

// Redeems a code for `application_id`, once. The code is marked used in the
// same transaction, so a second redemption finds it used: then every token
// issued from it (and refreshed from those) is revoked (RFC 6749 4.1.2) and
// `reused` is set. Unknown, expired or another application's code: nullopt.
struct RedeemedCode {
  std::int64_t id = 0;
  std::int64_t user_id = 0;
  std::string redirect_uri;
  std::string scopes;
  std::string code_challenge;  // empty: no PKCE
  bool reused = false;
};
std::optional<RedeemedCode> redeem_authorization_code(pqxx::connection& connection,
                                                      std::int64_t application_id,
                                                      std::string_view code);

// Refresh-token rotation: revokes the token that `refresh_token` belongs
// to (it must be the application's, live, and its user may sign in) and
// issues a new token and refresh token with `scopes` (empty: the old
// scopes). Nullopt when the refresh token is not valid. `allowed` checks
// the scopes asked for against the old grant's; false means nullopt too.
std::optional<IssuedToken> rotate_refresh_token(
    pqxx::connection& connection, std::int64_t application_id, std::string_view refresh_token,
    const std::function<std::optional<std::string>(const std::string& old_scopes)>& scopes_for);

// A server-wide secret by name from instance_secrets, made of 32 random
// bytes on first use (concurrent daemons agree: the first insert wins).
std::string instance_secret(pqxx::connection& connection, const std::string& name);

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

// Revokes `token` (an access or a refresh token) if the application
// `application_id` owns it. RFC 7009 2.2: revoking an unknown token is not
// an error, so nothing is returned.
void revoke_access_token(pqxx::connection& connection, std::int64_t application_id,
                         std::string_view token);

}  // namespace kith::db
