// What a user does to a status besides posting, favouriting and boosting
// it, and the lists around statuses (Mastodon's statuses/* controllers,
// BookmarksController, FavouritesController, StatusesController#index):
//   GET  /api/v1/statuses?id[]=        several statuses at once
//   GET  /api/v1/statuses/:id/history  its versions (StatusEdit), oldest first
//   GET  /api/v1/statuses/:id/source   its source text (StatusSource), own only
//   POST /api/v1/statuses/:id/(un)bookmark, (un)pin, (un)mute
//   GET  /api/v1/statuses/:id/favourited_by, /reblogged_by
//   POST /api/v1/statuses/:id/translate  403: kith has no translation service
//   GET  /api/v1/bookmarks, /api/v1/favourites
//
// The one idea: every answer is computed from rows the caller may see
// (db::status_views applies the one visibility rule): a status the caller
// may not see is 404 for every action here, as Mastodon answers, so an
// action never reveals that a status exists. Lists are paged by their own
// row ids (a bookmark's, a favourite's, a boost's) with Link headers.
// What it must never do: pin another account's status, a boost or a direct
// status, or pin more than db::kMaxPinnedStatuses.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/notifications.hpp"
#include "kith/db/status_actions.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Mastodon's DEFAULT_STATUSES_LIMIT for GET /api/v1/statuses?id[]=: more
// ids is 422.
constexpr std::size_t kMaxStatusesById = 20;

std::int64_t viewer_of(const std::optional<Caller>& caller) {
  return caller ? caller->account_id : 0;
}

bool visible(pqxx::transaction_base& tx, std::int64_t id, std::int64_t viewer) {
  return !db::status_views(tx, {id}, viewer).empty();
}

// A Poll as StatusEdit shows it: only the options' titles.
json edit_poll(const std::vector<std::string>& titles) {
  json options = json::array();
  for (const std::string& title : titles) options.push_back({{"title", title}});
  return {{"options", std::move(options)}};
}

// GET /api/v1/statuses/:id/history: Mastodon's StatusEdit list, oldest
// first, ending with the current version; a status never edited has one.
// Earlier versions show the attachments they had that the status still
// renders (kith keeps no copy of a removed attachment's entity).
json history_of(pqxx::transaction_base& tx, const json& current, std::int64_t id) {
  json out = json::array();
  auto media_by_id = [&current](std::int64_t media_id) -> std::optional<json> {
    for (const json& media : current["media_attachments"])
      if (media.value("id", "") == std::to_string(media_id)) return media;
    return std::nullopt;
  };
  for (const db::StatusEditRecord& edit : db::status_edits(tx, id)) {
    json media = json::array();
    for (std::int64_t media_id : edit.media_ids)
      if (auto found = media_by_id(media_id)) media.push_back(std::move(*found));
    out.push_back({{"content", edit.content},
                   {"spoiler_text", edit.spoiler_text},
                   {"sensitive", edit.sensitive},
                   {"created_at", edit.created_at},
                   {"account", current["account"]},
                   {"poll", edit.poll_options ? edit_poll(*edit.poll_options) : json(nullptr)},
                   {"media_attachments", std::move(media)},
                   {"emojis", json::array()}});
  }
  json poll = nullptr;
  if (current["poll"].is_object()) {
    std::vector<std::string> titles;
    for (const json& option : current["poll"]["options"])
      titles.push_back(option.value("title", ""));
    poll = edit_poll(titles);
  }
  out.push_back({{"content", current["content"]},
                 {"spoiler_text", current["spoiler_text"]},
                 {"sensitive", current["sensitive"]},
                 {"created_at",
                  current["edited_at"].is_string() ? current["edited_at"] : current["created_at"]},
                 {"account", current["account"]},
                 {"poll", std::move(poll)},
                 {"media_attachments", current["media_attachments"]},
                 {"emojis", json::array()}});
  return out;
}

http::Handler status_history(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = viewer_of(std::get<std::optional<Caller>>(auth));
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto history = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      auto current = render_status(tx, *id, viewer, routes);
      if (current && current->contains("reblog") && (*current)["reblog"].is_null())
        out = history_of(tx, *current, *id);
      return out;
    });
    if (!history) co_return not_found();
    co_return json_ok(*history);
  };
}

// GET /api/v1/statuses/:id/source: StatusSource of one's own status.
http::Handler status_source(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto source = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      auto views = db::status_views(tx, {*id}, caller.account_id);
      auto it = views.find(*id);
      if (it == views.end() || it->second.account_id != caller.account_id ||
          it->second.reblog_of_id)
        return out;
      out = json{{"id", std::to_string(*id)},
                 {"text", it->second.text},
                 {"spoiler_text", it->second.spoiler_text}};
      return out;
    });
    if (!source) co_return not_found();
    co_return json_ok(*source);
  };
}

// GET /api/v1/statuses?id[]=1&id[]=2: those the caller may see, in the
// order asked, each once.
http::Handler statuses_by_id(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = viewer_of(std::get<std::optional<Caller>>(auth));
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    std::vector<std::int64_t> ids;
    for (const std::string& text : std::get<Params>(parsed).all("id")) {
      auto id = parse_id(text);
      if (id && std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
      if (ids.size() > kMaxStatusesById)
        co_return unprocessable("at most " + std::to_string(kMaxStatusesById) + " ids");
    }
    auto statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_statuses(tx, ids, viewer, routes);
    });
    co_return json_ok(statuses);
  };
}

// What one of the toggles below does to a status the caller may see, in
// the caller's transaction: "" when done, else the 422 message.
using Toggle = std::string (*)(pqxx::transaction_base& tx, const Caller& caller,
                               const db::StatusView& status);

std::string add_bookmark(pqxx::transaction_base& tx, const Caller& caller,
                         const db::StatusView& status) {
  db::insert_bookmark(tx, caller.account_id, status.id);
  return "";
}

std::string remove_bookmark(pqxx::transaction_base& tx, const Caller& caller,
                            const db::StatusView& status) {
  db::delete_bookmark(tx, caller.account_id, status.id);
  return "";
}

// Mastodon's StatusPinValidator, in its order.
std::string add_pin(pqxx::transaction_base& tx, const Caller& caller,
                    const db::StatusView& status) {
  if (status.reblog_of_id) return "A boost cannot be pinned";
  if (status.account_id != caller.account_id) return "Someone else's post cannot be pinned";
  if (status.visibility == "direct")
    return "Posts that are only visible to mentioned users cannot be pinned";
  if (status.pinned == true) return "";
  // The account's row serialises concurrent pins, so the limit holds.
  tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", caller.account_id);
  if (db::count_pins(tx, caller.account_id) >= db::kMaxPinnedStatuses)
    return "You have already pinned the maximum number of posts";
  db::insert_pin(tx, caller.account_id, status.id);
  return "";
}

std::string remove_pin(pqxx::transaction_base& tx, const Caller& caller,
                       const db::StatusView& status) {
  db::delete_pin(tx, caller.account_id, status.id);
  return "";
}

std::string add_thread_mute(pqxx::transaction_base& tx, const Caller& caller,
                            const db::StatusView& status) {
  db::mute_thread(tx, caller.account_id, status.id);
  return "";
}

std::string remove_thread_mute(pqxx::transaction_base& tx, const Caller& caller,
                               const db::StatusView& status) {
  db::unmute_thread(tx, caller.account_id, status.id);
  return "";
}

// POST /api/v1/statuses/:id/<action>: the status after the toggle; 404
// when the caller may not see it, 422 when the toggle refuses.
http::Handler toggle(ApiRoutes& routes, const char* scope, Toggle change) {
  return
      [&routes, scope, change](http::Request& request) -> boost::asio::awaitable<http::Response> {
        auto auth = co_await authenticate(routes, request, scope);
        if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
        const Caller caller = std::get<Caller>(auth);
        auto id = parse_id(request.params["id"]);
        if (!id) co_return not_found();
        std::string refusal;
        auto result = co_await routes.context.pool.run([&](pqxx::connection& c) {
          std::optional<json> out;
          pqxx::work tx(c);
          auto views = db::status_views(tx, {*id}, caller.account_id);
          auto it = views.find(*id);
          if (it == views.end()) return out;
          refusal = change(tx, caller, it->second);
          if (!refusal.empty()) return out;  // rolled back
          out = render_status(tx, *id, caller.account_id, routes);
          tx.commit();
          return out;
        });
        if (!refusal.empty()) co_return unprocessable(refusal);
        if (!result) co_return not_found();
        co_return json_ok(*result);
      };
}

// GET /api/v1/statuses/:id/favourited_by and /reblogged_by: Accounts,
// 40 a page (at most 80), paged by the favourite's or boost's id.
using AccountList = std::vector<db::ListEntry> (*)(pqxx::transaction_base& tx,
                                                   std::int64_t status_id,
                                                   const db::PageRequest& page);

http::Handler accounts_of_status(ApiRoutes& routes, AccountList list) {
  return [&routes, list](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = viewer_of(std::get<std::optional<Caller>>(auth));
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed), 40, 80);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    auto accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      if (!visible(tx, *id, viewer)) return out;
      std::vector<std::int64_t> ids;
      for (const db::ListEntry& entry : list(tx, *id, page)) {
        cursors.push_back(entry.cursor);
        ids.push_back(entry.id);
      }
      out = render_accounts(tx, ids, host);
      return out;
    });
    if (!accounts) co_return not_found();
    http::Response response = json_ok(*accounts);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

// GET /api/v1/bookmarks and /api/v1/favourites: the caller's, 20 a page
// (at most 40), paged by the bookmark's or favourite's id; statuses the
// caller may no longer see are left out of the page.
using StatusList = std::vector<db::ListEntry> (*)(pqxx::transaction_base& tx,
                                                  std::int64_t account_id,
                                                  const db::PageRequest& page);

http::Handler own_status_list(ApiRoutes& routes, const char* scope, StatusList list) {
  return [&routes, scope, list](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, scope);
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed), 20, 40);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    auto statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      std::vector<std::int64_t> ids;
      for (const db::ListEntry& entry : list(tx, caller.account_id, page)) {
        cursors.push_back(entry.cursor);
        ids.push_back(entry.id);
      }
      return render_statuses(tx, ids, caller.account_id, routes);
    });
    http::Response response = json_ok(statuses);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

// POST /api/v1/statuses/:id/translate: Mastodon answers 403 "This action
// is not allowed" when no translation service is configured
// (TranslateStatusService#permitted?), 404 for a status the caller may
// not see. kith has none, and says so in the instance's configuration.
http::Handler translate(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const bool seen = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return visible(tx, *id, caller.account_id);
    });
    if (!seen) co_return not_found();
    co_return http::error_response(403, "This action is not allowed");
  };
}

}  // namespace

void add_status_action_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/statuses", statuses_by_id(routes));
  router.add("GET", "/api/v1/statuses/:id/history", status_history(routes));
  router.add("GET", "/api/v1/statuses/:id/source", status_source(routes));
  router.add("POST", "/api/v1/statuses/:id/bookmark",
             toggle(routes, "write:bookmarks", add_bookmark));
  router.add("POST", "/api/v1/statuses/:id/unbookmark",
             toggle(routes, "write:bookmarks", remove_bookmark));
  router.add("POST", "/api/v1/statuses/:id/pin", toggle(routes, "write:accounts", add_pin));
  router.add("POST", "/api/v1/statuses/:id/unpin", toggle(routes, "write:accounts", remove_pin));
  router.add("POST", "/api/v1/statuses/:id/mute", toggle(routes, "write:mutes", add_thread_mute));
  router.add("POST", "/api/v1/statuses/:id/unmute",
             toggle(routes, "write:mutes", remove_thread_mute));
  router.add("GET", "/api/v1/statuses/:id/favourited_by",
             accounts_of_status(routes, db::favourited_by_page));
  router.add("GET", "/api/v1/statuses/:id/reblogged_by",
             accounts_of_status(routes, db::reblogged_by_page));
  router.add("POST", "/api/v1/statuses/:id/translate", translate(routes));
  router.add("GET", "/api/v1/bookmarks",
             own_status_list(routes, "read:bookmarks", db::bookmarks_page));
  router.add("GET", "/api/v1/favourites",
             own_status_list(routes, "read:favourites", db::favourites_page));
}

}  // namespace kith::api
