// POST /api/v1/apps: OAuth client registration, as Mastodon does it, from
// a JSON, form or multipart body. Any redirect URI that is absolute and has
// no fragment is accepted (custom schemes for mobile apps, loopback for
// desktop ones, urn:ietf:wg:oauth:2.0:oob for copy-the-code flows), several
// at once as an array or one per line; exact matching against them happens
// at authorization time (web/authorize.cpp), so nothing here can make the
// server redirect anywhere it was not told to.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/api/oauth_scopes.hpp"
#include "kith/api/params.hpp"
#include "kith/api/web_push.hpp"
#include "kith/db/applications.hpp"
#include "kith/db/oauth_tokens.hpp"
#include "routes_internal.hpp"

namespace kith::api {
namespace {

constexpr std::size_t kMaxAppNameLength = 60;
constexpr std::size_t kMaxUriLength = 2000;
constexpr std::size_t kMaxRedirectUris = 16;

std::vector<std::string> split(const std::string& text, std::string_view separators) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find_first_of(separators, start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

// An absolute URI: a scheme (RFC 3986 3.1) followed by ':' and something.
bool absolute_uri(const std::string& uri) {
  if (uri.size() > kMaxUriLength) return false;
  auto colon = uri.find(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == uri.size()) return false;
  if (!std::isalpha(static_cast<unsigned char>(uri[0]))) return false;
  for (std::size_t i = 1; i < colon; ++i) {
    char c = uri[i];
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return false;
  }
  for (char c : uri)
    if (static_cast<unsigned char>(c) <= 0x20 || c == 0x7f) return false;
  return true;
}

// RFC 6749 3.1.2: "The endpoint URI MUST NOT include a fragment component."
bool valid_redirect_uri(const std::string& uri) {
  return absolute_uri(uri) && uri.find('#') == std::string::npos;
}

http::Response validation_error(const std::string& message) {
  return http::error_response(422, "Validation failed: " + message);
}

}  // namespace

http::Handler create_app_handler(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);

    db::NewApplication app;
    app.name = params.first("client_name").value_or("");
    if (app.name.empty()) co_return validation_error("Application name can't be blank");
    if (app.name.size() > kMaxAppNameLength)
      co_return validation_error("Application name is too long (maximum is 60 characters)");
    app.website = params.first("website").value_or("");
    if (!app.website.empty() && !absolute_uri(app.website))
      co_return validation_error("Website is not a valid URL");

    for (const std::string& value : params.all("redirect_uris"))
      for (std::string& uri : split(value, "\r\n ")) app.redirect_uris.push_back(std::move(uri));
    if (app.redirect_uris.empty()) co_return validation_error("Redirect URI can't be blank");
    if (app.redirect_uris.size() > kMaxRedirectUris)
      co_return validation_error("Redirect URI has too many entries");
    for (const std::string& uri : app.redirect_uris)
      if (!valid_redirect_uri(uri))
        co_return validation_error("Redirect URI must be an absolute URI without a fragment.");

    // A string ("read write", "read+write") or, in JSON, an array.
    for (const std::string& value : params.all("scopes"))
      for (std::string& scope : split(value, " +"))
        if (std::find(app.scopes.begin(), app.scopes.end(), scope) == app.scopes.end())
          app.scopes.push_back(std::move(scope));
    if (app.scopes.empty()) app.scopes = {"read"};
    for (const std::string& scope : app.scopes)
      if (!scope_known(scope)) co_return validation_error("Scopes are not valid: " + scope);

    std::string vapid_key;
    db::Application created =
        co_await routes.context.pool.run([&app, &vapid_key](pqxx::connection& c) {
          {
            pqxx::work tx(c);  // the key pair is made on first use
            vapid_key = vapid_public_key(tx);
            tx.commit();
          }
          return db::create_application(c, app);
        });
    nlohmann::json body = {
        {"id", std::to_string(created.id)},
        {"name", created.name},
        {"website",
         created.website.empty() ? nlohmann::json(nullptr) : nlohmann::json(created.website)},
        {"scopes", created.scopes},
        {"redirect_uri", created.redirect_uris.front()},
        {"redirect_uris", created.redirect_uris},
        {"client_id", created.client_id},
        {"client_secret", created.client_secret},
        {"client_secret_expires_at", 0},
        {"vapid_key", vapid_key},
    };
    // Mastodon joins several redirect URIs with newlines in `redirect_uri`.
    std::string joined;
    for (const auto& uri : created.redirect_uris) joined += (joined.empty() ? "" : "\n") + uri;
    body["redirect_uri"] = joined;
    co_return http::json_response(200, body.dump());
  };
}

// GET /api/v1/apps/verify_credentials: the application behind the token
// (a user's or the app's own), as clients check a stored token. 401 for a
// missing, unknown, revoked or expired token.
http::Handler verify_app_handler(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<std::string> token = bearer_token(request);
    if (!token || token->empty() || token->size() > kMaxTokenLength)
      co_return http::error_response(401, "The access token is invalid");
    const std::string& value = *token;
    std::string vapid_key;
    std::optional<db::TokenGrant> grant = co_await routes.context.pool.run(
        [&value, &vapid_key](pqxx::connection& c) -> std::optional<db::TokenGrant> {
          auto found = db::find_access_token(c, value);
          if (!found) return found;
          pqxx::work tx(c);
          vapid_key = vapid_public_key(tx);
          tx.commit();
          return found;
        });
    if (!grant) co_return http::error_response(401, "The access token is invalid");
    nlohmann::json scopes = grant->scopes;
    const nlohmann::json body = {
        {"id", std::to_string(grant->application_id)},
        {"name", grant->application_name},
        {"website", grant->application_website.empty()
                        ? nlohmann::json(nullptr)
                        : nlohmann::json(grant->application_website)},
        {"scopes", std::move(scopes)},
        {"vapid_key", vapid_key},
    };
    co_return http::json_response(200, body.dump());
  };
}

}  // namespace kith::api
