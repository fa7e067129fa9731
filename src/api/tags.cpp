// Hashtags (Mastodon's tags_controller.rb and followed_tags_controller.rb):
// GET /api/v1/tags/:name shows the Tag entity {id, name, url, history,
// following}; POST .../follow and .../unfollow change what reaches the
// caller's home timeline (client_views.cpp reads tag_follows) and answer
// the Tag; GET /api/v1/followed_tags pages the followed ones with a Link
// header.
//
// A name is valid when kith's status text parser reads all of "#name" as
// one hashtag (status_text.hpp), so a tag that can be followed is one a
// status can carry; an invalid name is 404, as Mastodon answers. An unknown
// valid tag is shown without an id and created only when followed.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/api/status_text.hpp"
#include "kith/db/tags.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Longest hashtag name accepted, in bytes.
constexpr std::size_t kMaxTagNameBytes = 256;
// Most hashtags one account may follow (more is 422).
constexpr std::size_t kMaxFollowedTags = 1000;

bool valid_tag_name(const std::string& name) {
  if (name.empty() || name.size() > kMaxTagNameBytes) return false;
  const ParsedText parsed = parse_status_text("#" + name);
  return parsed.hashtags.size() == 1 && parsed.hashtags.front().size() == name.size();
}

json history_json(const std::vector<db::TagDay>& days) {
  json out = json::array();
  for (const db::TagDay& day : days)
    out.push_back({{"day", std::to_string(day.day)},
                   {"uses", std::to_string(day.uses)},
                   {"accounts", std::to_string(day.accounts)}});
  return out;
}

// The Tag entity; `following` only for a signed-in caller.
json tag_json(const std::optional<db::TagRow>& tag, const std::string& name,
              const std::vector<db::TagDay>& history, std::optional<bool> following,
              std::string_view host) {
  const std::string shown = tag ? tag->name : name;
  json out = {{"name", shown},
              {"url", "https://" + std::string(host) + "/tags/" + shown},
              {"history", history_json(history)}};
  if (tag) out["id"] = std::to_string(tag->id);
  if (following) out["following"] = *following;
  return out;
}

// Today's and the previous days' zero history of a tag nobody used.
std::vector<db::TagDay> empty_history(pqxx::transaction_base& tx) {
  std::vector<db::TagDay> days;
  const auto today =
      tx.exec(
            "SELECT extract(epoch FROM date_trunc('day', now() AT TIME ZONE 'UTC'))::bigint")[0][0]
          .as<std::int64_t>();
  for (int n = 0; n < db::kTagHistoryDays; ++n) days.push_back({today - n * 86400, 0, 0});
  return days;
}

json render_tag(pqxx::transaction_base& tx, const std::optional<db::TagRow>& tag,
                const std::string& name, std::int64_t viewer, std::string_view host) {
  std::vector<db::TagDay> history;
  if (tag) history = std::move(db::tag_history(tx, {tag->id})[tag->id]);
  if (history.empty()) history = empty_history(tx);
  std::optional<bool> following;
  if (viewer != 0) following = tag && db::follows_tag(tx, viewer, tag->id);
  return tag_json(tag, name, history, following, host);
}

http::Handler show_tag(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    const std::string name = request.params["name"];
    if (!valid_tag_name(name)) co_return not_found();
    const std::string& host = routes.context.config.host;
    json tag = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_tag(tx, db::find_tag(tx, name), name, viewer, host);
    });
    co_return json_ok(tag);
  };
}

http::Handler change_follow(ApiRoutes& routes, bool follow) {
  return [&routes, follow](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    const std::string name = request.params["name"];
    if (!valid_tag_name(name)) co_return not_found();
    const std::string& host = routes.context.config.host;
    // nullopt: the caller follows kMaxFollowedTags tags already.
    std::optional<json> tag = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      std::optional<db::TagRow> row = db::find_tag(tx, name);
      if (follow) {
        const bool already = row && db::follows_tag(tx, caller.account_id, row->id);
        if (!already && db::count_followed_tags_locked(tx, caller.account_id) >=
                            static_cast<std::int64_t>(kMaxFollowedTags))
          return std::optional<json>();
        row = db::ensure_tag(tx, name);
        db::follow_tag(tx, caller.account_id, row->id);
      } else if (row) {
        db::unfollow_tag(tx, caller.account_id, row->id);
      }
      std::optional<json> out = render_tag(tx, row, name, caller.account_id, host);
      tx.commit();
      return out;
    });
    if (!tag)
      co_return unprocessable("at most " + std::to_string(kMaxFollowedTags) +
                              " hashtags can be followed");
    co_return json_ok(*tag);
  };
}

// GET /api/v1/followed_tags: 100 a page, at most 200.
http::Handler followed_tags(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed), 100, 200);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    json tags = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      const auto followed = db::followed_tags_page(tx, caller.account_id, page);
      std::vector<std::int64_t> ids;
      for (const auto& entry : followed) {
        cursors.push_back(entry.cursor);
        ids.push_back(entry.tag.id);
      }
      auto history = db::tag_history(tx, ids);
      json out = json::array();
      for (const auto& entry : followed)
        out.push_back(tag_json(entry.tag, entry.tag.name, history[entry.tag.id], true, host));
      return out;
    });
    http::Response response = json_ok(tags);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

}  // namespace

void add_tag_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/tags/:name", show_tag(routes));
  router.add("POST", "/api/v1/tags/:name/follow", change_follow(routes, true));
  router.add("POST", "/api/v1/tags/:name/unfollow", change_follow(routes, false));
  router.add("GET", "/api/v1/followed_tags", followed_tags(routes));
}

}  // namespace kith::api
