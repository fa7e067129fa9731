// GET and POST /kith/moderation/statuses/:id/explanation: "why is this
// hidden for me?" for a browser, the page twin of
// GET /api/v1/kith/moderation/statuses/:id/explanation
// (api/moderation_preferences.hpp), linked from docs/MODERATION.md and
// meant to be linked from a client's filter notice.
//
// The one idea: like the OAuth pages, no web session. A browser sends no
// bearer token, so GET shows the sign-in form (the same fields, the same
// CSRF cookie-and-form check, a cookie of its own scoped to this path);
// POST checks the password (failures count in the shared LoginThrottle)
// and answers with the explanation for that user at once. Nothing is
// stored for the browser but the CSRF cookie.
//
// What it must never do: say who flagged (the page shows the viewer's own
// numbers and the community's counts only); explain a status the user may
// not see (404, the same page whether it exists or not); run script.
#include <charconv>
#include <pqxx/pqxx>

#include "../api/moderation_preferences.hpp"
#include "kith/api/login_throttle.hpp"
#include "kith/api/params.hpp"
#include "kith/core/random.hpp"
#include "kith/db/oauth_tokens.hpp"
#include "kith/web/routes.hpp"
#include "kith/web/ticket.hpp"
#include "pages.hpp"

namespace kith::web {
namespace {

constexpr std::string_view kCsrfCookie = "kith_explanation_csrf";
constexpr std::size_t kCsrfTokenBytes = 32;  // 43 base64url characters
// Longest login or password read (as the OAuth sign-in).
constexpr std::size_t kMaxParameterLength = 2048;

std::string param(const api::Params& params, const std::string& name) {
  return params.first(name).value_or("");
}

std::string csrf_cookie(std::string_view token, std::string_view host) {
  // Path: this page family only; SameSite=Lax and HttpOnly as the OAuth
  // pages' cookie; Secure unless the host is a loopback one.
  return std::string(kCsrfCookie) + "=" + std::string(token) +
         "; Path=/kith/moderation; Max-Age=3600; HttpOnly; SameSite=Lax" +
         (loopback_host(host) ? "" : "; Secure");
}

std::optional<std::int64_t> status_id(http::Request& request) {
  const std::string& text = request.params["id"];
  // from_chars refuses what does not fit (19 nines would overflow).
  std::int64_t id = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), id);
  if (text.empty() || error != std::errc{} || end != text.data() + text.size() || id <= 0)
    return std::nullopt;
  return id;
}

std::string page_path(std::int64_t id) {
  return "/kith/moderation/statuses/" + std::to_string(id) + "/explanation";
}

ExplanationView view_of(const mod::Explanation& e) {
  ExplanationView view;
  view.reason = api::reason_name(e.verdict.reason);
  view.action = api::action_name(e.verdict.action);
  view.probability = e.verdict.probability;
  view.threshold = e.threshold;
  view.opt_out = e.preferences.opt_out;
  view.sensitivity = e.preferences.sensitivity;
  view.preferred_action = e.preferences.action == mod::Action::hide ? "hide" : "warn";
  view.viewer_rate = e.viewer_rate;
  view.status_rate = e.status_rate;
  view.author_rate = e.author_rate;
  if (e.community) {
    view.community = true;
    view.flaggers = e.community->flaggers;
    view.exposures = e.community->exposures;
    view.flaggers_negative_side = e.community->flaggers_negative_side;
    view.flaggers_positive_side = e.community->flaggers_positive_side;
  }
  return view;
}

http::Handler show_form(const WebContext& context) {
  return [&context](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = api::read_params(request);
    const std::string lang =
        page_language(std::holds_alternative<api::Params>(parsed)
                          ? param(std::get<api::Params>(parsed), "lang").substr(0, 16)
                          : std::string());
    auto id = status_id(request);
    if (!id) co_return explanation_error_page(404, lang, "why.not_found");
    std::string csrf = cookie(request, kCsrfCookie).value_or("");
    if (!well_formed_csrf(csrf)) csrf = core::random_token(kCsrfTokenBytes);
    http::Response response =
        explanation_sign_in_page(lang, page_path(*id), context.config.host, csrf, std::nullopt, "");
    response.set_header("Set-Cookie", csrf_cookie(csrf, context.config.host));
    co_return response;
  };
}

http::Handler explain(const WebContext& context) {
  return [&context](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = api::read_params(request);
    if (std::holds_alternative<http::Response>(parsed))
      co_return explanation_error_page(400, "en", "error.invalid_request");
    const api::Params& params = std::get<api::Params>(parsed);
    const std::string lang = page_language(param(params, "lang").substr(0, 16));
    auto id = status_id(request);
    if (!id) co_return explanation_error_page(404, lang, "why.not_found");
    const std::optional<std::string> from_cookie = cookie(request, kCsrfCookie);
    if (!from_cookie) co_return explanation_error_page(403, lang, "error.cookies");
    const std::string csrf = param(params, "csrf");
    if (!well_formed_csrf(*from_cookie) || !same_secret(*from_cookie, csrf))
      co_return explanation_error_page(403, lang, "error.expired");
    const std::string path = page_path(*id);
    const std::string& host = context.config.host;

    const std::string login = param(params, "username");
    const std::string password = param(params, "password");
    if (login.empty() || password.empty())
      co_return explanation_sign_in_page(lang, path, host, csrf, "sign_in.missing", login, 422);
    api::LoginThrottle& throttle = context.throttle;
    const std::string& address = request.remote_address;
    if (auto wait = throttle.address_blocked(address)) co_return throttled_page(lang, *wait);
    db::LoginResult result;
    std::optional<api::ExplainedStatus> shown;
    std::string username;
    if (login.size() <= kMaxParameterLength && password.size() <= kMaxParameterLength) {
      co_await context.pool.run([&](pqxx::connection& c) {
        result = db::verify_login(c, login, password, [&throttle](std::int64_t user_id) {
          return !throttle.account_blocked(user_id);
        });
        if (!result.user || !result.user->may_sign_in) return;
        if (auto user = db::find_signing_in_user(c, result.user->user_id))
          username = user->username;
        pqxx::read_transaction tx(c);
        shown = api::status_for_explanation(tx, *id, result.user->account_id);
      });
    }
    if (result.refused)
      co_return throttled_page(
          lang, throttle.account_blocked(*result.candidate).value_or(std::chrono::seconds(1)));
    if (!result.user) {
      throttle.record_failure(address, result.candidate);
      co_return explanation_sign_in_page(lang, path, host, csrf, "sign_in.wrong", login, 422);
    }
    if (!result.user->may_sign_in) co_return explanation_error_page(403, lang, "error.account");
    if (context.moderation == nullptr)
      co_return explanation_error_page(503, lang, "why.unavailable");
    if (!shown) co_return explanation_error_page(404, lang, "why.not_found");
    const mod::Explanation explanation = api::explain_for_viewer(
        *context.moderation, result.user->account_id, shown->status_id, shown->author_id);
    co_return explanation_page(lang, username, view_of(explanation));
  };
}

}  // namespace

void add_explanation_routes(http::Router& router, const WebContext& context) {
  router.add("GET", "/kith/moderation/statuses/:id/explanation", show_form(context));
  router.add("POST", "/kith/moderation/statuses/:id/explanation", explain(context),
             http::kDefaultBodyLimit);
}

}  // namespace kith::web
