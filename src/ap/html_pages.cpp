// The placeholder HTML pages (html_pages.hpp). Stored HTML (a bio, a
// status's content, profile field values) was sanitised when it was
// written; it is passed through the sanitiser again here anyway, so that
// nothing the database holds can put markup on a page that the allowlist
// does not allow. Everything else is escaped text.
#include "html_pages.hpp"

#include "kith/ap/html_sanitizer.hpp"

namespace kith::ap {
namespace {

// No scripts, no plugins, no forms, no framing; images only over https
// (avatars), styles only the page's own.
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; img-src https:; style-src 'unsafe-inline'; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'none'";

constexpr std::string_view kStyle =
    "body{max-width:40rem;margin:2rem auto;padding:0 1rem;font-family:system-ui,sans-serif;"
    "line-height:1.5}img{border-radius:8px}dt{font-weight:bold}";

std::string sanitized(std::string_view html) {
  return sanitize_html(html).value_or("");
}

std::string display_name(const db::LocalAccount& account) {
  return account.display_name.empty() ? account.username : account.display_name;
}

std::string head(std::string_view title, std::string_view activity_streams_id,
                 std::string_view canonical) {
  std::string out =
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>";
  out += escape_html(title);
  out += "</title>\n<link rel=\"alternate\" type=\"application/activity+json\" href=\"";
  out += escape_html(activity_streams_id);
  out += "\">\n";
  if (!canonical.empty()) {
    out += "<link rel=\"canonical\" href=\"";
    out += escape_html(canonical);
    out += "\">\n";
  }
  out += "<style>";
  out += kStyle;
  out += "</style>\n</head>\n<body>\n";
  return out;
}

constexpr std::string_view kTail = "</body>\n</html>\n";

}  // namespace

std::string render_profile_page(const db::LocalAccount& account, std::string_view host) {
  const std::string name = display_name(account);
  const std::string handle = "@" + account.username + "@" + std::string(host);
  std::string out = head(name + " (" + handle + ")", account.uri, account.url);
  out += "<main class=\"h-card\">\n";
  if (account.avatar_url.starts_with("https://")) {
    out += "<img class=\"u-photo\" src=\"" + escape_html(account.avatar_url) +
           "\" alt=\"\" width=\"96\" height=\"96\">\n";
  }
  out += "<h1 class=\"p-name\">" + escape_html(name) + "</h1>\n";
  out += "<p><a class=\"u-url\" href=\"" + escape_html(account.url) + "\">" + escape_html(handle) +
         "</a></p>\n";
  if (!account.note.empty()) out += "<div class=\"p-note\">" + sanitized(account.note) + "</div>\n";
  if (!account.fields.empty()) {
    out += "<dl>\n";
    for (const db::ProfileField& field : account.fields)
      out += "<dt>" + escape_html(field.name) + "</dt><dd>" + sanitized(field.value) + "</dd>\n";
    out += "</dl>\n";
  }
  out += "</main>\n";
  out += kTail;
  return out;
}

std::string render_status_page(const db::LocalAccount& account, const db::StatusRecord& status,
                               std::string_view host) {
  const std::string name = display_name(account);
  const std::string handle = "@" + account.username + "@" + std::string(host);
  const std::string url = status.url.empty() ? status.uri : status.url;
  std::string out = head(name + " (" + handle + ")", status.uri, url);
  out += "<main>\n<article class=\"h-entry\">\n";
  out += "<p class=\"p-author h-card\"><a class=\"u-url p-name\" href=\"" +
         escape_html(account.url) + "\">" + escape_html(name) + "</a> " + escape_html(handle) +
         "</p>\n";
  const std::string content = "<div class=\"e-content\">" + sanitized(status.content) + "</div>\n";
  if (!status.spoiler_text.empty()) {
    // A content warning hides the content until the reader opens it, with
    // no script: <details>.
    out += "<details><summary class=\"p-summary\">" + escape_html(status.spoiler_text) +
           "</summary>\n" + content + "</details>\n";
  } else {
    out += content;
  }
  out += "<p><a class=\"u-url\" href=\"" + escape_html(url) + "\"><time class=\"dt-published\" " +
         "datetime=\"" + escape_html(status.created_at) + "\">" + escape_html(status.created_at) +
         "</time></a></p>\n";
  out += "</article>\n</main>\n";
  out += kTail;
  return out;
}

http::Response html_response(std::string body, std::string_view activity_streams_id) {
  http::Response response = http::text_response(200, std::move(body), "text/html; charset=utf-8");
  response.set_header("Content-Security-Policy", std::string(kContentSecurityPolicy));
  response.set_header("X-Content-Type-Options", "nosniff");
  response.set_header("Referrer-Policy", "same-origin");
  response.set_header("Link", "<" + std::string(activity_streams_id) +
                                  ">; rel=\"alternate\"; type=\"application/activity+json\"");
  return response;
}

}  // namespace kith::ap
