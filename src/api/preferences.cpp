// GET /api/v1/preferences: the user's posting defaults and reading choices,
// which clients apply themselves (Mastodon's preferences_controller.rb and
// REST::PreferencesSerializer). The posting defaults are the ones
// update_credentials' source[privacy], source[sensitive] and
// source[language] set (users.default_*, migration 0006).
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/accounts.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

http::Handler preferences(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto settings = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::account_settings(tx, caller.account_id);
    });
    if (!settings) co_return not_found();
    co_return json_ok({
        {"posting:default:visibility", settings->default_privacy},
        {"posting:default:sensitive", settings->default_sensitive},
        {"posting:default:language",
         settings->default_language.empty() ? json(nullptr) : json(settings->default_language)},
        {"reading:expand:media", settings->expand_media},
        {"reading:expand:spoilers", settings->expand_spoilers},
    });
  };
}

}  // namespace

void add_preference_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/preferences", preferences(routes));
}

}  // namespace kith::api
