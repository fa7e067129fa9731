// POST /oauth/token, POST /oauth/revoke and the RFC 8414 metadata document:
// OAuth 2 (RFC 6749, RFC 7009, RFC 7636) as Mastodon clients use it.
//
// Grants: `authorization_code` (the code the sign-in and consent pages of
// web/authorize.cpp gave the client; the redirect_uri must be the one the
// code was issued for, the PKCE verifier must match when a challenge was
// given, and a code is redeemed once: a second redemption revokes what the
// first one issued), `refresh_token` (rotates: the old access and refresh
// tokens stop working), `password` (a username or e-mail and the password;
// command-line clients and Mastodon.py use it; api.password_grant switches
// it off) and `client_credentials` (an application token, for the few
// endpoints that need no user). Code and password grants come with a
// refresh token. Client authentication: client_id and client_secret in the
// body, or HTTP Basic (RFC 6749 2.3.1). Failed passwords count against the
// address and the account in the LoginThrottle (429 when exceeded).
//
// Every answer is JSON, failures with RFC 6749 5.2's error codes, and never
// a redirect: clients read the body.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/base64.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/db/oauth_tokens.hpp"
#include "kith/db/users.hpp"

namespace kith::api {
namespace {

// Longest client credentials, login, password, code and token looked at.
constexpr std::size_t kMaxCredentialLength = 1024;

constexpr std::string_view kInvalidGrant =
    "The provided authorization grant is invalid, expired, revoked, does not match the "
    "redirection URI used in the authorization request, or was issued to another client.";
constexpr std::string_view kInvalidClient =
    "Client authentication failed due to unknown client, no client authentication included, or "
    "unsupported authentication method.";

http::Response no_store(http::Response response) {
  // RFC 6749 5.1/5.2: token responses are never cached.
  response.set_header("Cache-Control", "no-store");
  response.set_header("Pragma", "no-cache");
  return response;
}

http::Response oauth_error(int status, std::string_view error, std::string_view description) {
  return no_store(http::json_response(
      status, nlohmann::json{{"error", error}, {"error_description", description}}.dump(
                  -1, ' ', false, nlohmann::json::error_handler_t::replace)));
}

http::Response throttled(std::chrono::seconds wait) {
  http::Response response =
      oauth_error(429, "Too many requests",
                  "Too many failed sign-in attempts. Wait a few minutes and try again.");
  response.set_header("Retry-After", std::to_string(wait.count()));
  return response;
}

struct ClientCredentials {
  std::string id;
  std::string secret;
};

// From HTTP Basic if present, else from the parameters.
std::optional<ClientCredentials> client_credentials(const http::Request& request,
                                                    const Params& params) {
  if (auto header = request.header("Authorization");
      header && header->size() > 6 && http::iequals(header->substr(0, 6), "Basic ")) {
    auto decoded = ap::base64_decode(std::string(header->substr(6)));
    if (!decoded) return std::nullopt;
    const std::string text(decoded->begin(), decoded->end());
    const auto colon = text.find(':');
    if (colon == std::string::npos) return std::nullopt;
    auto id = http::percent_decode(text.substr(0, colon), true);
    auto secret = http::percent_decode(text.substr(colon + 1), true);
    if (!id || !secret) return std::nullopt;
    return ClientCredentials{*id, *secret};
  }
  auto id = params.first("client_id");
  auto secret = params.first("client_secret");
  if (!id || !secret) return std::nullopt;
  return ClientCredentials{*id, *secret};
}

// The scopes asked for: `scope` (RFC 6749) or `scopes` (some clients),
// `read` when neither is given (Mastodon's default scope, which every
// application has).
std::vector<std::string> requested_scopes(const Params& params) {
  std::vector<std::string> scopes = split_scopes(params.first("scope").value_or(""));
  if (scopes.empty()) scopes = split_scopes(params.first("scopes").value_or(""));
  if (scopes.empty()) scopes = {"read"};
  return scopes;
}

http::Response token_answer(const db::IssuedToken& issued) {
  nlohmann::json body = {{"access_token", issued.token},
                         {"token_type", "Bearer"},
                         {"scope", issued.scopes},
                         {"created_at", issued.created_at}};
  if (issued.refresh_token) body["refresh_token"] = *issued.refresh_token;
  return no_store(json_ok(body));
}

bool too_long(const std::string& value) {
  return value.size() > kMaxCredentialLength;
}

// grant_type=password: the login is a username or an e-mail address.
boost::asio::awaitable<http::Response> password_grant(ApiRoutes& routes,
                                                      const http::Request& request,
                                                      const Params& params,
                                                      const db::ClientApplication& app,
                                                      const std::string& scope_text) {
  if (!routes.context.config.api.password_grant)
    co_return oauth_error(400, "unsupported_grant_type",
                          "The password grant is switched off on this server.");
  const std::string login = params.first("username").value_or("");
  const std::string password = params.first("password").value_or("");
  if (login.empty() || password.empty() || too_long(login) || too_long(password))
    co_return oauth_error(400, "invalid_grant", kInvalidGrant);
  LoginThrottle& throttle = routes.login_throttle;
  const std::string& address = request.remote_address;
  if (auto wait = throttle.address_blocked(address)) co_return throttled(*wait);
  // argon2 runs on the pool's thread, never on an I/O thread.
  db::LoginResult result =
      co_await routes.context.pool.run([&login, &password, &throttle](pqxx::connection& c) {
        return db::verify_login(c, login, password, [&throttle](std::int64_t user_id) {
          return !throttle.account_blocked(user_id);
        });
      });
  if (result.refused) {
    co_return throttled(
        throttle.account_blocked(*result.candidate).value_or(std::chrono::seconds(1)));
  }
  if (!result.user) {
    throttle.record_failure(address, result.candidate);
    co_return oauth_error(400, "invalid_grant", kInvalidGrant);
  }
  const std::int64_t application_id = app.id;
  const std::int64_t user_id = result.user->user_id;
  db::IssuedToken issued = co_await routes.context.pool.run([&](pqxx::connection& c) {
    return db::create_access_token_with_refresh(c, application_id, user_id, scope_text, 0);
  });
  co_return token_answer(issued);
}

// grant_type=authorization_code (RFC 6749 4.1.3, RFC 7636 4.5-4.6).
boost::asio::awaitable<http::Response> code_grant(ApiRoutes& routes, const Params& params,
                                                  const db::ClientApplication& app) {
  const std::string code = params.first("code").value_or("");
  const std::string redirect_uri = params.first("redirect_uri").value_or("");
  const std::optional<std::string> verifier = params.first("code_verifier");
  if (code.empty() || too_long(code) || too_long(redirect_uri))
    co_return oauth_error(400, "invalid_request", "The request is missing the code.");
  const std::int64_t application_id = app.id;
  std::optional<db::RedeemedCode> redeemed =
      co_await routes.context.pool.run([&code, &application_id](pqxx::connection& c) {
        return db::redeem_authorization_code(c, application_id, code);
      });
  if (!redeemed) co_return oauth_error(400, "invalid_grant", kInvalidGrant);
  if (redeemed->reused)
    co_return oauth_error(400, "invalid_grant",
                          "The authorization code was already used; the tokens issued from it "
                          "are revoked.");
  // RFC 6749 4.1.3: "ensure that the redirect_uri parameter is present ...
  // and if included ensure that their values are identical."
  if (redirect_uri != redeemed->redirect_uri)
    co_return oauth_error(400, "invalid_grant", kInvalidGrant);
  if (!redeemed->code_challenge.empty()) {
    if (!verifier || !pkce_s256_matches(*verifier, redeemed->code_challenge))
      co_return oauth_error(400, "invalid_grant",
                            "The code verifier does not match the code challenge.");
  } else if (verifier) {
    // No challenge was sent with the authorization request: a verifier now
    // means someone downgraded the request (OAuth 2.1 4.1.3).
    co_return oauth_error(400, "invalid_grant",
                          "A code verifier was sent but no code challenge was.");
  }
  const db::RedeemedCode& grant = *redeemed;
  std::optional<db::IssuedToken> issued =
      co_await routes.context.pool.run([&grant, &application_id](pqxx::connection& c) {
        std::optional<db::IssuedToken> out;
        auto user = db::find_signing_in_user(c, grant.user_id);
        if (user && user->may_sign_in)
          out = db::create_access_token_with_refresh(c, application_id, grant.user_id, grant.scopes,
                                                     grant.id);
        return out;
      });
  if (!issued) co_return oauth_error(400, "invalid_grant", kInvalidGrant);
  co_return token_answer(*issued);
}

// grant_type=refresh_token (RFC 6749 6): `scope`, if given, must be within
// the original grant's.
boost::asio::awaitable<http::Response> refresh_grant(ApiRoutes& routes, const Params& params,
                                                     const db::ClientApplication& app) {
  const std::string refresh_token = params.first("refresh_token").value_or("");
  if (refresh_token.empty() || too_long(refresh_token))
    co_return oauth_error(400, "invalid_request", "The request is missing the refresh_token.");
  const std::vector<std::string> asked = split_scopes(params.first("scope").value_or(""));
  const std::int64_t application_id = app.id;
  bool scope_too_wide = false;
  std::optional<db::IssuedToken> issued = co_await routes.context.pool.run(
      [&refresh_token, &asked, &scope_too_wide, &application_id](pqxx::connection& c) {
        return db::rotate_refresh_token(
            c, application_id, refresh_token,
            [&asked, &scope_too_wide](const std::string& old) -> std::optional<std::string> {
              if (asked.empty()) return old;
              if (!scopes_within(asked, split_scopes(old))) {
                scope_too_wide = true;
                return std::nullopt;
              }
              return join_scopes(asked);
            });
      });
  if (scope_too_wide)
    co_return oauth_error(400, "invalid_scope",
                          "The requested scope is invalid, unknown, or malformed.");
  if (!issued) co_return oauth_error(400, "invalid_grant", kInvalidGrant);
  co_return token_answer(*issued);
}

}  // namespace

http::Handler token_handler(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const std::string grant_type = params.first("grant_type").value_or("");
    if (grant_type.empty())
      co_return oauth_error(400, "invalid_request", "The request is missing grant_type.");
    if (grant_type != "password" && grant_type != "client_credentials" &&
        grant_type != "authorization_code" && grant_type != "refresh_token")
      co_return oauth_error(400, "unsupported_grant_type",
                            "The authorization grant type is not supported by the "
                            "authorization server.");
    if (grant_type == "password" && !routes.context.config.api.password_grant)
      co_return oauth_error(400, "unsupported_grant_type",
                            "The password grant is switched off on this server.");

    auto credentials = client_credentials(request, params);
    if (!credentials || too_long(credentials->id) || too_long(credentials->secret))
      co_return oauth_error(401, "invalid_client", kInvalidClient);
    const ClientCredentials& client = *credentials;
    std::optional<db::ClientApplication> app =
        co_await routes.context.pool.run([&client](pqxx::connection& c) {
          return db::find_application_by_credentials(c, client.id, client.secret);
        });
    if (!app) co_return oauth_error(401, "invalid_client", kInvalidClient);

    if (grant_type == "authorization_code") co_return co_await code_grant(routes, params, *app);
    if (grant_type == "refresh_token") co_return co_await refresh_grant(routes, params, *app);

    // The scopes asked for must be known and among the application's.
    const std::vector<std::string> scopes = requested_scopes(params);
    if (!std::all_of(scopes.begin(), scopes.end(),
                     [](const std::string& s) { return scope_known(s); }) ||
        !scopes_within(scopes, app->scopes))
      co_return oauth_error(400, "invalid_scope",
                            "The requested scope is invalid, unknown, or malformed.");
    const std::string scope_text = join_scopes(scopes);
    if (grant_type == "password")
      co_return co_await password_grant(routes, request, params, *app, scope_text);

    // client_credentials: an application token, no refresh token (RFC
    // 6749 4.4.3).
    const std::int64_t application_id = app->id;
    db::IssuedToken issued = co_await routes.context.pool.run([&](pqxx::connection& c) {
      return db::create_access_token(c, application_id, std::nullopt, scope_text);
    });
    co_return token_answer(issued);
  };
}

http::Handler revoke_handler(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    auto credentials = client_credentials(request, params);
    const std::string token = params.first("token").value_or("");
    if (token.empty()) co_return oauth_error(400, "invalid_request", "The token is missing.");
    if (!credentials || too_long(credentials->id) || too_long(credentials->secret) ||
        too_long(token))
      co_return oauth_error(403, "unauthorized_client",
                            "You are not authorized to revoke this token");
    const ClientCredentials& client = *credentials;
    const bool revoked = co_await routes.context.pool.run([&](pqxx::connection& c) {
      auto app = db::find_application_by_credentials(c, client.id, client.secret);
      if (!app) return false;
      db::revoke_access_token(c, app->id, token);
      return true;
    });
    if (!revoked)
      co_return oauth_error(403, "unauthorized_client",
                            "You are not authorized to revoke this token");
    co_return json_ok(nlohmann::json::object());
  };
}

http::Handler oauth_metadata_handler(ApiRoutes& routes) {
  return [&routes](http::Request&) -> boost::asio::awaitable<http::Response> {
    const std::string base = "https://" + routes.context.config.host;
    nlohmann::json grants = {"authorization_code", "client_credentials", "refresh_token"};
    if (routes.context.config.api.password_grant) grants.push_back("password");
    // RFC 8414 2; app_registration_endpoint is Mastodon's addition.
    nlohmann::json body = {
        {"issuer", base + "/"},
        {"service_documentation", "https://docs.joinmastodon.org/"},
        {"authorization_endpoint", base + "/oauth/authorize"},
        {"token_endpoint", base + "/oauth/token"},
        {"revocation_endpoint", base + "/oauth/revoke"},
        {"app_registration_endpoint", base + "/api/v1/apps"},
        {"scopes_supported", known_scopes()},
        {"response_types_supported", {"code"}},
        {"response_modes_supported", {"query"}},
        {"grant_types_supported", grants},
        {"token_endpoint_auth_methods_supported", {"client_secret_basic", "client_secret_post"}},
        {"revocation_endpoint_auth_methods_supported",
         {"client_secret_basic", "client_secret_post"}},
        {"code_challenge_methods_supported", {"S256"}},
    };
    http::Response response = json_ok(body);
    response.set_header("Cache-Control", "public, max-age=300");
    co_return response;
  };
}

}  // namespace kith::api
