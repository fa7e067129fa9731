// Endpoints clients call at start-up or on their explore and profile tabs
// that kith answers with little or nothing, well-formed, so that no client
// meets an error page: trends, announcements, follow suggestions, custom
// emojis, featured tags (all empty), the profile directory (discoverable
// accounts), and the instance's peers, weekly activity, rules, extended
// description, privacy policy, translation languages and domain blocks.
//
// Each answers with the entity Mastodon documents (an empty array, {}, or
// {updated_at, content}) and the authorisation Mastodon asks for: the
// public ones answer anonymous callers; the per-user ones need a user
// token with the documented scope. Peers and activity are read from the
// database and cached for kPublicDocumentLifetime in the api documents
// cache (within the memory budget).
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/directory.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// How long peers and activity are served from the cache.
constexpr std::chrono::minutes kPublicDocumentLifetime{10};
// Most domains GET /api/v1/instance/peers lists.
constexpr std::size_t kMaxPeers = 10000;
// Weeks of GET /api/v1/instance/activity (Mastodon shows 12).
constexpr int kActivityWeeks = 12;
// Directory paging: offset and limit as Mastodon's (limit 40, at most 80),
// with the offset bounded.
constexpr std::size_t kMaxDirectoryOffset = 10000;

http::Handler constant(json body) {
  return
      [body](http::Request&) -> boost::asio::awaitable<http::Response> { co_return json_ok(body); };
}

// A user token with `scope`, then `body`.
http::Handler for_users(ApiRoutes& routes, std::string_view scope, json body) {
  return [&routes, scope, body](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, scope);
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    co_return json_ok(body);
  };
}

// A user token with `scope`, then 404: there is nothing to act on.
http::Handler nothing_to_act_on(ApiRoutes& routes, std::string_view scope) {
  return [&routes, scope](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, scope);
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    co_return not_found();
  };
}

// A public document built by `build(tx)`, cached under `key`.
template <class Build>
http::Handler cached_document(ApiRoutes& routes, std::string key, Build build) {
  return [&routes, key, build](http::Request&) -> boost::asio::awaitable<http::Response> {
    const auto now = std::chrono::steady_clock::now();
    if (auto cached = routes.documents.get(key); cached && cached->expires > now)
      co_return http::json_response(200, cached->body);
    std::string body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return build(tx).dump(-1, ' ', false, json::error_handler_t::replace);
    });
    routes.documents.put(key, CachedDocument{body, now + kPublicDocumentLifetime});
    co_return http::json_response(200, std::move(body));
  };
}

json peers(pqxx::transaction_base& tx) {
  return db::known_domains(tx, kMaxPeers);
}

json activity(pqxx::transaction_base& tx) {
  json out = json::array();
  for (const auto& week : db::weekly_activity(tx, kActivityWeeks))
    out.push_back({{"week", std::to_string(week.week)},
                   {"statuses", std::to_string(week.statuses)},
                   {"logins", std::to_string(week.logins)},
                   {"registrations", std::to_string(week.registrations)}});
  return out;
}

// ExtendedDescription and PrivacyPolicy: kith has no text of its own yet.
json empty_text(pqxx::transaction_base& tx) {
  return {{"updated_at", db::instance_created_at(tx)}, {"content", ""}};
}

// GET /api/v1/directory: offset, limit, order (active|new), local.
http::Handler directory(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    std::size_t offset = 0;
    if (auto text = params.first("offset")) {
      if (auto n = parse_id(*text)) offset = static_cast<std::size_t>(*n);
    }
    if (offset > kMaxDirectoryOffset) co_return json_ok(json::array());
    const db::PageRequest page = page_request(params, 40, 80);
    const bool by_newest = params.first("order") == std::optional<std::string>("new");
    const bool local_only = parse_bool(params.first("local")).value_or(false);
    const std::string& host = routes.context.config.host;
    json accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_accounts(tx, db::directory_page(tx, local_only, by_newest, offset, page.limit),
                             host);
    });
    co_return json_ok(accounts);
  };
}

}  // namespace

void add_placeholder_routes(http::Router& router, ApiRoutes& routes) {
  const json empty = json::array();
  // Trends (public): nothing trends on kith yet.
  router.add("GET", "/api/v1/trends", constant(empty));
  router.add("GET", "/api/v1/trends/tags", constant(empty));
  router.add("GET", "/api/v1/trends/statuses", constant(empty));
  router.add("GET", "/api/v1/trends/links", constant(empty));
  // Announcements (user token): none, so none to dismiss or react to.
  router.add("GET", "/api/v1/announcements", for_users(routes, "read", empty));
  router.add("POST", "/api/v1/announcements/:id/dismiss",
             nothing_to_act_on(routes, "write:accounts"));
  router.add("PUT", "/api/v1/announcements/:id/reactions/:name",
             nothing_to_act_on(routes, "write:favourites"));
  router.add("DELETE", "/api/v1/announcements/:id/reactions/:name",
             nothing_to_act_on(routes, "write:favourites"));
  // Follow suggestions (user token + read): none.
  router.add("GET", "/api/v1/suggestions", for_users(routes, "read", empty));
  router.add("GET", "/api/v2/suggestions", for_users(routes, "read", empty));
  router.add("DELETE", "/api/v1/suggestions/:account_id",
             for_users(routes, "read", json::object()));
  router.add("GET", "/api/v1/custom_emojis", constant(empty));
  router.add("GET", "/api/v1/featured_tags", for_users(routes, "read:accounts", empty));
  router.add("GET", "/api/v1/featured_tags/suggestions", for_users(routes, "read:accounts", empty));
  router.add("GET", "/api/v1/directory", directory(routes));
  // The instance (public).
  router.add("GET", "/api/v1/instance/peers", cached_document(routes, "instance/peers", peers));
  router.add("GET", "/api/v1/instance/activity",
             cached_document(routes, "instance/activity", activity));
  router.add("GET", "/api/v1/instance/rules", constant(empty));
  router.add("GET", "/api/v1/instance/domain_blocks", constant(empty));
  router.add("GET", "/api/v1/instance/translation_languages", constant(json::object()));
  router.add("GET", "/api/v1/instance/extended_description",
             cached_document(routes, "instance/extended_description", empty_text));
  router.add("GET", "/api/v1/instance/privacy_policy",
             cached_document(routes, "instance/privacy_policy", empty_text));
}

}  // namespace kith::api
