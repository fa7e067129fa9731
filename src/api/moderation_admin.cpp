// The admins' side of community moderation (kith-specific, no Mastodon
// equivalent): the queue of statuses the community model acted on for
// everyone or found bridged, with the evidence, and the admin's decision.
//
//   GET  /api/v1/kith/moderation/queue                      admin:read
//   POST /api/v1/kith/moderation/queue/:status_id/confirm   admin:write
//   POST /api/v1/kith/moderation/queue/:status_id/overturn  admin:write
//
// Only admins (users.admin) may call them, whatever the token's scopes:
// 403 otherwise. A confirmation keeps the action for everyone and raises
// the flaggers' trust; an overturn lifts it and lowers their trust
// (mod::Engine::set_admin_decision); both are written to
// mod_instance_actions and restored at every start.
//
// What it must never do: say who flagged. Evidence is counts and diversity
// only, as the engine returns it.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/mod/engine.hpp"
#include "moderation_service.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

constexpr std::size_t kDefaultQueueLimit = 20;
constexpr std::size_t kMaxQueueLimit = 100;
// How far the engine's queue is searched for a decided status's evidence.
constexpr std::size_t kMaxQueueSearch = 10'000;

// The caller, if an admin with `scope`; else the error to answer.
boost::asio::awaitable<std::variant<Caller, http::Response>> authenticate_admin(
    ApiRoutes& routes, const http::Request& request, std::string_view scope) {
  auto auth = co_await authenticate(routes, request, scope);
  if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
  const Caller caller = std::get<Caller>(auth);
  const bool admin = co_await routes.context.pool.run([&](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT 1 FROM users WHERE id = $1 AND admin AND NOT disabled", caller.user_id);
    return !rows.empty();
  });
  if (!admin) co_return http::error_response(403, "This action is not allowed");
  co_return caller;
}

json evidence_json(const mod::Evidence& e) {
  return json{
      {"status_id", std::to_string(e.status)},
      {"account_id", std::to_string(e.author)},
      {"state", moderation_state(e)},
      {"acted", e.acted},
      {"bridged", e.bridged},
      {"flaggers", e.flaggers},
      {"exposures", e.exposures},
      {"trusted_flag_weight", std::isfinite(e.trusted_flag_weight) ? e.trusted_flag_weight : 0},
      {"flaggers_negative_side", e.flaggers_negative_side},
      {"flaggers_positive_side", e.flaggers_positive_side},
      {"intercept", std::isfinite(e.intercept) ? e.intercept : 0},
      {"admin_confirmed", e.admin_confirmed ? json(*e.admin_confirmed) : json(nullptr)}};
}

// GET /api/v1/kith/moderation/queue?limit=: worst first, undecided before
// decided; each item with the status as the admin sees it (null if gone).
http::Handler queue(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_admin(routes, request, "admin:read");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    if (routes.context.moderation == nullptr) co_return moderation_unavailable();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    std::size_t limit = kDefaultQueueLimit;
    if (auto text = params.first("limit")) {
      auto n = parse_id(*text);
      if (!n) co_return unprocessable("limit must be a positive integer");
      limit = std::min<std::size_t>(static_cast<std::size_t>(*n), kMaxQueueLimit);
    }
    const std::vector<mod::Evidence> items = routes.context.moderation->review_queue(limit);
    const std::string& host = routes.context.config.host;
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json out = json::array();
      for (const mod::Evidence& e : items) {
        json item = evidence_json(e);
        auto status = render_status(tx, e.status, caller.account_id, host);
        item["status"] = status ? *status : json(nullptr);
        out.push_back(std::move(item));
      }
      return out;
    });
    co_return json_ok(body);
  };
}

// POST .../queue/:status_id/confirm and /overturn.
http::Handler decide(ApiRoutes& routes, bool confirmed) {
  return [&routes, confirmed](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_admin(routes, request, "admin:write");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    if (routes.context.moderation == nullptr) co_return moderation_unavailable();
    auto id = parse_id(request.params["status_id"]);
    if (!id) co_return not_found();
    // The evidence the engine has, if it queued the status.
    std::optional<mod::Evidence> known;
    for (const mod::Evidence& e : routes.context.moderation->review_queue(kMaxQueueSearch))
      if (e.status == *id) known = e;
    mod::Evidence evidence = known.value_or(mod::Evidence{});
    evidence.status = *id;
    const std::string state = confirmed ? "confirmed" : "overturned";
    const bool stored = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const pqxx::result author =
          tx.exec_params("SELECT account_id FROM statuses WHERE id = $1", *id);
      if (author.empty()) return false;
      evidence.author = author[0][0].as<std::int64_t>();
      tx.exec_params(
          "INSERT INTO mod_instance_actions (status_id, author_id, state, flaggers, exposures,"
          " trusted_flag_weight, flaggers_negative_side, flaggers_positive_side, intercept,"
          " bridged, decided_at, decided_by)"
          " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, now(), $11)"
          " ON CONFLICT (status_id) DO UPDATE SET state = EXCLUDED.state, decided_at = now(),"
          " decided_by = EXCLUDED.decided_by, updated_at = now()",
          *id, evidence.author, state, static_cast<std::int64_t>(evidence.flaggers),
          static_cast<std::int64_t>(evidence.exposures),
          std::isfinite(evidence.trusted_flag_weight) ? evidence.trusted_flag_weight : 0.0,
          static_cast<std::int64_t>(evidence.flaggers_negative_side),
          static_cast<std::int64_t>(evidence.flaggers_positive_side),
          std::isfinite(evidence.intercept) ? evidence.intercept : 0.0, evidence.bridged,
          caller.account_id);
      tx.commit();
      return true;
    });
    if (!stored) co_return not_found();
    if (routes.moderation_service) {
      routes.moderation_service->record_decision(*id, confirmed);
    } else {
      routes.context.moderation->set_admin_decision(*id, confirmed);
    }
    evidence.admin_confirmed = confirmed;
    evidence.acted = routes.context.moderation->acted_for_everyone(*id);
    co_return json_ok(evidence_json(evidence));
  };
}

}  // namespace

void add_moderation_admin_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/kith/moderation/queue", queue(routes));
  router.add("POST", "/api/v1/kith/moderation/queue/:status_id/confirm", decide(routes, true));
  router.add("POST", "/api/v1/kith/moderation/queue/:status_id/overturn", decide(routes, false));
}

}  // namespace kith::api
