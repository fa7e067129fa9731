// Community moderation preferences and explanations for users
// (moderation_preferences.hpp).
#include "moderation_preferences.hpp"

#include <charconv>
#include <cmath>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/client_views.hpp"
#include "status_filters.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

http::Response no_engine() {
  return http::error_response(503, "Community moderation is not running here");
}

mod::Action parse_action_name(std::string_view name) {
  if (name == "warn") return mod::Action::warn;
  if (name == "hide") return mod::Action::hide;
  return mod::Action::none;
}

// The stored preferences of `account` (defaults without a row).
mod::Preferences stored_preferences(pqxx::transaction_base& tx, std::int64_t account,
                                    bool for_update) {
  mod::Preferences preferences;
  const auto rows = tx.exec_params(std::string("SELECT opt_out, sensitivity, action"
                                               " FROM mod_preferences WHERE account_id = $1") +
                                       (for_update ? " FOR UPDATE" : ""),
                                   account);
  if (rows.empty()) return preferences;
  preferences.opt_out = rows[0][0].as<bool>();
  preferences.sensitivity = rows[0][1].as<double>();
  preferences.action = parse_action_name(rows[0][2].as<std::string>());
  if (preferences.action == mod::Action::none) preferences.action = mod::Action::warn;
  return preferences;
}

// Applies the parameters present in `params` to `preferences`; the
// message of a 422 when one is bad.
std::optional<std::string> apply_changes(const Params& params, mod::Preferences& preferences) {
  if (auto value = params.first("opt_out")) {
    auto opt_out = parse_bool(value);
    if (!opt_out) return "opt_out must be true or false";
    preferences.opt_out = *opt_out;
  }
  if (auto value = params.first("sensitivity")) {
    double sensitivity = -1;
    const char* end = value->data() + value->size();
    auto [ptr, error] = std::from_chars(value->data(), end, sensitivity);
    if (error != std::errc() || ptr != end || !std::isfinite(sensitivity) || sensitivity < 0 ||
        sensitivity > 1)
      return "sensitivity must be a number from 0 to 1";
    preferences.sensitivity = sensitivity + 0.0;  // -0 is stored and announced as 0
  }
  if (auto value = params.first("action")) {
    const mod::Action action = parse_action_name(*value);
    if (action == mod::Action::none) return "action must be warn or hide";
    preferences.action = action;
  }
  return std::nullopt;
}

http::Handler show_preferences(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    if (routes.context.moderation == nullptr) co_return no_engine();
    const Caller caller = std::get<Caller>(auth);
    const mod::Preferences preferences = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return stored_preferences(tx, caller.account_id, false);
    });
    co_return json_ok(preferences_json(preferences));
  };
}

http::Handler update_preferences(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    if (routes.context.moderation == nullptr) co_return no_engine();
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    // The merged preferences, or the validation message.
    std::variant<mod::Preferences, std::string> result =
        co_await routes.context.pool.run([&](pqxx::connection& c) {
          pqxx::work tx(c);
          mod::Preferences preferences = stored_preferences(tx, caller.account_id, true);
          if (auto problem = apply_changes(params, preferences))
            return std::variant<mod::Preferences, std::string>(*problem);
          tx.exec_params(
              "INSERT INTO mod_preferences (account_id, opt_out, sensitivity, action)"
              " VALUES ($1, $2, $3, $4) ON CONFLICT (account_id) DO UPDATE SET"
              " opt_out = EXCLUDED.opt_out, sensitivity = EXCLUDED.sensitivity,"
              " action = EXCLUDED.action, updated_at = now()",
              caller.account_id, preferences.opt_out, preferences.sensitivity,
              std::string(action_name(preferences.action)));
          tx.commit();
          return std::variant<mod::Preferences, std::string>(preferences);
        });
    if (auto* problem = std::get_if<std::string>(&result)) co_return unprocessable(*problem);
    const mod::Preferences& preferences = std::get<mod::Preferences>(result);
    routes.context.moderation->set_preferences(caller.account_id, preferences);
    co_return json_ok(preferences_json(preferences));
  };
}

http::Handler show_explanation(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    if (routes.context.moderation == nullptr) co_return no_engine();
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto shown = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return status_for_explanation(tx, *id, caller.account_id);
    });
    if (!shown) co_return not_found();
    const mod::Explanation explanation = explain_for_viewer(
        *routes.context.moderation, caller.account_id, shown->status_id, shown->author_id);
    co_return json_ok(explanation_json(explanation, shown->status_id));
  };
}

// One plain sentence for API users; the web page has its own words.
std::string_view summary(const mod::Verdict& verdict) {
  switch (verdict.reason) {
    case mod::Reason::own_flag:
      return "You reported this status, so it is hidden for you.";
    case mod::Reason::muted_author:
      return "You muted or blocked its author: kith leaves their statuses out of your home and "
             "public timelines and your notifications.";
    case mod::Reason::predicted:
      return "Accounts whose reports usually agree with yours reported statuses like this one: "
             "the chance you would report it is above your threshold.";
    case mod::Reason::community:
      return "People who usually disagree agreed that this status is a problem: it is marked "
             "for everyone until an admin decides.";
    case mod::Reason::none:
      break;
  }
  return "Nothing hides this status for you.";
}

}  // namespace

std::string_view action_name(mod::Action action) {
  switch (action) {
    case mod::Action::warn:
      return "warn";
    case mod::Action::hide:
      return "hide";
    case mod::Action::none:
      break;
  }
  return "none";
}

std::string_view reason_name(mod::Reason reason) {
  switch (reason) {
    case mod::Reason::own_flag:
      return "own_flag";
    case mod::Reason::muted_author:
      return "muted_author";
    case mod::Reason::predicted:
      return "predicted";
    case mod::Reason::community:
      return "community";
    case mod::Reason::none:
      break;
  }
  return "none";
}

json preferences_json(const mod::Preferences& preferences) {
  return {{"opt_out", preferences.opt_out},
          {"sensitivity", preferences.sensitivity},
          {"action", action_name(preferences.action == mod::Action::none ? mod::Action::warn
                                                                         : preferences.action)}};
}

void load_moderation_preferences(pqxx::transaction_base& tx, mod::Engine& engine) {
  const auto rows = tx.exec_params(
      "SELECT account_id, opt_out, sensitivity, action FROM mod_preferences"
      " ORDER BY updated_at DESC LIMIT $1",
      static_cast<std::int64_t>(kMaxLoadedPreferences));
  for (const auto& row : rows) {
    mod::Preferences preferences;
    preferences.opt_out = row[1].as<bool>();
    preferences.sensitivity = row[2].as<double>();
    preferences.action = parse_action_name(row[3].as<std::string>());
    if (preferences.action == mod::Action::none) preferences.action = mod::Action::warn;
    engine.set_preferences(row[0].as<std::int64_t>(), preferences);
  }
}

namespace {

// Rates and probabilities in steps of this size: enough to say "about one
// in five who see it flag it", too coarse to notice one more flag.
constexpr double kExplanationStep = 0.05;

double coarse(double value) {
  return std::round(value / kExplanationStep) * kExplanationStep;
}

}  // namespace

void redact_explanation(mod::Explanation& explanation, bool viewer_is_author) {
  // The status's and author's flag rates move with each new flag: shown to
  // the author, or to anyone while nothing acts on the status, they would
  // tell who reported what (poll before and after a direct message).
  const bool acts = explanation.verdict.action != mod::Action::none;
  if (viewer_is_author || !acts) {
    explanation.verdict.probability = 0;
    explanation.status_rate = explanation.author_rate = 0;
  } else {
    explanation.verdict.probability = coarse(explanation.verdict.probability);
    explanation.status_rate = coarse(explanation.status_rate);
    explanation.author_rate = coarse(explanation.author_rate);
  }
  explanation.viewer_rate = coarse(explanation.viewer_rate);
  // Community evidence (counts, never who) only once acted on for everyone,
  // when everyone sees its warning anyway.
  if (explanation.community && !explanation.community->acted) explanation.community.reset();
}

mod::Explanation explain_for_viewer(const mod::Engine& engine, std::int64_t viewer,
                                    std::int64_t status_id, std::int64_t author_id) {
  mod::Explanation explanation = engine.explain(viewer, status_id, author_id);
  // What the filters show (own statuses, mutes: status_filters.hpp), with
  // the engine's numbers.
  const mod::Verdict engine_verdict = explanation.verdict;
  explanation.verdict = client_verdict(engine, viewer, status_id, author_id);
  // A mute or block is no filter (kith's own rules apply it), but it is
  // the answer to "why is this hidden for me?".
  if (engine_verdict.reason == mod::Reason::muted_author && author_id != viewer &&
      explanation.verdict.action == mod::Action::none)
    explanation.verdict = engine_verdict;
  explanation.verdict.probability = engine_verdict.probability;
  redact_explanation(explanation, viewer == author_id);
  return explanation;
}

json explanation_json(const mod::Explanation& explanation, std::int64_t status_id) {
  const mod::Verdict& verdict = explanation.verdict;
  json community = nullptr;
  if (explanation.community) {
    const mod::Evidence& e = *explanation.community;
    community = {{"flaggers", e.flaggers},
                 {"exposures", e.exposures},
                 {"trusted_flag_weight", e.trusted_flag_weight},
                 {"flaggers_negative_side", e.flaggers_negative_side},
                 {"flaggers_positive_side", e.flaggers_positive_side},
                 {"bridged", e.bridged},
                 {"acted_for_everyone", e.acted},
                 {"admin_confirmed", e.admin_confirmed ? json(*e.admin_confirmed) : json(nullptr)}};
  }
  return {{"status_id", std::to_string(status_id)},
          {"action", action_name(verdict.action)},
          {"reason", reason_name(verdict.reason)},
          {"summary", summary(verdict)},
          {"probability", verdict.probability},
          {"threshold", explanation.threshold},
          {"preferences", preferences_json(explanation.preferences)},
          {"rates",
           {{"you", explanation.viewer_rate},
            {"status", explanation.status_rate},
            {"author", explanation.author_rate}}},
          {"community", std::move(community)}};
}

std::optional<ExplainedStatus> status_for_explanation(pqxx::transaction_base& tx,
                                                      std::int64_t status_id, std::int64_t viewer) {
  auto views = db::status_views(tx, {status_id}, viewer);
  auto it = views.find(status_id);
  if (it == views.end()) return std::nullopt;
  if (!it->second.reblog_of_id) return ExplainedStatus{status_id, it->second.account_id};
  const std::int64_t original_id = *it->second.reblog_of_id;
  auto originals = db::status_views(tx, {original_id}, viewer);
  auto original = originals.find(original_id);
  if (original == originals.end()) return std::nullopt;
  return ExplainedStatus{original_id, original->second.account_id};
}

void add_moderation_user_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/kith/moderation/preferences", show_preferences(routes));
  router.add("PATCH", "/api/v1/kith/moderation/preferences", update_preferences(routes),
             http::kDefaultBodyLimit);
  router.add("GET", "/api/v1/kith/moderation/statuses/:id/explanation", show_explanation(routes));
}

}  // namespace kith::api
