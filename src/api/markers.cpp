// Read markers (https://docs.joinmastodon.org/methods/markers/): where a
// user stopped reading the home timeline and the notifications, so that
// another client of theirs opens at the same place. GET answers the
// markers asked for (timeline[]=home&timeline[]=notifications) that exist;
// POST sets them from form fields (home[last_read_id]=...) or a JSON body
// ({"home": {"last_read_id": "..."}}), each save adding one to its
// version. The notifications marker is what unread_count counts from.
// The update is one upsert, so two clients saving at once both succeed,
// one after the other (Mastodon answers 409 only when its optimistic lock
// loses; kith's row lock never does).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

constexpr const char* kTimelines[] = {"home", "notifications"};

json markers_json(pqxx::transaction_base& tx, std::int64_t account_id,
                  const std::vector<std::string>& timelines) {
  json out = json::object();
  for (const auto& row :
       tx.exec_params("SELECT timeline, last_read_id, version,"
                      " to_char(updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
                      " FROM markers WHERE account_id = $1",
                      account_id)) {
    const auto timeline = row[0].as<std::string>();
    if (std::find(timelines.begin(), timelines.end(), timeline) == timelines.end()) continue;
    out[timeline] = {{"last_read_id", std::to_string(row[1].as<std::int64_t>())},
                     {"version", row[2].as<std::int64_t>()},
                     {"updated_at", row[3].as<std::string>()}};
  }
  return out;
}

http::Handler get_markers(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    std::vector<std::string> timelines;
    for (const std::string& name : std::get<Params>(parsed).all("timeline"))
      for (const char* known : kTimelines)
        if (name == known) timelines.push_back(name);
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return markers_json(tx, caller.account_id, timelines);
    });
    co_return json_ok(body);
  };
}

// The last_read_id sent for `timeline`: home[last_read_id] in a form, or
// {"home": {"last_read_id": ...}} in JSON (a string or a number).
std::optional<std::string> sent_last_read_id(const Params& params, const json* document,
                                             const std::string& timeline) {
  if (document && document->contains(timeline) && (*document)[timeline].is_object()) {
    const json& value = (*document)[timeline].value("last_read_id", json());
    if (value.is_string()) return value.get<std::string>();
    if (value.is_number_unsigned()) return std::to_string(value.get<std::uint64_t>());
    if (!value.is_null()) return std::string("-");  // present but not an id
    return std::nullopt;
  }
  return params.first(timeline + "[last_read_id]");
}

http::Handler save_markers(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    std::optional<json> document;
    std::string_view type = request.header("Content-Type").value_or("");
    if (type.substr(0, type.find(';')) == "application/json" && !request.body.empty())
      document = json::parse(request.body, nullptr, false);  // read_params checked it
    std::vector<std::pair<std::string, std::int64_t>> updates;
    for (const char* timeline : kTimelines) {
      auto value = sent_last_read_id(params, document ? &*document : nullptr, timeline);
      if (!value) continue;
      auto id = parse_id(*value);
      if (!id) co_return unprocessable("Last read id is not a valid id");
      updates.emplace_back(timeline, *id);
    }
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      std::vector<std::string> saved;
      for (const auto& [timeline, id] : updates) {
        tx.exec_params(
            "INSERT INTO markers (account_id, timeline, last_read_id) VALUES ($1, $2, $3)"
            " ON CONFLICT (account_id, timeline) DO UPDATE SET last_read_id = "
            "EXCLUDED.last_read_id,"
            " version = markers.version + 1, updated_at = now()",
            caller.account_id, timeline, id);
        saved.push_back(timeline);
      }
      json out = markers_json(tx, caller.account_id, saved);
      tx.commit();
      return out;
    });
    co_return json_ok(body);
  };
}

}  // namespace

void add_marker_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/markers", get_markers(routes));
  router.add("POST", "/api/v1/markers", save_markers(routes));
}

}  // namespace kith::api
