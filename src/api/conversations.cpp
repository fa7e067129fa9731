// Direct-message conversations (https://docs.joinmastodon.org/methods/conversations/):
// the caller's account_conversations rows, newest last status first, paged
// by that status's id (the Link header's max_id/min_id are status ids, as
// Mastodon's); removing one from the list (a later direct status in the
// thread brings it back) and marking one read. The rows are written with
// each direct status (db/conversations.hpp).
// What it must never do: show or change another account's conversation.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/conversations.hpp"
#include "moderation_service.hpp"
#include "notification_entities.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

http::Handler list_conversations(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed));
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json out = json::array();
      for (const auto& entry : db::conversations_page(tx, caller.account_id, page)) {
        cursors.push_back(entry.last_status_id);
        if (auto rendered = render_conversation(tx, entry.id, caller.account_id, host,
                                                routes.context.moderation))
          out.push_back(std::move(*rendered));
      }
      return out;
    });
    // Each conversation's last status, as exposures (moderation_service.hpp).
    json shown = json::array();
    for (const json& conversation : body)
      if (auto status = conversation.find("last_status");
          status != conversation.end() && status->is_object())
        shown.push_back(*status);
    record_exposures(routes, caller.account_id, shown);
    http::Response response = json_ok(body);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

http::Handler remove_conversation(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:conversations");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const bool removed = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const bool done = db::remove_conversation(tx, caller.account_id, *id);
      tx.commit();
      return done;
    });
    if (!removed) co_return not_found();
    co_return json_ok(json::object());
  };
}

http::Handler read_conversation(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:conversations");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      std::optional<json> out;
      if (!db::mark_conversation_read(tx, caller.account_id, *id)) return out;
      out = render_conversation(tx, *id, caller.account_id, host, routes.context.moderation);
      tx.commit();
      return out;
    });
    if (!body) co_return not_found();
    co_return json_ok(*body);
  };
}

}  // namespace

void add_conversation_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/conversations", list_conversations(routes));
  router.add("DELETE", "/api/v1/conversations/:id", remove_conversation(routes));
  router.add("POST", "/api/v1/conversations/:id/read", read_conversation(routes));
}

}  // namespace kith::api
