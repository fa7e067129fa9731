// The HTML of the sign-in, consent, code and error pages, and the headers
// every page carries. Internal to the web module.
//
// Pages are complete documents rendered on the server: no script, one
// inline style sheet (allowed by its hash in the Content-Security-Policy),
// every value from a request or the database HTML-escaped. Their words
// come from a table per language (strings.cpp), English for any word a
// language lacks.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/http/message.hpp"
#include "kith/http/router.hpp"

namespace kith::web {

// The language of the page: `lang` if kith has words for it (its primary
// subtag, lower case), else "en".
std::string page_language(std::string_view lang);

// The word for `key` in `language`, English if that language lacks it.
std::string_view text(std::string_view language, std::string_view key);

// What the client asked for, carried through the sign-in form unchanged.
struct AuthorizationRequest {
  std::string client_id;
  std::string redirect_uri;
  std::string scope;  // space-separated, validated
  std::string state;
  std::string code_challenge;
  std::string code_challenge_method;
  std::string language;  // page_language of `lang`
};

struct Application {
  std::string name;
  std::string website;  // may be empty
};

// The sign-in page. `error` (a text key) is shown above the fields and
// tied to them with aria-describedby; `login` is put back in its field.
http::Response login_page(const AuthorizationRequest& request, const Application& app,
                          std::string_view host, std::string_view csrf,
                          std::optional<std::string_view> error, std::string_view login,
                          int status = 200);

// The consent page: who is signed in, the application, the scopes in
// words, and the Authorize / Deny form carrying the sealed ticket.
http::Response consent_page(const AuthorizationRequest& request, const Application& app,
                            std::string_view username, std::string_view ticket,
                            std::string_view csrf);

// The code, for clients registered with urn:ietf:wg:oauth:2.0:oob.
http::Response code_page(std::string_view language, const Application& app, std::string_view code);

// An error page (status 400 and the like): `message` is a text key.
http::Response error_page(int status, std::string_view language, std::string_view message);

// 429 with Retry-After: too many failed sign-ins.
http::Response throttled_page(std::string_view language, std::chrono::seconds wait);

// 302 to `location`, with the page headers.
http::Response redirect(std::string_view location);

// -- "Why is this hidden for me?" (explanation.cpp) --

// The sign-in form of the explanation page at `path` (it posts there).
http::Response explanation_sign_in_page(std::string_view language, std::string_view path,
                                        std::string_view host, std::string_view csrf,
                                        std::optional<std::string_view> error,
                                        std::string_view login, int status = 200);

// What the page says, from mod::Explanation (never who flagged).
struct ExplanationView {
  std::string_view reason;  // none, own_flag, muted_author, predicted, community
  std::string_view action;  // none, warn, hide
  double probability = 0, threshold = 0;
  bool opt_out = false;
  double sensitivity = 0.5;
  std::string_view preferred_action;  // warn, hide
  double viewer_rate = 0, status_rate = 0, author_rate = 0;
  bool community = false;  // the counts below are set
  unsigned flaggers = 0, exposures = 0, flaggers_negative_side = 0, flaggers_positive_side = 0;
};
http::Response explanation_page(std::string_view language, std::string_view username,
                                const ExplanationView& view);
// An error of the explanation page (`message` a text key).
http::Response explanation_error_page(int status, std::string_view language,
                                      std::string_view message);

// GET and POST /kith/moderation/statuses/:id/explanation.
struct WebContext;
void add_explanation_routes(http::Router& router, const WebContext& context);

// Shared by the pages' handlers (authorize.cpp).
// The value of cookie `name` in the request's Cookie headers.
std::optional<std::string> cookie(const http::Request& request, std::string_view name);
// A CSRF token as kith makes them: 43 base64url characters.
bool well_formed_csrf(std::string_view token);
// Whether the configured host is this machine (then cookies are not Secure).
bool loopback_host(std::string_view host);

}  // namespace kith::web
