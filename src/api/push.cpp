// Web Push subscriptions (Mastodon's Api::V1::Push::SubscriptionsController):
// POST, GET, PUT and DELETE /api/v1/push/subscription, scope `push`.
//
// A subscription belongs to the access token that made it: one per token,
// and a new POST replaces it. The client gives its push endpoint (an https
// URL of its push service), its P-256 public key (p256dh) and its 16-byte
// auth secret; kith answers with the WebPushSubscription entity, whose
// server_key is the instance's VAPID public key. The messages themselves
// are queued by the notifications table's trigger and sent by the
// WebPushWorker (web_push_worker.cpp).
//
// `standard` (Mastodon 4.4): true means RFC 8291 aes128gcm; false, the
// default, the legacy aesgcm draft that older clients decrypt. Both are sent
// as the client asked (Mastodon 4.4 does the same).
//
// What it must never do: accept an endpoint that is not https (except the
// exact address:port pairs federation.allowed_private_addresses lets tests
// use), a key that is not a point on P-256, or an auth secret that is not
// 16 bytes; show or change another token's subscription.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/web_push_crypto.hpp"
#include "kith/api/web_push.hpp"
#include "kith/db/web_push.hpp"
#include "kith/http/url.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Push service URLs are a few hundred bytes (FCM's are the longest).
constexpr std::size_t kMaxEndpointLength = 2048;
// Push subscriptions one user may hold across all its tokens (devices).
constexpr std::size_t kMaxSubscriptionsPerUser = 20;

// Mastodon's PushSubscription alert types.
constexpr const char* kAlertTypes[] = {"mention",        "status",      "reblog", "follow",
                                       "follow_request", "favourite",   "poll",   "update",
                                       "admin.sign_up",  "admin.report"};
constexpr const char* kPolicies[] = {"all", "followed", "follower", "none"};

// Nested JSON objects as the bracketed names a form body uses:
// {"subscription": {"keys": {"auth": "x"}}} -> subscription[keys][auth]=x.
void flatten(const json& value, const std::string& name, Params& out) {
  if (value.is_object()) {
    for (const auto& [key, item] : value.items())
      flatten(item, name.empty() ? key : name + "[" + key + "]", out);
  } else if (value.is_string()) {
    out.add(name, value.get<std::string>());
  } else if (value.is_boolean()) {
    out.add(name, value.get<bool>() ? "true" : "false");
  } else if (value.is_number()) {
    out.add(name, value.dump());
  }
}

// The parameters of a form, multipart or JSON body, with JSON objects
// flattened (read_params keeps only a JSON body's top-level values).
std::variant<Params, http::Response> push_params(const http::Request& request) {
  auto parsed = read_params(request);
  if (std::holds_alternative<http::Response>(parsed)) return parsed;
  std::string_view type = request.header("Content-Type").value_or("");
  if (!http::iequals(type.substr(0, std::min<std::size_t>(type.size(), 16)), "application/json"))
    return parsed;
  // read_params has checked the depth and that it is an object.
  Params params;
  for (auto& [name, value] : http::parse_query(request.query)) params.add(name, value);
  flatten(json::parse(request.body, nullptr, false), "", params);
  return params;
}

std::string policy_or(const Params& params, const std::string& fallback) {
  if (auto policy = params.first("data[policy]")) return *policy;
  if (auto policy = params.first("policy")) return *policy;  // masto.js sends it at the root
  return fallback;
}

bool known_policy(const std::string& policy) {
  for (const char* known : kPolicies)
    if (policy == known) return true;
  return false;
}

// data[alerts][<type>] as a JSON object of booleans; types not given keep
// their value in `base` (false when new).
std::optional<json> alerts_from(const Params& params, const json& base) {
  json alerts = json::object();
  for (const char* type : kAlertTypes) {
    const auto value = params.first(std::string("data[alerts][") + type + "]");
    if (!value) {
      alerts[type] = base.is_object() && base.value(type, false);
      continue;
    }
    const auto flag = parse_bool(value);
    if (!flag && *value != "false" && *value != "0" && !value->empty()) return std::nullopt;
    alerts[type] = flag.value_or(false);
  }
  return alerts;
}

// Mastodon's REST::WebPushSubscriptionSerializer.
json subscription_json(const db::WebPushSubscription& s, const std::string& server_key) {
  json alerts = json::parse(s.alerts, nullptr, false);
  json shown = json::object();
  for (const char* type : kAlertTypes)
    shown[type] = alerts.is_object() && alerts.value(type, false);
  return json{{"id", std::to_string(s.id)}, {"endpoint", s.endpoint},
              {"standard", s.standard},     {"alerts", shown},
              {"policy", s.policy},         {"server_key", server_key}};
}

// https, or http to an address:port the configuration allows (tests).
bool endpoint_allowed(const http::Url& url, const core::Config& config) {
  if (url.origin.scheme == "https") return true;
  const std::string host =
      url.origin.host_kind == http::HostKind::ipv6 ? "[" + url.origin.host + "]" : url.origin.host;
  const std::string pair = host + ":" + std::to_string(url.origin.port);
  for (const auto& allowed : config.federation.allowed_private_addresses)
    if (allowed == pair) return true;
  return false;
}

boost::asio::awaitable<http::Response> create(ApiRoutes& routes, http::Request& request) {
  auto found = co_await authenticate(routes, request, "push");
  if (auto* error = std::get_if<http::Response>(&found)) co_return std::move(*error);
  const Caller who = std::get<Caller>(found);  // its token_id owns the subscription
  auto parsed = push_params(request);
  if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
  const Params& params = std::get<Params>(parsed);

  const std::string endpoint = params.first("subscription[endpoint]").value_or("");
  const std::string p256dh = params.first("subscription[keys][p256dh]").value_or("");
  const std::string auth = params.first("subscription[keys][auth]").value_or("");
  if (endpoint.empty()) co_return unprocessable("Endpoint can't be blank");
  if (endpoint.size() > kMaxEndpointLength) co_return unprocessable("Endpoint is too long");
  auto url = http::parse_url(endpoint);
  if (!url || !endpoint_allowed(*url.url, routes.context.config))
    co_return unprocessable("Endpoint is not a valid https URL");
  if (p256dh.empty() || auth.empty()) co_return unprocessable("Keys can't be blank");
  if (p256dh.size() > webpush::kMaxKeyTextBytes || auth.size() > webpush::kMaxKeyTextBytes)
    co_return unprocessable("Keys are too long");
  auto public_key = webpush::base64url_decode(p256dh);
  if (!public_key || !webpush::valid_public_key(*public_key))
    co_return unprocessable("Key p256dh is not a valid P-256 public key");
  auto secret = webpush::base64url_decode(auth);
  if (!secret || secret->size() != webpush::kAuthSecretBytes)
    co_return unprocessable("Key auth must be 16 bytes");
  const auto standard_text = params.first("subscription[standard]");
  const auto standard = parse_bool(standard_text);
  if (standard_text && !standard && *standard_text != "false" && *standard_text != "0")
    co_return unprocessable("Standard must be a boolean");
  const std::string policy = policy_or(params, "all");
  if (!known_policy(policy)) co_return unprocessable("Policy is not included in the list");
  auto alerts = alerts_from(params, json::object());
  if (!alerts) co_return unprocessable("Alerts must be booleans");

  db::WebPushSubscription s;
  s.access_token_id = who.token_id;
  s.user_id = who.user_id;
  s.endpoint = url.url->text();
  s.key_p256dh = webpush::base64url_encode(*public_key);
  s.key_auth = webpush::base64url_encode(*secret);
  s.alerts = alerts->dump();
  s.policy = policy;
  s.standard = standard.value_or(false);
  // One subscription per token, and at most kMaxSubscriptionsPerUser per
  // user however many tokens it holds: each notification becomes one
  // request per subscription, to hosts the user chose.
  const std::optional<json> body =
      co_await routes.context.pool.run([&s](pqxx::connection& c) -> std::optional<json> {
        pqxx::work tx(c);
        tx.exec_params("SELECT 1 FROM users WHERE id = $1 FOR UPDATE", s.user_id);
        const auto others = tx.exec_params1(
                                  "SELECT count(*) FROM web_push_subscriptions WHERE user_id = $1"
                                  " AND access_token_id <> $2",
                                  s.user_id, s.access_token_id)[0]
                                .as<std::int64_t>();
        if (others >= static_cast<std::int64_t>(kMaxSubscriptionsPerUser)) return std::nullopt;
        const db::WebPushSubscription stored = db::replace_web_push_subscription(tx, s);
        const std::string server_key = vapid_public_key(tx);
        tx.commit();
        return subscription_json(stored, server_key);
      });
  if (!body) co_return unprocessable("Too many push subscriptions for this account");
  co_return json_ok(*body);
}

boost::asio::awaitable<http::Response> show(ApiRoutes& routes, http::Request& request) {
  auto found = co_await authenticate(routes, request, "push");
  if (auto* error = std::get_if<http::Response>(&found)) co_return std::move(*error);
  const std::int64_t token_id = std::get<Caller>(found).token_id;
  const std::optional<json> body =
      co_await routes.context.pool.run([&token_id](pqxx::connection& c) {
        pqxx::work tx(c);
        auto s = db::find_web_push_subscription(tx, token_id);
        if (!s) return std::optional<json>{};
        const std::string server_key = vapid_public_key(tx);
        tx.commit();
        return std::optional<json>(subscription_json(*s, server_key));
      });
  if (!body) co_return not_found();
  co_return json_ok(*body);
}

boost::asio::awaitable<http::Response> update(ApiRoutes& routes, http::Request& request) {
  auto found = co_await authenticate(routes, request, "push");
  if (auto* error = std::get_if<http::Response>(&found)) co_return std::move(*error);
  const std::int64_t token_id = std::get<Caller>(found).token_id;
  auto parsed = push_params(request);
  if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
  const Params params = std::get<Params>(parsed);
  enum class Outcome { ok, not_found, bad_policy, bad_alerts };
  struct Result {
    Outcome outcome = Outcome::ok;
    json body;
  };
  const Result result = co_await routes.context.pool.run([&params, &token_id](pqxx::connection& c) {
    pqxx::work tx(c);
    auto s = db::find_web_push_subscription(tx, token_id);
    if (!s) return Result{Outcome::not_found, {}};
    const std::string policy = policy_or(params, s->policy);
    if (!known_policy(policy)) return Result{Outcome::bad_policy, {}};
    auto alerts = alerts_from(params, json::parse(s->alerts, nullptr, false));
    if (!alerts) return Result{Outcome::bad_alerts, {}};
    auto updated = db::update_web_push_subscription(tx, token_id, alerts->dump(), policy);
    if (!updated) return Result{Outcome::not_found, {}};
    const std::string server_key = vapid_public_key(tx);
    tx.commit();
    return Result{Outcome::ok, subscription_json(*updated, server_key)};
  });
  switch (result.outcome) {
    case Outcome::not_found:
      co_return not_found();
    case Outcome::bad_policy:
      co_return unprocessable("Policy is not included in the list");
    case Outcome::bad_alerts:
      co_return unprocessable("Alerts must be booleans");
    case Outcome::ok:
      break;
  }
  co_return json_ok(result.body);
}

boost::asio::awaitable<http::Response> destroy(ApiRoutes& routes, http::Request& request) {
  auto found = co_await authenticate(routes, request, "push");
  if (auto* error = std::get_if<http::Response>(&found)) co_return std::move(*error);
  const std::int64_t token_id = std::get<Caller>(found).token_id;
  co_await routes.context.pool.run([&token_id](pqxx::connection& c) {
    pqxx::work tx(c);
    db::delete_web_push_subscription(tx, token_id);
    tx.commit();
    return true;
  });
  co_return json_ok(json::object());
}

}  // namespace

void add_push_routes(http::Router& router, ApiRoutes& routes) {
  const char* const path = "/api/v1/push/subscription";
  router.add("POST", path, [&routes](http::Request& r) { return create(routes, r); });
  router.add("GET", path, [&routes](http::Request& r) { return show(routes, r); });
  router.add("PUT", path, [&routes](http::Request& r) { return update(routes, r); });
  router.add("DELETE", path, [&routes](http::Request& r) { return destroy(routes, r); });
}

}  // namespace kith::api
