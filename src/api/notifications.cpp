// The notification endpoints (https://docs.joinmastodon.org/methods/notifications/
// and /methods/grouped_notifications/): v1 lists, one, dismiss, clear and
// the unread count; v2 grouped lists (favourites and boosts of one status,
// and follows, in one group each; db/notifications.cpp says how groups are
// keyed), one group, its accounts, dismissing a group, the unread count;
// the notification policy, and the (always empty) notification requests.
//
// The one idea: notifications are rows made by their causes
// (db::create_notification); these handlers only read, filter and delete
// the caller's own rows. Reading also closes the polls that have ended, so
// their voters' `poll` notifications appear without a background job.
// What it must never do: show or remove another account's notification.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "client_support.hpp"
#include "kith/db/notifications.hpp"
#include "moderation_service.hpp"
#include "notification_entities.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Mastodon's page sizes: 40 notifications by default, at most 80; the
// unread count counts at most 100 by default, at most 1000.
constexpr std::size_t kDefaultNotificationsLimit = 40;
constexpr std::size_t kMaxNotificationsLimit = 80;
constexpr std::int64_t kDefaultUnreadLimit = 100;
constexpr std::int64_t kMaxUnreadLimit = 1000;
// Most types[] / exclude_types[] / grouped_types[] values read.
constexpr std::size_t kMaxTypeParams = 32;
// Most accounts answered by GET /api/v2/notifications/:group_key/accounts.
constexpr std::size_t kMaxGroupAccounts = 80;
constexpr std::size_t kMaxGroupKeyLength = 128;

const std::set<std::string>& known_types() {
  static const std::set<std::string> types{"mention",
                                           "status",
                                           "reblog",
                                           "follow",
                                           "follow_request",
                                           "favourite",
                                           "poll",
                                           "update",
                                           "admin.sign_up",
                                           "admin.report",
                                           "severed_relationships",
                                           "moderation_warning",
                                           "quote"};
  return types;
}

std::vector<std::string> type_list(const Params& params, const std::string& name) {
  std::vector<std::string> out;
  for (const std::string& value : params.all(name)) {
    if (out.size() >= kMaxTypeParams) break;
    if (known_types().count(value)) out.push_back(value);
  }
  return out;
}

// types[] with only unknown values matches nothing, as Mastodon's: an
// impossible type keeps the list empty rather than unfiltered.
db::NotificationFilter filter_of(const Params& params) {
  db::NotificationFilter filter;
  filter.types = type_list(params, "types");
  if (filter.types.empty() && !params.all("types").empty()) filter.types = {"-none-"};
  filter.exclude_types = type_list(params, "exclude_types");
  if (auto id = params.first("account_id")) filter.from_account_id = parse_id(*id).value_or(-1);
  return filter;
}

struct Authenticated {
  Caller caller;
  Params params;
};

// Authenticates with `scope` and reads the parameters.
boost::asio::awaitable<std::variant<Authenticated, http::Response>> begin(
    ApiRoutes& routes, const http::Request& request, std::string_view scope) {
  auto auth = co_await authenticate(routes, request, scope);
  if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
  auto parsed = read_params(request);
  if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
  co_return Authenticated{std::get<Caller>(auth), std::move(std::get<Params>(parsed))};
}

http::Handler list_notifications(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const auto& [caller, params] = std::get<Authenticated>(started);
    const db::PageRequest page =
        page_request(params, kDefaultNotificationsLimit, kMaxNotificationsLimit);
    const db::NotificationFilter filter = filter_of(params);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      db::close_expired_polls(tx);
      json out = json::array();
      for (const auto& n : db::notifications_page(tx, caller.account_id, filter, page)) {
        ids.push_back(n.id);
        if (auto rendered =
                render_notification(tx, n.id, caller.account_id, host, routes.context.moderation))
          out.push_back(std::move(*rendered));
      }
      tx.commit();
      return out;
    });
    // What these notifications showed, as exposures (moderation_service.hpp).
    json shown = json::array();
    for (const json& n : body)
      if (auto status = n.find("status"); status != n.end()) shown.push_back(*status);
    record_exposures(routes, caller.account_id, shown);
    http::Response response = json_ok(body);
    set_link_header(response, host, request.path, ids, page.limit, &params,
                    {"types", "exclude_types", "account_id"});
    co_return response;
  };
}

http::Handler get_notification(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_notification(tx, *id, caller.account_id, host, routes.context.moderation);
    });
    if (!body) co_return not_found();
    co_return json_ok(*body);
  };
}

http::Handler dismiss_notification(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "write:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::size_t removed = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const std::size_t n = db::dismiss_notification(tx, caller.account_id, *id);
      tx.commit();
      return n;
    });
    if (removed == 0) co_return not_found();
    co_return json_ok(json::object());
  };
}

http::Handler clear_notifications(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "write:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      db::clear_notifications(tx, caller.account_id);
      tx.commit();
    });
    co_return json_ok(json::object());
  };
}

// {"count": n}: notifications newer than the notifications marker.
http::Handler unread_count(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const auto& [caller, params] = std::get<Authenticated>(started);
    std::int64_t cap = kDefaultUnreadLimit;
    if (auto limit = parse_id(params.first("limit").value_or("")))
      cap = std::min(*limit, kMaxUnreadLimit);
    const db::NotificationFilter filter = filter_of(params);
    const std::int64_t count = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      db::close_expired_polls(tx);
      const std::int64_t n = db::unread_notifications(tx, caller.account_id, filter, cap);
      tx.commit();
      return n;
    });
    co_return json_ok(json{{"count", count}});
  };
}

// ---------------------------------------------------------------------------
// v2: grouped notifications.

const std::vector<std::string> kGroupableTypes{"favourite", "reblog", "follow"};

std::vector<std::string> grouped_types(const Params& params) {
  if (params.all("grouped_types").empty()) return kGroupableTypes;
  return type_list(params, "grouped_types");
}

std::optional<std::string> group_key_param(http::Request& request) {
  std::string key(request.params["group_key"]);
  if (key.empty() || key.size() > kMaxGroupKeyLength) return std::nullopt;
  return key;
}

// The GroupedNotificationsResults document of `groups`: each group's
// NotificationGroup, and the accounts and statuses they name, once each.
// A group whose status the viewer may not see is left out.
json grouped_results(pqxx::transaction_base& tx, const std::vector<db::NotificationGroup>& groups,
                     std::int64_t viewer, std::string_view host, const mod::Engine* moderation) {
  json out{{"accounts", json::array()},
           {"statuses", json::array()},
           {"notification_groups", json::array()}};
  std::set<std::int64_t> account_ids, status_ids;
  for (const auto& g : groups) {
    if (g.status_id && !status_ids.count(*g.status_id)) {
      // As in v1: a hide filter of the notifications context (the viewer's
      // own or the moderation engine's) leaves the group out.
      auto status =
          render_status(tx, *g.status_id, viewer, host, moderation, FilterContext::notifications);
      if (!status) continue;
      status_ids.insert(*g.status_id);
      out["statuses"].push_back(std::move(*status));
    }
    json samples = json::array();
    for (std::int64_t id : g.sample_account_ids) {
      samples.push_back(std::to_string(id));
      if (account_ids.insert(id).second)
        if (auto account = render_account(tx, id, host))
          out["accounts"].push_back(std::move(*account));
    }
    json group{{"group_key", g.group_key},
               {"notifications_count", g.notifications_count},
               {"type", g.type},
               {"most_recent_notification_id", std::to_string(g.most_recent_notification_id)},
               {"page_min_id", std::to_string(g.page_min_id)},
               {"page_max_id", std::to_string(g.page_max_id)},
               {"latest_page_notification_at", g.latest_page_notification_at},
               {"sample_account_ids", samples}};
    if (g.status_id) group["status_id"] = std::to_string(*g.status_id);
    if (g.report_id && g.type == "admin.report") {
      // The Report entity is the one render_notification shows.
      if (auto n = render_notification(tx, g.page_max_id, viewer, host, moderation);
          n && n->contains("report"))
        group["report"] = (*n)["report"];
    }
    out["notification_groups"].push_back(std::move(group));
  }
  return out;
}

http::Handler list_groups(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const auto& [caller, params] = std::get<Authenticated>(started);
    const db::PageRequest page =
        page_request(params, kDefaultNotificationsLimit, kMaxNotificationsLimit);
    const db::NotificationFilter filter = filter_of(params);
    const std::vector<std::string> grouped = grouped_types(params);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> bounds;
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      db::close_expired_polls(tx);
      auto groups = db::notification_groups_page(tx, caller.account_id, filter, grouped, page);
      if (!groups.empty()) bounds = {groups.front().page_max_id, groups.back().page_min_id};
      json out = grouped_results(tx, groups, caller.account_id, host, routes.context.moderation);
      tx.commit();
      return out;
    });
    record_exposures(routes, caller.account_id, body["statuses"]);
    http::Response response = json_ok(body);
    set_link_header(response, host, request.path, bounds, page.limit, &params,
                    {"types", "exclude_types", "grouped_types", "account_id", "expand_accounts"});
    co_return response;
  };
}

// The group of `key` as one NotificationGroup, from its newest notifications.
std::optional<db::NotificationGroup> group_of(pqxx::transaction_base& tx, std::int64_t account_id,
                                              const std::string& key) {
  auto members = db::notifications_of_group(tx, account_id, key, kMaxGroupAccounts);
  if (members.empty()) return std::nullopt;
  db::NotificationGroup g;
  g.group_key = key;
  g.type = members.front().type;
  g.most_recent_notification_id = g.page_max_id = members.front().id;
  g.page_min_id = members.back().id;
  g.latest_page_notification_at = members.front().created_at;
  g.status_id = members.front().status_id;
  g.report_id = members.front().report_id;
  g.notifications_count = static_cast<std::int64_t>(members.size());
  for (const auto& n : members)
    if (g.sample_account_ids.size() < db::kGroupSampleAccounts)
      g.sample_account_ids.push_back(n.from_account_id);
  return g;
}

http::Handler get_group(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    auto key = group_key_param(request);
    if (!key) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      std::optional<json> out;
      auto group = group_of(tx, caller.account_id, *key);
      if (!group) return out;
      out = grouped_results(tx, {*group}, caller.account_id, host, routes.context.moderation);
      if ((*out)["notification_groups"].empty()) out.reset();
      return out;
    });
    if (!body) co_return not_found();
    co_return json_ok(*body);
  };
}

http::Handler group_accounts(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    auto key = group_key_param(request);
    if (!key) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      std::optional<json> out;
      auto members = db::notifications_of_group(tx, caller.account_id, *key, kMaxGroupAccounts);
      if (members.empty()) return out;
      std::vector<std::int64_t> ids;
      for (const auto& n : members) ids.push_back(n.from_account_id);
      out = render_accounts(tx, ids, host);
      return out;
    });
    if (!body) co_return not_found();
    co_return json_ok(*body);
  };
}

http::Handler dismiss_group(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "write:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    auto key = group_key_param(request);
    if (!key) co_return not_found();
    const std::size_t removed = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const std::size_t n = db::dismiss_group(tx, caller.account_id, *key);
      tx.commit();
      return n;
    });
    if (removed == 0) co_return not_found();
    co_return json_ok(json::object());
  };
}

// ---------------------------------------------------------------------------
// The notification policy (stored; kith does not filter notifications into
// requests yet, so the summary is always empty and requests are []).

constexpr const char* kPolicyFields[] = {"for_not_following", "for_not_followers",
                                         "for_new_accounts", "for_private_mentions",
                                         "for_limited_accounts"};

json policy_json(pqxx::transaction_base& tx, std::int64_t account_id) {
  json out{{"for_not_following", "accept"},
           {"for_not_followers", "accept"},
           {"for_new_accounts", "accept"},
           {"for_private_mentions", "accept"},
           {"for_limited_accounts", "filter"}};
  const auto rows = tx.exec_params(
      "SELECT for_not_following, for_not_followers, for_new_accounts, for_private_mentions,"
      " for_limited_accounts FROM notification_policies WHERE account_id = $1",
      account_id);
  if (!rows.empty())
    for (int i = 0; i < 5; ++i) out[kPolicyFields[i]] = rows[0][i].as<std::string>();
  out["summary"] = {{"pending_requests_count", 0}, {"pending_notifications_count", 0}};
  return out;
}

http::Handler get_policy(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const Caller& caller = std::get<Authenticated>(started).caller;
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return policy_json(tx, caller.account_id);
    });
    co_return json_ok(body);
  };
}

http::Handler update_policy(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "write:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    const auto& [caller, params] = std::get<Authenticated>(started);
    std::map<std::string, std::string> changes;
    for (const char* field : kPolicyFields) {
      auto value = params.first(field);
      if (!value) continue;
      if (*value != "accept" && *value != "filter" && *value != "drop")
        co_return unprocessable(std::string(field) + " must be accept, filter or drop");
      changes[field] = *value;
    }
    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      tx.exec_params(
          "INSERT INTO notification_policies (account_id) VALUES ($1) ON CONFLICT DO NOTHING",
          caller.account_id);
      for (const auto& [field, value] : changes)  // field is one of kPolicyFields
        tx.exec_params("UPDATE notification_policies SET " + field +
                           " = $2, updated_at = now() WHERE account_id = $1",
                       caller.account_id, value);
      json out = policy_json(tx, caller.account_id);
      tx.commit();
      return out;
    });
    co_return json_ok(body);
  };
}

http::Handler empty_requests(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto started = co_await begin(routes, request, "read:notifications");
    if (auto* error = std::get_if<http::Response>(&started)) co_return std::move(*error);
    co_return json_ok(json::array());
  };
}

}  // namespace

void add_notification_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/notifications", list_notifications(routes));
  router.add("POST", "/api/v1/notifications/clear", clear_notifications(routes));
  router.add("GET", "/api/v1/notifications/unread_count", unread_count(routes));
  router.add("GET", "/api/v1/notifications/requests", empty_requests(routes));
  router.add("GET", "/api/v1/notifications/:id", get_notification(routes));
  router.add("POST", "/api/v1/notifications/:id/dismiss", dismiss_notification(routes));
  router.add("GET", "/api/v2/notifications", list_groups(routes));
  router.add("GET", "/api/v2/notifications/unread_count", unread_count(routes));
  router.add("GET", "/api/v2/notifications/policy", get_policy(routes));
  router.add("PATCH", "/api/v2/notifications/policy", update_policy(routes));
  router.add("GET", "/api/v2/notifications/:group_key", get_group(routes));
  router.add("GET", "/api/v2/notifications/:group_key/accounts", group_accounts(routes));
  router.add("POST", "/api/v2/notifications/:group_key/dismiss", dismiss_group(routes));
}

}  // namespace kith::api
