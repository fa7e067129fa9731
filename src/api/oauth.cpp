// POST /oauth/token and POST /oauth/revoke: OAuth 2 (RFC 6749, RFC 7009) as
// Mastodon clients use it.
//
// Grants: `password` (a username or e-mail and the password; Mastodon.py and
// command-line clients use it; api.password_grant switches it off) and
// `client_credentials` (an application token, for the few endpoints that
// need no user). Client authentication: client_id and client_secret in the
// body, or HTTP Basic (RFC 6749 2.3.1). Every failure is a JSON answer with
// RFC 6749 5.2's error codes, never a redirect: clients read the body.
//
// NOT HERE (issue 4): the authorization-code flow (GET /oauth/authorize, its
// sign-in and consent pages, PKCE), refresh tokens and the RFC 8414
// metadata document. They belong with the web pages, which the browser
// test drives.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/base64.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/db/oauth_tokens.hpp"
#include "kith/db/users.hpp"

namespace kith::api {
namespace {

// Longest client credentials, login and password looked at.
constexpr std::size_t kMaxCredentialLength = 1024;

http::Response oauth_error(int status, std::string_view error, std::string_view description) {
  http::Response response = http::json_response(
      status, nlohmann::json{{"error", error}, {"error_description", description}}.dump(
                  -1, ' ', false, nlohmann::json::error_handler_t::replace));
  // RFC 6749 5.1/5.2: token responses are never cached.
  response.set_header("Cache-Control", "no-store");
  response.set_header("Pragma", "no-cache");
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

}  // namespace

http::Handler token_handler(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const std::string grant_type = params.first("grant_type").value_or("");
    if (grant_type.empty())
      co_return oauth_error(400, "invalid_request", "The request is missing grant_type.");
    if (grant_type != "password" && grant_type != "client_credentials")
      co_return oauth_error(400, "unsupported_grant_type",
                            "The authorization grant type is not supported by the "
                            "authorization server.");
    if (grant_type == "password" && !routes.context.config.api.password_grant)
      co_return oauth_error(400, "unsupported_grant_type",
                            "The password grant is switched off on this server.");

    auto credentials = client_credentials(request, params);
    if (!credentials || credentials->id.size() > kMaxCredentialLength ||
        credentials->secret.size() > kMaxCredentialLength)
      co_return oauth_error(401, "invalid_client",
                            "Client authentication failed due to unknown client, no client "
                            "authentication included, or unsupported authentication method.");
    const ClientCredentials& client = *credentials;
    std::optional<db::ClientApplication> app =
        co_await routes.context.pool.run([&client](pqxx::connection& c) {
          return db::find_application_by_credentials(c, client.id, client.secret);
        });
    if (!app)
      co_return oauth_error(401, "invalid_client",
                            "Client authentication failed due to unknown client, no client "
                            "authentication included, or unsupported authentication method.");

    // The scopes asked for must be among the application's; none asked
    // means all of them (Mastodon grants the default scope, `read`, which
    // every application has; asking clients such as Mastodon.py say what
    // they want).
    std::vector<std::string> scopes = split_scopes(params.first("scope").value_or(""));
    if (scopes.empty()) scopes = split_scopes(params.first("scopes").value_or(""));
    if (scopes.empty()) scopes = {"read"};
    if (!scopes_within(scopes, app->scopes))
      co_return oauth_error(400, "invalid_scope",
                            "The requested scope is invalid, unknown, or malformed.");
    std::string scope_text;
    for (const std::string& scope : scopes) scope_text += (scope_text.empty() ? "" : " ") + scope;

    std::optional<std::int64_t> user_id;
    if (grant_type == "password") {
      const std::string login = params.first("username").value_or("");
      const std::string password = params.first("password").value_or("");
      if (login.empty() || password.empty() || login.size() > kMaxCredentialLength ||
          password.size() > kMaxCredentialLength)
        co_return oauth_error(400, "invalid_grant",
                              "The provided authorization grant is invalid, expired, revoked, "
                              "does not match the redirection URI used in the authorization "
                              "request, or was issued to another client.");
      // argon2 runs on the pool's thread, never on an I/O thread.
      std::optional<std::int64_t> verified =
          co_await routes.context.pool.run([&login, &password](pqxx::connection& c) {
            std::optional<std::int64_t> id;
            auto candidate = db::find_login(c, login);
            if (candidate && db::verify_password(password, candidate->password_hash) &&
                candidate->may_sign_in)
              id = candidate->user_id;
            return id;
          });
      if (!verified)
        co_return oauth_error(400, "invalid_grant",
                              "The provided authorization grant is invalid, expired, revoked, "
                              "does not match the redirection URI used in the authorization "
                              "request, or was issued to another client.");
      user_id = verified;
    }

    const std::int64_t application_id = app->id;
    db::IssuedToken issued = co_await routes.context.pool.run([&](pqxx::connection& c) {
      return db::create_access_token(c, application_id, user_id, scope_text);
    });
    http::Response response = json_ok({{"access_token", issued.token},
                                       {"token_type", "Bearer"},
                                       {"scope", scope_text},
                                       {"created_at", issued.created_at}});
    response.set_header("Cache-Control", "no-store");
    response.set_header("Pragma", "no-cache");
    co_return response;
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
    if (!credentials || credentials->id.size() > kMaxCredentialLength ||
        credentials->secret.size() > kMaxCredentialLength || token.size() > kMaxCredentialLength)
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

}  // namespace kith::api
