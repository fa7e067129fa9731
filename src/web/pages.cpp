// Rendering the OAuth pages (pages.hpp).
//
// Accessibility: one <h1> per page, a <label> for every field, autocomplete
// tokens so password managers fill the right fields, errors in a
// role="alert" paragraph that the fields name in aria-describedby, and the
// natural tab order (fields, then the buttons, Authorize before Deny).
// Phones: a viewport meta tag and a single column that never gets wider
// than the screen (long codes and addresses wrap).
#include "pages.hpp"

#include <openssl/sha.h>

#include <cctype>
#include <initializer_list>

#include "kith/ap/base64.hpp"
#include "kith/ap/html_sanitizer.hpp"
#include "kith/api/oauth_scopes.hpp"

namespace kith::web {
namespace {

constexpr std::string_view kStyle =
    "*,*::before,*::after{box-sizing:border-box}"
    "html{font-family:system-ui,-apple-system,\"Segoe UI\",Roboto,sans-serif;line-height:1.5;"
    "color:#1b1b1f;background:#f2f2f5}"
    "body{margin:0;padding:1rem}"
    "main{max-width:28rem;margin:2rem auto;padding:1.5rem;background:#fff;border-radius:.5rem;"
    "box-shadow:0 1px 3px rgba(0,0,0,.15)}"
    "h1{font-size:1.5rem;margin:0 0 1rem;line-height:1.25;overflow-wrap:anywhere}"
    "p,li{overflow-wrap:anywhere}"
    "label{display:block;font-weight:600;margin:1rem 0 .25rem}"
    "input{display:block;width:100%;font:inherit;font-size:1rem;padding:.6rem;"
    "border:1px solid #6b6b76;border-radius:.25rem;background:#fff;color:inherit}"
    "input[aria-invalid=true]{border-color:#b00020;border-width:2px}"
    "button{font:inherit;font-size:1rem;min-height:2.75rem;padding:.5rem 1.25rem;"
    "border-radius:.25rem;border:2px solid #3c3ccf;background:#3c3ccf;color:#fff;"
    "cursor:pointer;margin-top:1.25rem}"
    "button.secondary{background:#fff;color:#3c3ccf}"
    "button:focus-visible,input:focus-visible,a:focus-visible{outline:3px solid #ff9e00;"
    "outline-offset:2px}"
    ".actions{display:flex;flex-wrap:wrap;gap:.75rem}"
    ".actions button{flex:1 1 8rem}"
    ".error{color:#b00020;font-weight:600;border-left:4px solid #b00020;padding-left:.5rem}"
    ".scopes{padding-left:1.25rem}"
    "code,.code{font-family:ui-monospace,monospace;overflow-wrap:anywhere;word-break:break-all}"
    ".code{font-size:1.1rem;padding:.75rem;background:#f2f2f5;border-radius:.25rem}"
    "a{color:#3c3ccf}"
    "@media (prefers-color-scheme:dark){html{color:#ececf1;background:#16161d}"
    "main{background:#24242e}input{background:#16161d}.code{background:#16161d}"
    "a{color:#a5a5ff}button.secondary{background:#24242e;color:#a5a5ff}"
    ".error{color:#ff8a80;border-color:#ff8a80}}";

// 'sha256-...' for the style element, so the policy allows exactly it.
const std::string& style_source() {
  static const std::string source = [] {
    unsigned char digest[SHA256_DIGEST_LENGTH];
    SHA256(reinterpret_cast<const unsigned char*>(kStyle.data()), kStyle.size(), digest);
    return "'sha256-" +
           ap::base64_encode(
               std::string_view(reinterpret_cast<const char*>(digest), sizeof digest)) +
           "'";
  }();
  return source;
}

std::string escape(std::string_view text) {
  return ap::escape_html(text);
}

// `pattern` with {name} replaced by the escaped values.
std::string fill(std::string_view pattern,
                 std::initializer_list<std::pair<std::string_view, std::string_view>> values) {
  std::string out;
  std::size_t i = 0;
  while (i < pattern.size()) {
    if (pattern[i] == '{') {
      const auto close = pattern.find('}', i);
      if (close != std::string_view::npos) {
        const std::string_view name = pattern.substr(i + 1, close - i - 1);
        bool replaced = false;
        for (const auto& [key, value] : values)
          if (key == name) {
            out += escape(value);
            replaced = true;
          }
        if (replaced) {
          i = close + 1;
          continue;
        }
      }
    }
    // The literal text up to the next brace, escaped whole (a byte at a
    // time would split UTF-8 sequences).
    const auto next = pattern.find('{', i + 1);
    const std::size_t end = next == std::string_view::npos ? pattern.size() : next;
    out += escape(pattern.substr(i, end - i));
    i = end;
  }
  return out;
}

// The Content-Security-Policy of a page: nothing but its own style sheet,
// no framing (a consent page in a frame could be clicked through), forms
// only to `form_action`.
std::string policy(std::string_view form_action) {
  std::string out = "default-src 'none'; style-src " + style_source() +
                    "; img-src 'self'; base-uri 'none'; frame-ancestors 'none'";
  if (!form_action.empty()) out += "; form-action " + std::string(form_action);
  return out;
}

http::Response page(int status, std::string_view language, std::string_view title,
                    const std::string& body, std::string_view form_action) {
  std::string html;
  html.reserve(kStyle.size() + body.size() + 512);
  html += "<!DOCTYPE html>\n<html lang=\"" + escape(language) +
          "\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
          "<meta name=\"referrer\" content=\"no-referrer\">\n<title>" +
          escape(title) + "</title>\n<style>";
  html += kStyle;
  html += "</style>\n</head>\n<body>\n<main>\n";
  html += body;
  html += "</main>\n</body>\n</html>\n";
  http::Response response =
      http::text_response(status, std::move(html), "text/html; charset=utf-8");
  response.set_header("Content-Security-Policy", policy(form_action));
  response.set_header("X-Frame-Options", "DENY");
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Cache-Control", "no-store");
  response.set_header("Pragma", "no-cache");
  response.set_header("Referrer-Policy", "no-referrer");
  return response;
}

std::string hidden(std::string_view name, std::string_view value) {
  return "<input type=\"hidden\" name=\"" + escape(name) + "\" value=\"" + escape(value) + "\">\n";
}

// The CSP source that lets the consent form's answer redirect to
// `redirect_uri`: Chromium applies form-action to the redirect that
// follows a form submission, so 'self' alone would block it. An origin for
// http(s), the scheme for a custom one ("myapp:"); empty when the address
// cannot be written as a source (then the page sets no form-action).
std::optional<std::string> redirect_source(std::string_view uri) {
  const auto colon = uri.find(':');
  if (colon == std::string_view::npos || colon == 0) return std::nullopt;
  std::string scheme(uri.substr(0, colon));
  for (char& c : scheme) {
    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '+' && c != '-' && c != '.')
      return std::nullopt;
  }
  if (scheme != "http" && scheme != "https") return scheme + ":";
  const std::string_view rest = uri.substr(colon + 1);
  if (!rest.starts_with("//")) return std::nullopt;
  const std::string_view after = rest.substr(2);
  const std::string_view authority = after.substr(0, after.find_first_of("/?#"));
  if (authority.empty()) return std::nullopt;
  for (char c : authority)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' &&
        c != '[' && c != ']')
      return std::nullopt;  // userinfo, percent-escapes: not worth the risk
  return scheme + "://" + std::string(authority);
}

// The end of a sign-in form (the OAuth page's and the explanation page's):
// the error, if any, announced and tied to the fields; login and password
// (the password focused after an error with a login given); the button
// labelled `submit_key`; the form's end.
std::string sign_in_fields(std::string_view lang, std::string_view login,
                           std::optional<std::string_view> error, std::string_view submit_key) {
  std::string body;
  std::string invalid;
  if (error) {
    body += "<p id=\"sign-in-error\" class=\"error\" role=\"alert\">" + escape(text(lang, *error)) +
            "</p>\n";
    invalid = " aria-invalid=\"true\" aria-describedby=\"sign-in-error\"";
  }
  const bool focus_password = error && !login.empty();
  body += "<label for=\"login\">" + escape(text(lang, "sign_in.login")) + "</label>\n";
  body +=
      "<input id=\"login\" name=\"username\" type=\"text\" autocomplete=\"username\" "
      "autocapitalize=\"none\" spellcheck=\"false\" required value=\"" +
      escape(login) + "\"" + invalid + (focus_password ? "" : " autofocus") + ">\n";
  body += "<label for=\"password\">" + escape(text(lang, "sign_in.password")) + "</label>\n";
  body +=
      "<input id=\"password\" name=\"password\" type=\"password\" "
      "autocomplete=\"current-password\" required" +
      invalid + (focus_password ? " autofocus" : "") + ">\n";
  body += "<button type=\"submit\">" + escape(text(lang, submit_key)) + "</button>\n";
  body += "</form>\n";
  return body;
}

}  // namespace

http::Response login_page(const AuthorizationRequest& request, const Application& app,
                          std::string_view host, std::string_view csrf,
                          std::optional<std::string_view> error, std::string_view login,
                          int status) {
  const std::string_view lang = request.language;
  std::string body = "<h1>" + escape(text(lang, "sign_in.title")) + "</h1>\n";
  body += "<p>" + fill(text(lang, "sign_in.intro"), {{"app", app.name}, {"host", host}}) + "</p>\n";
  body += "<form method=\"post\" action=\"/oauth/authorize\">\n";
  body += hidden("response_type", "code");
  body += hidden("client_id", request.client_id);
  body += hidden("redirect_uri", request.redirect_uri);
  body += hidden("scope", request.scope);
  body += hidden("state", request.state);
  body += hidden("code_challenge", request.code_challenge);
  body += hidden("code_challenge_method", request.code_challenge_method);
  body += hidden("lang", request.language);
  body += hidden("csrf", csrf);
  body += sign_in_fields(lang, login, error, "sign_in.submit");
  return page(status, lang, text(lang, "sign_in.title"), body, "'self'");
}

http::Response consent_page(const AuthorizationRequest& request, const Application& app,
                            std::string_view username, std::string_view ticket,
                            std::string_view csrf) {
  const std::string_view lang = request.language;
  const std::string title = fill(text(lang, "consent.title"), {{"app", app.name}});
  std::string body = "<h1>" + title + "</h1>\n";
  body += "<p>" + escape(text(lang, "consent.signed_in_as")) + " <strong>@" + escape(username) +
          "</strong>.</p>\n";
  if (auto href = ap::safe_link_href(app.website);
      href && (href->starts_with("https://") || href->starts_with("http://")))
    body += "<p><a href=\"" + escape(*href) + "\" rel=\"noopener noreferrer nofollow\">" +
            escape(text(lang, "consent.website")) + "</a>: <code>" + escape(*href) +
            "</code></p>\n";
  body += "<p>" + fill(text(lang, "consent.asks"), {{"app", app.name}}) + "</p>\n";
  body += "<ul class=\"scopes\">\n";
  for (const std::string& scope : api::split_scopes(request.scope))
    body += "<li><strong>" + escape(scope) + "</strong>: " + escape(text(lang, "scope." + scope)) +
            "</li>\n";
  body += "</ul>\n";
  std::string form_action = "'self'";
  const bool oob = request.redirect_uri == "urn:ietf:wg:oauth:2.0:oob";
  if (!oob) {
    body += "<p>" + escape(text(lang, "consent.return_to")) + " <code>" +
            escape(request.redirect_uri) + "</code></p>\n";
    if (auto source = redirect_source(request.redirect_uri))
      form_action += " " + *source;
    else
      form_action.clear();
  }
  body += "<form method=\"post\" action=\"/oauth/authorize/decision\">\n";
  body += hidden("ticket", ticket);
  body += hidden("csrf", csrf);
  body += hidden("lang", request.language);
  body += "<div class=\"actions\">\n";
  body += "<button type=\"submit\" name=\"decision\" value=\"approve\">" +
          escape(text(lang, "consent.approve")) + "</button>\n";
  body += "<button type=\"submit\" name=\"decision\" value=\"deny\" class=\"secondary\">" +
          escape(text(lang, "consent.deny")) + "</button>\n";
  body += "</div>\n</form>\n";
  return page(200, lang, title, body, form_action);
}

http::Response code_page(std::string_view language, const Application& app, std::string_view code) {
  std::string body = "<h1>" + escape(text(language, "code.title")) + "</h1>\n";
  body +=
      "<p id=\"code-help\">" + fill(text(language, "code.intro"), {{"app", app.name}}) + "</p>\n";
  body += "<p class=\"code\" id=\"code\" aria-describedby=\"code-help\">" + escape(code) + "</p>\n";
  return page(200, language, text(language, "code.title"), body, "'none'");
}

http::Response error_page(int status, std::string_view language, std::string_view message) {
  std::string body = "<h1>" + escape(text(language, "error.title")) + "</h1>\n";
  body += "<p class=\"error\" role=\"alert\">" + escape(text(language, message)) + "</p>\n";
  return page(status, language, text(language, "error.title"), body, "'none'");
}

http::Response throttled_page(std::string_view language, std::chrono::seconds wait) {
  const std::string minutes = std::to_string((wait.count() + 59) / 60);
  std::string body = "<h1>" + escape(text(language, "throttled.title")) + "</h1>\n";
  body += "<p class=\"error\" role=\"alert\">" +
          fill(text(language, "throttled.text"), {{"minutes", minutes}}) + "</p>\n";
  http::Response response = page(429, language, text(language, "throttled.title"), body, "'none'");
  response.set_header("Retry-After", std::to_string(wait.count()));
  return response;
}

http::Response redirect(std::string_view location) {
  http::Response response = http::text_response(302, "", "text/plain; charset=utf-8");
  response.set_header("Location", std::string(location));
  response.set_header("Cache-Control", "no-store");
  response.set_header("Referrer-Policy", "no-referrer");
  return response;
}

// -- "Why is this hidden for me?" --

namespace {

std::string percent(double value) {
  const double clamped = value < 0 ? 0 : value > 1 ? 1 : value;
  return std::to_string(static_cast<int>(clamped * 100 + 0.5)) + " %";
}

}  // namespace

http::Response explanation_sign_in_page(std::string_view language, std::string_view path,
                                        std::string_view host, std::string_view csrf,
                                        std::optional<std::string_view> error,
                                        std::string_view login, int status) {
  const std::string_view lang = language;
  std::string body = "<h1>" + escape(text(lang, "why.title")) + "</h1>\n";
  body += "<p>" + fill(text(lang, "why.sign_in"), {{"host", host}}) + "</p>\n";
  body += "<form method=\"post\" action=\"" + escape(path) + "\">\n";
  body += hidden("lang", language);
  body += hidden("csrf", csrf);
  body += sign_in_fields(lang, login, error, "why.submit");
  return page(status, language, text(lang, "why.title"), body, "'self'");
}

http::Response explanation_page(std::string_view language, std::string_view username,
                                const ExplanationView& view) {
  const std::string_view lang = language;
  const std::string reason_key = "why.reason." + std::string(view.reason);
  const std::string action_key = "why.action." + std::string(view.action);
  std::string body = "<h1>" + escape(text(lang, "why.title")) + "</h1>\n";
  body += "<p>" + fill(text(lang, "why.signed_in"), {{"user", username}}) + "</p>\n";
  body += "<p><strong>" + escape(text(lang, action_key)) + "</strong></p>\n";
  body += "<p>" + escape(text(lang, reason_key)) + "</p>\n";
  body += "<h2>" + escape(text(lang, "why.numbers")) + "</h2>\n<ul>\n";
  body += "<li>" +
          fill(text(lang, "why.probability"), {{"probability", percent(view.probability)},
                                               {"threshold", percent(view.threshold)}}) +
          "</li>\n";
  body += "<li>" +
          fill(text(lang, "why.rates"), {{"you", percent(view.viewer_rate)},
                                         {"status", percent(view.status_rate)},
                                         {"author", percent(view.author_rate)}}) +
          "</li>\n";
  body += "<li>" +
          fill(text(lang, view.opt_out ? "why.preferences_opt_out" : "why.preferences"),
               {{"sensitivity", percent(view.sensitivity)},
                {"action", text(lang, "why.preferred." + std::string(view.preferred_action))}}) +
          "</li>\n";
  if (view.community) {
    const std::string flaggers = std::to_string(view.flaggers);
    const std::string exposures = std::to_string(view.exposures);
    const std::string negative = std::to_string(view.flaggers_negative_side);
    const std::string positive = std::to_string(view.flaggers_positive_side);
    body += "<li>" +
            fill(text(lang, "why.community"), {{"flaggers", flaggers},
                                               {"exposures", exposures},
                                               {"negative", negative},
                                               {"positive", positive}}) +
            "</li>\n";
  }
  body += "</ul>\n<p>" + escape(text(lang, "why.never_who")) + "</p>\n";
  return page(200, language, text(lang, "why.title"), body, "'none'");
}

http::Response explanation_error_page(int status, std::string_view language,
                                      std::string_view message) {
  std::string body = "<h1>" + escape(text(language, "why.title")) + "</h1>\n";
  body += "<p class=\"error\" role=\"alert\">" + escape(text(language, message)) + "</p>\n";
  return page(status, language, text(language, "why.title"), body, "'none'");
}

}  // namespace kith::web
