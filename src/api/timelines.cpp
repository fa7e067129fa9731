// Timelines: home (the signed-in user's own statuses and those of the
// accounts it follows, and what mentions it) and public (?local=true,
// ?remote=true), newest first, paged by max_id / since_id / min_id with a
// Link header whose rel="next" comes first (Mastodon's
// app/controllers/api/v1/timelines/*). They are read from the database on
// each request (no cached feeds yet): correct first, cached later within
// the memory budget.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

http::Handler home_timeline(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed));
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    json statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      ids = db::home_timeline(tx, caller.account_id, page);
      return render_statuses(tx, ids, caller.account_id, host);
    });
    http::Response response = json_ok(statuses);
    set_link_header(response, host, request.path, ids, page.limit);
    co_return response;
  };
}

http::Handler public_timeline(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const db::PageRequest page = page_request(params);
    db::Origin origin = db::Origin::all;
    if (parse_bool(params.first("local")).value_or(false)) origin = db::Origin::local;
    if (parse_bool(params.first("remote")).value_or(false)) origin = db::Origin::remote;
    // Statuses with media attachments (remote ones: kith has no media on
    // local statuses yet).
    const bool only_media = parse_bool(params.first("only_media")).value_or(false);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    json statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      ids = db::public_timeline(tx, viewer, origin, page, only_media);
      return render_statuses(tx, ids, viewer, host);
    });
    http::Response response = json_ok(statuses);
    set_link_header(response, host, request.path, ids, page.limit, &params,
                    {"local", "remote", "only_media"});
    co_return response;
  };
}

}  // namespace

void add_timeline_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/timelines/home", home_timeline(routes));
  router.add("GET", "/api/v1/timelines/public", public_timeline(routes));
}

}  // namespace kith::api
