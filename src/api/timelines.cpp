// Timelines: home (the signed-in user's own statuses and those of the
// accounts it follows, what mentions it and public statuses with hashtags it
// follows), public (?local=true, ?remote=true), hashtag (any[], all[],
// none[]) and list (the members of one of the user's lists), newest first, paged by max_id /
// since_id / min_id with a Link header whose rel="next" comes first (Mastodon's
// app/controllers/api/v1/timelines/*). They are read from the database on
// each request (no cached feeds yet): correct first, cached later within
// the memory budget.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/api/tag_name.hpp"
#include "kith/db/feeds.hpp"
#include "kith/db/lists.hpp"

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
      return render_statuses(tx, ids, caller.account_id, routes, FilterContext::home);
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
      return render_statuses(tx, ids, viewer, routes, FilterContext::public_timelines);
    });
    http::Response response = json_ok(statuses);
    set_link_header(response, host, request.path, ids, page.limit, &params,
                    {"local", "remote", "only_media"});
    co_return response;
  };
}

// Most tags read from each of any[], all[] and none[] (Mastodon applies 4).
constexpr std::size_t kMaxExtraTimelineTags = 4;
// Longest tag name looked up, in bytes.
constexpr std::size_t kMaxTimelineTagBytes = 256;

// The tag names of parameter `name` (without '#'), at most
// kMaxExtraTimelineTags; over-long ones are left out.
std::vector<std::string> tag_names(const Params& params, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& given : params.all(name)) {
    if (out.size() >= kMaxExtraTimelineTags) break;
    std::string tag = normalised_tag_name(given);
    if (tag.empty() || tag.size() > kMaxTimelineTagBytes) continue;
    out.push_back(std::move(tag));
  }
  return out;
}

http::Handler tag_timeline(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const db::PageRequest page = page_request(params);
    db::TagQuery query;
    Params path;
    path.add("tag", request.params["hashtag"]);
    query.any = tag_names(path, "tag");
    for (std::string& tag : tag_names(params, "any")) query.any.push_back(std::move(tag));
    query.all = tag_names(params, "all");
    query.none = tag_names(params, "none");
    if (parse_bool(params.first("local")).value_or(false)) query.origin = db::Origin::local;
    if (parse_bool(params.first("remote")).value_or(false)) query.origin = db::Origin::remote;
    query.only_media = parse_bool(params.first("only_media")).value_or(false);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    json statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      if (query.any.empty()) return json::array();
      ids = db::tag_timeline(tx, viewer, query, page);
      return render_statuses(tx, ids, viewer, routes, FilterContext::public_timelines);
    });
    http::Response response = json_ok(statuses);
    set_link_header(response, host, request.path, ids, page.limit, &params,
                    {"any", "all", "none", "local", "remote", "only_media"});
    co_return response;
  };
}

http::Handler list_timeline(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:lists");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed));
    const auto list_id = parse_id(request.params["list_id"]);
    if (!list_id) co_return not_found();
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    std::optional<json> statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      auto list = db::find_list(tx, caller.account_id, *list_id);
      if (!list) return std::optional<json>();
      ids = db::list_timeline(tx, caller.account_id, list->id, list->replies_policy, page);
      // Lists are in the home context (Mastodon's "home timeline and lists").
      return std::optional<json>(
          render_statuses(tx, ids, caller.account_id, routes, FilterContext::home));
    });
    if (!statuses) co_return not_found();
    http::Response response = json_ok(*statuses);
    set_link_header(response, host, request.path, ids, page.limit);
    co_return response;
  };
}

}  // namespace

void add_timeline_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/timelines/home", home_timeline(routes));
  router.add("GET", "/api/v1/timelines/public", public_timeline(routes));
  router.add("GET", "/api/v1/timelines/tag/:hashtag", tag_timeline(routes));
  router.add("GET", "/api/v1/timelines/list/:list_id", list_timeline(routes));
}

}  // namespace kith::api
