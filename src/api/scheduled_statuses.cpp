// Scheduled statuses (Mastodon's ScheduledStatusesController and the
// scheduled_at branch of PostStatusService): POST /api/v1/statuses with
// scheduled_at answers a ScheduledStatus instead of posting, and
//   GET    /api/v1/scheduled_statuses       the caller's, paged by id
//   GET    /api/v1/scheduled_statuses/:id
//   PUT    /api/v1/scheduled_statuses/:id   a new scheduled_at
//   DELETE /api/v1/scheduled_statuses/:id   {}
//
// The one idea: what is kept is the create request's parameters, in the
// shape of the entity's `params`, and the scheduled-status worker posts
// them through the same code as POST /api/v1/statuses (post_status), so a
// status posted later meets the same checks as one posted now. The row
// and its job are written and moved together (db/scheduled_statuses.hpp).
// What it must never do: accept a time less than db::kMinScheduleOffset
// ahead, or more than Mastodon's limits per account and per day.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/scheduled_statuses.hpp"
#include "status_posting.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

json string_or_null(const std::optional<std::string>& value) {
  return value && !value->empty() ? json(*value) : json(nullptr);
}

// The entity's params from the create request's parameters (null where
// the request said nothing, as Mastodon keeps them).
json params_of_request(const Params& params, const std::string& idempotency_key) {
  json media_ids = nullptr;
  for (const std::string& id : params.all("media_ids")) {
    if (id.empty()) continue;
    if (!media_ids.is_array()) media_ids = json::array();
    media_ids.push_back(id);
  }
  json poll = nullptr;
  if (!params.all("poll[options]").empty()) {
    poll = {{"options", params.all("poll[options]")},
            {"expires_in", string_or_null(params.first("poll[expires_in]"))},
            {"multiple", parse_bool(params.first("poll[multiple]")).value_or(false)},
            {"hide_totals", parse_bool(params.first("poll[hide_totals]")).value_or(false)}};
  }
  auto sensitive = parse_bool(params.first("sensitive"));
  return {
      {"text", params.first("status").value_or("")},
      {"poll", std::move(poll)},
      {"media_ids", std::move(media_ids)},
      {"sensitive", sensitive ? json(*sensitive) : json(nullptr)},
      {"spoiler_text", string_or_null(params.first("spoiler_text"))},
      {"visibility", string_or_null(params.first("visibility"))},
      {"idempotency", idempotency_key.empty() ? json(nullptr) : json(idempotency_key)},
      {"scheduled_at", nullptr},
      {"in_reply_to_id", string_or_null(params.first("in_reply_to_id"))},
      {"language", string_or_null(params.first("language"))},
      {"application_id", nullptr},
      {"with_rate_limit", false},
  };
}

std::vector<std::int64_t> media_ids_of(const Params& params) {
  std::vector<std::int64_t> ids;
  for (const std::string& text : params.all("media_ids"))
    if (auto id = parse_id(text)) ids.push_back(*id);
  return ids;
}

json scheduled_status_json(const db::ScheduledStatusRow& row) {
  json params = json::parse(row.params, nullptr, false);
  if (!params.is_object()) params = json::object();
  return {{"id", std::to_string(row.id)},
          {"scheduled_at", row.scheduled_at},
          {"params", std::move(params)},
          {"media_attachments", json::array()}};
}

// The scheduled_at parameter read; the 422 to answer when it is not usable.
struct ReadTime {
  std::optional<db::ScheduleTime> time;
  std::string error;
};
boost::asio::awaitable<ReadTime> read_time(ApiRoutes& routes, const std::string& text) {
  ReadTime out;
  out.time = co_await routes.context.pool.run(
      [&text](pqxx::connection& c) { return db::read_schedule_time(c, text); });
  if (!out.time)
    out.error = "Scheduled at is not a valid date and time";
  else if (!out.time->far_enough)
    out.error = "Scheduled at The scheduled date must be in the future";
  co_return out;
}

std::string limit_message(db::ScheduleLimit limit) {
  if (limit == db::ScheduleLimit::total)
    return "You have exceeded the limit of " + std::to_string(db::kMaxScheduledStatuses) +
           " scheduled posts";
  return "You have exceeded the limit of " + std::to_string(db::kMaxScheduledStatusesPerDay) +
         " scheduled posts for today";
}

http::Handler list_scheduled(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed), 20, 40);
    auto rows = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::scheduled_statuses_page(tx, caller.account_id, page);
    });
    json out = json::array();
    std::vector<std::int64_t> ids;
    for (const db::ScheduledStatusRow& row : rows) {
      out.push_back(scheduled_status_json(row));
      ids.push_back(row.id);
    }
    http::Response response = json_ok(out);
    set_link_header(response, routes.context.config.host, request.path, ids, page.limit);
    co_return response;
  };
}

http::Handler get_scheduled(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto row = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::find_scheduled_status(tx, *id, caller.account_id);
    });
    if (!row) co_return not_found();
    co_return json_ok(scheduled_status_json(*row));
  };
}

http::Handler reschedule(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const std::string text = std::get<Params>(parsed).first("scheduled_at").value_or("");
    const ReadTime when = co_await read_time(routes, text);
    if (!when.error.empty()) co_return unprocessable(when.error);
    const db::ScheduleTime& time = *when.time;
    std::string refusal;
    auto row = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<db::ScheduledStatusRow> out;
      pqxx::work tx(c);
      if (!db::find_scheduled_status(tx, *id, caller.account_id, true)) return out;
      if (auto limit = db::check_schedule_limits(tx, caller.account_id, time, *id);
          limit != db::ScheduleLimit::ok) {
        refusal = limit_message(limit);
        return out;
      }
      db::reschedule_status(tx, caller.account_id, *id, time);
      out = db::find_scheduled_status(tx, *id, caller.account_id);
      tx.commit();
      return out;
    });
    if (!refusal.empty()) co_return unprocessable(refusal);
    if (!row) co_return not_found();
    co_return json_ok(scheduled_status_json(*row));
  };
}

http::Handler cancel_scheduled(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const bool deleted = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const bool done = db::delete_scheduled_status(tx, *id, caller.account_id);
      tx.commit();
      return done;
    });
    if (!deleted) co_return not_found();
    co_return json_ok(json::object());
  };
}

}  // namespace

boost::asio::awaitable<http::Response> schedule_status(ApiRoutes& routes, const Caller& caller,
                                                       const Params& params,
                                                       const std::string& scheduled_at,
                                                       const std::string& idempotency_key) {
  const ReadTime when = co_await read_time(routes, scheduled_at);
  if (!when.error.empty()) co_return unprocessable(when.error);
  const db::ScheduleTime& time = *when.time;
  const std::string params_json = params_of_request(params, idempotency_key).dump();
  const std::vector<std::int64_t> media_ids = media_ids_of(params);
  std::string refusal;
  auto row = co_await routes.context.pool.run([&](pqxx::connection& c) {
    std::optional<db::ScheduledStatusRow> out;
    pqxx::work tx(c);
    // The account's row serialises concurrent requests, so the limits hold.
    tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 FOR UPDATE", caller.account_id);
    if (auto limit = db::check_schedule_limits(tx, caller.account_id, time);
        limit != db::ScheduleLimit::ok) {
      refusal = limit_message(limit);
      return out;
    }
    const std::int64_t id =
        db::insert_scheduled_status(tx, caller.account_id, time, params_json, media_ids);
    out = db::find_scheduled_status(tx, id, caller.account_id);
    tx.commit();
    return out;
  });
  if (!refusal.empty()) co_return unprocessable(refusal);
  if (!row) co_return not_found();
  co_return json_ok(scheduled_status_json(*row));
}

Params params_of_scheduled(const std::string& params_json, bool keep_reply) {
  Params params;
  const json stored = json::parse(params_json, nullptr, false);
  if (!stored.is_object()) return params;
  auto text = [&stored](const char* key) -> std::optional<std::string> {
    if (auto it = stored.find(key); it != stored.end() && it->is_string())
      return it->get<std::string>();
    return std::nullopt;
  };
  params.add("status", text("text").value_or(""));
  for (const char* key : {"spoiler_text", "visibility", "language"})
    if (auto value = text(key)) params.add(key, *value);
  if (auto reply = text("in_reply_to_id"); reply && keep_reply)
    params.add("in_reply_to_id", *reply);
  if (auto it = stored.find("sensitive"); it != stored.end() && it->is_boolean())
    params.add("sensitive", it->get<bool>() ? "true" : "false");
  if (auto it = stored.find("media_ids"); it != stored.end() && it->is_array())
    for (const json& id : *it)
      if (id.is_string()) params.add("media_ids", id.get<std::string>());
  if (auto poll = stored.find("poll"); poll != stored.end() && poll->is_object()) {
    if (auto options = poll->find("options"); options != poll->end() && options->is_array())
      for (const json& option : *options)
        if (option.is_string()) params.add("poll[options]", option.get<std::string>());
    if (auto expires = poll->find("expires_in"); expires != poll->end() && expires->is_string())
      params.add("poll[expires_in]", expires->get<std::string>());
    for (const char* key : {"multiple", "hide_totals"})
      if (auto flag = poll->find(key); flag != poll->end() && flag->is_boolean())
        params.add(std::string("poll[") + key + "]", flag->get<bool>() ? "true" : "false");
  }
  return params;
}

void add_scheduled_status_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/scheduled_statuses", list_scheduled(routes));
  router.add("GET", "/api/v1/scheduled_statuses/:id", get_scheduled(routes));
  router.add("PUT", "/api/v1/scheduled_statuses/:id", reschedule(routes));
  router.add("DELETE", "/api/v1/scheduled_statuses/:id", cancel_scheduled(routes));
}

}  // namespace kith::api
