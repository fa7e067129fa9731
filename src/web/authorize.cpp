// GET /oauth/authorize, POST /oauth/authorize (sign in) and POST
// /oauth/authorize/decision (Authorize or Deny): the authorization-code
// flow of RFC 6749 4.1 with PKCE (RFC 7636, S256 only), as the pages a
// browser sees.
//
// 1. The request is checked in a fixed order. Until the client and its
//    redirect URI are known to match exactly (one of the addresses the
//    application registered), every problem is an error page, never a
//    redirect: otherwise anyone could use kith to bounce people to any
//    address. After that, problems go back to the client as RFC 6749
//    4.1.2.1 errors (error=invalid_scope&state=...), or on a page for
//    urn:ietf:wg:oauth:2.0:oob.
// 2. The sign-in page sets a CSRF cookie (SameSite=Lax, HttpOnly, and
//    Secure unless the configured host is a loopback one, where kith is
//    reached over plain http) and puts the same value in the form; a
//    sign-in or decision whose form and cookie differ is refused, so
//    another site cannot post them.
// 3. A correct password (failures count in the LoginThrottle) shows the
//    consent page with a sealed ticket; the decision checks the ticket, the
//    cookie and the application again, then redirects with a fresh code (or
//    error=access_denied). A ticket is good for one decision: its MAC is
//    kept as used until the ticket expires (at most kMaxUsedTickets, per
//    daemon), so a replayed form gets the "expired" page.
//
// force_login is always satisfied: with no web session, every
// authorization asks for the password.
#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cctype>
#include <chrono>
#include <map>
#include <mutex>
#include <pqxx/pqxx>
#include <variant>

#include "kith/api/login_throttle.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/api/params.hpp"
#include "kith/core/random.hpp"
#include "kith/db/oauth_tokens.hpp"
#include "kith/web/routes.hpp"
#include "kith/web/ticket.hpp"
#include "pages.hpp"

namespace kith::web {

struct WebRoutes {
  explicit WebRoutes(WebContext c) : context(c) {}
  WebContext context;
  std::mutex key_mutex;
  std::optional<std::string> ticket_key;  // from instance_secrets, on first use
  std::mutex used_mutex;
  std::map<std::string, std::int64_t> used_tickets;  // MAC -> the ticket's expiry
};

namespace {

constexpr std::string_view kCsrfCookie = "kith_oauth_csrf";
constexpr std::size_t kCsrfTokenBytes = 32;  // 43 base64url characters
constexpr std::int64_t kTicketLifetimeSeconds = 600;
// Used tickets remembered (until they expire). When full, after dropping
// expired ones, the one expiring first is forgotten: replaying it would
// still need its browser's CSRF cookie.
constexpr std::size_t kMaxUsedTickets = 10000;
// Longest client_id, redirect_uri, code_challenge, login or password read.
constexpr std::size_t kMaxParameterLength = 2048;
constexpr std::size_t kMaxStateLength = 1024;
constexpr std::string_view kOutOfBand = "urn:ietf:wg:oauth:2.0:oob";
constexpr std::string_view kTicketKeyName = "oauth_ticket_hmac_key";

std::string param(const api::Params& params, const std::string& name) {
  return params.first(name).value_or("");
}

// A query component: everything but RFC 3986's unreserved bytes escaped.
std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if (std::isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

// `redirect_uri` with the parameters added to its query.
std::string redirect_with(std::string_view redirect_uri,
                          const std::vector<std::pair<std::string, std::string>>& parameters) {
  std::string out(redirect_uri);
  char separator = out.find('?') == std::string::npos ? '?' : '&';
  for (const auto& [name, value] : parameters) {
    out += separator + query_escape(name) + "=" + query_escape(value);
    separator = '&';
  }
  return out;
}

}  // namespace

std::optional<std::string> cookie(const http::Request& request, std::string_view name) {
  for (const http::Header& header : request.headers) {
    if (!http::iequals(header.name, "Cookie")) continue;
    std::string_view rest = header.value;
    while (!rest.empty()) {
      const auto end = rest.find(';');
      std::string_view pair = rest.substr(0, end);
      rest = end == std::string_view::npos ? std::string_view() : rest.substr(end + 1);
      while (!pair.empty() && pair.front() == ' ') pair.remove_prefix(1);
      const auto equals = pair.find('=');
      if (equals != std::string_view::npos && pair.substr(0, equals) == name)
        return std::string(pair.substr(equals + 1));
    }
  }
  return std::nullopt;
}

bool well_formed_csrf(std::string_view token) {
  return token.size() == 43 && std::all_of(token.begin(), token.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_';
         });
}

// Whether the configured host ("name[:port]", "[v6][:port]") is this
// machine: localhost, *.localhost or a loopback address.
bool loopback_host(std::string_view host) {
  std::string_view name = host;
  if (!name.empty() && name.front() == '[') {
    const auto close = name.find(']');
    name = name.substr(1, close == std::string_view::npos ? close : close - 1);
  } else if (const auto colon = name.find(':'); colon != std::string_view::npos) {
    name = name.substr(0, colon);
  }
  std::string lower;
  for (char c : name) lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (lower == "localhost" || (lower.size() > 10 && lower.ends_with(".localhost"))) return true;
  boost::system::error_code error;
  const auto address = boost::asio::ip::make_address(lower, error);
  return !error && address.is_loopback();
}

namespace {

std::string csrf_cookie(std::string_view token, std::string_view host) {
  // Path=/oauth: the pages and nothing else get it; SameSite=Lax: another
  // site's form post does not carry it; Secure: the site is https behind
  // its proxy. Not on a loopback host, which is reached over plain http
  // (tests, a development machine), where http clients other than
  // browsers would never send a Secure cookie back.
  return std::string(kCsrfCookie) + "=" + std::string(token) +
         "; Path=/oauth; Max-Age=3600; HttpOnly; SameSite=Lax" +
         (loopback_host(host) ? "" : "; Secure");
}

// Marks the sealed ticket used; false if it already was.
bool first_use(WebRoutes& routes, std::string_view sealed, std::int64_t expires_at,
               std::int64_t now) {
  const auto dot = sealed.rfind('.');
  const std::string mac(dot == std::string_view::npos ? sealed : sealed.substr(dot + 1));
  std::lock_guard lock(routes.used_mutex);
  auto& used = routes.used_tickets;
  if (used.count(mac)) return false;
  if (used.size() >= kMaxUsedTickets)
    std::erase_if(used, [now](const auto& entry) { return entry.second <= now; });
  if (used.size() >= kMaxUsedTickets)
    used.erase(std::min_element(used.begin(), used.end(),
                                [](const auto& a, const auto& b) { return a.second < b.second; }));
  used.emplace(mac, expires_at);
  return true;
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A checked authorization request and its application.
struct Checked {
  AuthorizationRequest request;
  db::AuthorizingApplication app;
};

// Step 1 of the file comment. The answer is the error page or redirect to
// send when the request cannot go on.
boost::asio::awaitable<std::variant<Checked, http::Response>> check_request(
    WebRoutes& routes, const api::Params& params) {
  Checked checked;
  AuthorizationRequest& request = checked.request;
  request.language = page_language(param(params, "lang").substr(0, 16));
  const std::string& lang = request.language;
  request.client_id = param(params, "client_id");
  if (request.client_id.empty() || request.client_id.size() > kMaxParameterLength)
    co_return error_page(400, lang, "error.unknown_client");
  const std::string& client_id = request.client_id;
  std::optional<db::AuthorizingApplication> app =
      co_await routes.context.pool.run([&client_id](pqxx::connection& c) {
        return db::find_application_by_client_id(c, client_id);
      });
  if (!app) co_return error_page(400, lang, "error.unknown_client");
  checked.app = std::move(*app);
  const auto& registered = checked.app.redirect_uris;

  // RFC 6749 3.1.2.3: without redirect_uri, the one registered address.
  request.redirect_uri = param(params, "redirect_uri");
  if (request.redirect_uri.empty() && registered.size() == 1)
    request.redirect_uri = registered.front();
  if (std::find(registered.begin(), registered.end(), request.redirect_uri) == registered.end())
    co_return error_page(400, lang, "error.redirect_uri");

  // From here on the client may be told what went wrong (RFC 6749 4.1.2.1).
  const std::string state = param(params, "state");
  const bool state_ok =
      state.size() <= kMaxStateLength && std::none_of(state.begin(), state.end(), [](char c) {
        return static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
      });
  auto refuse = [&](std::string_view error) -> http::Response {
    if (request.redirect_uri == kOutOfBand) return error_page(400, lang, "error.invalid_request");
    std::vector<std::pair<std::string, std::string>> parameters = {{"error", std::string(error)}};
    if (state_ok && !state.empty()) parameters.emplace_back("state", state);
    return redirect(redirect_with(request.redirect_uri, parameters));
  };
  if (!state_ok) co_return refuse("invalid_request");
  request.state = state;
  if (param(params, "response_type") != "code") co_return refuse("unsupported_response_type");

  std::vector<std::string> scopes = api::split_scopes(param(params, "scope"));
  if (scopes.empty()) scopes = {"read"};
  for (const std::string& scope : scopes)
    if (!api::scope_known(scope)) co_return refuse("invalid_scope");
  if (!api::scopes_within(scopes, checked.app.scopes)) co_return refuse("invalid_scope");
  request.scope = api::join_scopes(scopes);

  // RFC 7636 4.3; only S256 (plain would protect nothing the code does not).
  request.code_challenge = param(params, "code_challenge");
  request.code_challenge_method = param(params, "code_challenge_method");
  if (!request.code_challenge.empty()) {
    if (request.code_challenge_method != "S256" ||
        !api::valid_code_challenge(request.code_challenge))
      co_return refuse("invalid_request");
  } else if (!request.code_challenge_method.empty()) {
    co_return refuse("invalid_request");
  }
  co_return checked;
}

boost::asio::awaitable<std::string> ticket_key(WebRoutes& routes) {
  {
    std::lock_guard lock(routes.key_mutex);
    if (routes.ticket_key) co_return *routes.ticket_key;
  }
  std::string key = co_await routes.context.pool.run(
      [](pqxx::connection& c) { return db::instance_secret(c, std::string(kTicketKeyName)); });
  std::lock_guard lock(routes.key_mutex);
  routes.ticket_key = key;
  co_return key;
}

Application shown(const db::AuthorizingApplication& app) {
  return Application{app.name, app.website};
}

// The form's csrf field, if the browser's cookie carries the same value.
std::optional<std::string> checked_csrf(const http::Request& request, const api::Params& params) {
  const std::optional<std::string> from_cookie = cookie(request, kCsrfCookie);
  const std::string from_form = param(params, "csrf");
  if (!from_cookie || !well_formed_csrf(*from_cookie) || !same_secret(*from_cookie, from_form))
    return std::nullopt;
  return from_form;
}

http::Handler show_sign_in(WebRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = api::read_params(request);
    if (std::holds_alternative<http::Response>(parsed))
      co_return error_page(400, "en", "error.invalid_request");
    auto checked = co_await check_request(routes, std::get<api::Params>(parsed));
    if (auto* answer = std::get_if<http::Response>(&checked)) co_return std::move(*answer);
    const Checked& ok = std::get<Checked>(checked);
    // Keep the browser's token if it has one, so two open sign-in pages
    // both work.
    std::string csrf = cookie(request, kCsrfCookie).value_or("");
    if (!well_formed_csrf(csrf)) csrf = core::random_token(kCsrfTokenBytes);
    http::Response response =
        login_page(ok.request, shown(ok.app), routes.context.config.host, csrf, std::nullopt, "");
    response.set_header("Set-Cookie", csrf_cookie(csrf, routes.context.config.host));
    co_return response;
  };
}

http::Handler sign_in(WebRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = api::read_params(request);
    if (std::holds_alternative<http::Response>(parsed))
      co_return error_page(400, "en", "error.invalid_request");
    const api::Params& params = std::get<api::Params>(parsed);
    auto checked = co_await check_request(routes, params);
    if (auto* answer = std::get_if<http::Response>(&checked)) co_return std::move(*answer);
    const Checked& ok = std::get<Checked>(checked);
    const std::string& lang = ok.request.language;
    const std::string host = routes.context.config.host;
    if (!cookie(request, kCsrfCookie)) co_return error_page(403, lang, "error.cookies");
    const std::optional<std::string> csrf = checked_csrf(request, params);
    if (!csrf) co_return error_page(403, lang, "error.expired");

    const std::string login = param(params, "username");
    const std::string password = param(params, "password");
    if (login.empty() || password.empty())
      co_return login_page(ok.request, shown(ok.app), host, *csrf, "sign_in.missing", login, 422);
    api::LoginThrottle& throttle = routes.context.throttle;
    const std::string& address = request.remote_address;
    if (auto wait = throttle.address_blocked(address)) co_return throttled_page(lang, *wait);

    db::LoginResult result;
    std::optional<db::SigningInUser> user;
    if (login.size() <= kMaxParameterLength && password.size() <= kMaxParameterLength) {
      co_await routes.context.pool.run([&](pqxx::connection& c) {
        result = db::verify_login(c, login, password, [&throttle](std::int64_t user_id) {
          return !throttle.account_blocked(user_id);
        });
        if (result.user) user = db::find_signing_in_user(c, result.user->user_id);
      });
    }
    if (result.refused)
      co_return throttled_page(
          lang, throttle.account_blocked(*result.candidate).value_or(std::chrono::seconds(1)));
    if (!result.user || !user) {
      throttle.record_failure(address, result.candidate);
      co_return login_page(ok.request, shown(ok.app), host, *csrf, "sign_in.wrong", login, 422);
    }

    AuthorizationTicket ticket;
    ticket.user_id = user->user_id;
    ticket.client_id = ok.request.client_id;
    ticket.redirect_uri = ok.request.redirect_uri;
    ticket.scope = ok.request.scope;
    ticket.state = ok.request.state;
    ticket.code_challenge = ok.request.code_challenge;
    ticket.csrf_binding = csrf_binding(*csrf);
    ticket.expires_at = unix_now() + kTicketLifetimeSeconds;
    const std::string key = co_await ticket_key(routes);
    co_return consent_page(ok.request, shown(ok.app), user->username, seal_ticket(ticket, key),
                           *csrf);
  };
}

http::Handler decide(WebRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto parsed = api::read_params(request);
    if (std::holds_alternative<http::Response>(parsed))
      co_return error_page(400, "en", "error.invalid_request");
    const api::Params& params = std::get<api::Params>(parsed);
    const std::string lang = page_language(param(params, "lang").substr(0, 16));
    const std::optional<std::string> csrf = checked_csrf(request, params);
    if (!csrf) co_return error_page(403, lang, "error.expired");
    const std::string key = co_await ticket_key(routes);
    const std::string sealed = param(params, "ticket");
    const std::int64_t now = unix_now();
    const std::optional<AuthorizationTicket> ticket = open_ticket(sealed, key, now);
    if (!ticket || !same_secret(ticket->csrf_binding, csrf_binding(*csrf)))
      co_return error_page(403, lang, "error.expired");
    // One decision per ticket: a replayed form is refused like an old one.
    if (!first_use(routes, sealed, ticket->expires_at, now))
      co_return error_page(403, lang, "error.expired");

    // The application may have gone, or changed, since the sign-in.
    const std::string& client_id = ticket->client_id;
    std::optional<db::AuthorizingApplication> app =
        co_await routes.context.pool.run([&client_id](pqxx::connection& c) {
          return db::find_application_by_client_id(c, client_id);
        });
    if (!app) co_return error_page(400, lang, "error.unknown_client");
    if (std::find(app->redirect_uris.begin(), app->redirect_uris.end(), ticket->redirect_uri) ==
        app->redirect_uris.end())
      co_return error_page(400, lang, "error.redirect_uri");
    const bool oob = ticket->redirect_uri == kOutOfBand;

    const std::string decision = param(params, "decision");
    if (decision == "deny") {
      if (oob) co_return error_page(403, lang, "consent.denied");
      std::vector<std::pair<std::string, std::string>> parameters = {{"error", "access_denied"}};
      if (!ticket->state.empty()) parameters.emplace_back("state", ticket->state);
      co_return redirect(redirect_with(ticket->redirect_uri, parameters));
    }
    if (decision != "approve") co_return error_page(400, lang, "error.invalid_request");

    db::NewAuthorizationCode code;
    code.application_id = app->id;
    code.user_id = ticket->user_id;
    code.redirect_uri = ticket->redirect_uri;
    code.scopes = ticket->scope;
    code.code_challenge = ticket->code_challenge;
    std::optional<std::string> issued =
        co_await routes.context.pool.run([&code](pqxx::connection& c) {
          std::optional<std::string> out;
          auto user = db::find_signing_in_user(c, code.user_id);
          if (user && user->may_sign_in) out = db::create_authorization_code(c, code);
          return out;
        });
    if (!issued) co_return error_page(403, lang, "error.account");
    if (oob) co_return code_page(lang, Application{app->name, app->website}, *issued);
    std::vector<std::pair<std::string, std::string>> parameters = {{"code", *issued}};
    if (!ticket->state.empty()) parameters.emplace_back("state", ticket->state);
    co_return redirect(redirect_with(ticket->redirect_uri, parameters));
  };
}

}  // namespace

std::shared_ptr<WebRoutes> add_web_routes(http::Router& router, WebContext context) {
  auto routes = std::make_shared<WebRoutes>(context);
  router.add("GET", "/oauth/authorize", show_sign_in(*routes));
  router.add("POST", "/oauth/authorize", sign_in(*routes));
  router.add("POST", "/oauth/authorize/decision", decide(*routes));
  add_explanation_routes(router, routes->context);
  return routes;
}

}  // namespace kith::web
