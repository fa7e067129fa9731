// Signature strength rules (Mastodon's app/lib/signed_request.rb, stricter)
// and HTTP-date parsing (RFC 9110 5.6.7).
#include "kith/ap/signature_policy.hpp"

#include <algorithm>
#include <array>
#include <cstdio>

#include "kith/ap/digest.hpp"
#include "kith/http/url.hpp"

namespace kith::ap {

namespace {

using std::chrono::system_clock;
using Seconds = std::chrono::sys_seconds;

PolicyResult fail(PolicyFailure failure, std::string detail = {}) {
  return PolicyResult{failure, std::move(detail)};
}

std::string joined(const std::vector<std::string_view>& values) {
  std::string out;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out += ", ";
    out += values[i];
  }
  return out;
}

std::vector<std::string_view> header_values(const RequestParts& request, std::string_view name) {
  return request.headers ? request.headers(name) : std::vector<std::string_view>{};
}

// A request that carries a body, or whose method is meant to (Mastodon
// requires the digest on every POST, empty or not).
bool has_body(const RequestParts& request, std::string_view body) {
  return !body.empty() || request.method == "POST" || request.method == "PUT" ||
         request.method == "PATCH";
}

// The window for a signature created at `created`, with an optional signed
// expiry, as Mastodon's matches_time_window?. Everything is compared in
// whole seconds: a hostile created of year 2300 in the clock's nanoseconds
// would overflow (found by fuzzing).
PolicyResult check_window(Seconds created, std::optional<Seconds> expires, Seconds now,
                          std::string_view what) {
  if (created > now + kClockSkewMargin)
    return fail(PolicyFailure::signed_in_future, std::string(what));
  Seconds expiry = expires.value_or(created + kDefaultSignatureLifetime);
  expiry = std::min(expiry, created + kMaxSignatureLifetime);
  if (now > expiry + kClockSkewMargin) return fail(PolicyFailure::expired, std::string(what));
  return {};
}

// The signed Host must name this server: otherwise a request signed for
// another server could be replayed here (the path alone does not bind it).
bool host_is_ours(const RequestParts& request) {
  const auto values = header_values(request, "host");
  if (values.size() != 1) return false;
  const std::string scheme(request.scheme);
  const auto theirs = http::parse_url(scheme + "://" + std::string(values.front()) + "/");
  const auto ours = http::parse_url(scheme + "://" + std::string(request.authority) + "/");
  return theirs && ours && theirs.url->origin == ours.url->origin && !theirs.url->has_query &&
         !theirs.url->has_fragment && theirs.url->path == "/";
}

PolicyResult check_digest(DigestCheck check, std::string_view value) {
  switch (check) {
    case DigestCheck::match:
      return {};
    case DigestCheck::mismatch:
      return fail(PolicyFailure::digest_mismatch, std::string(value));
    case DigestCheck::malformed:
      return fail(PolicyFailure::digest_malformed, std::string(value));
    case DigestCheck::unsupported:
      return fail(PolicyFailure::digest_unsupported, std::string(value));
  }
  return fail(PolicyFailure::digest_malformed);
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

std::optional<int> number(std::string_view text) {
  if (text.empty()) return std::nullopt;
  int value = 0;
  for (char c : text) {
    if (!is_digit(c)) return std::nullopt;
    value = value * 10 + (c - '0');
  }
  return value;
}

constexpr std::array<std::string_view, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
constexpr std::array<std::string_view, 7> kDays = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
constexpr std::array<std::string_view, 7> kLongDays = {"Sunday",   "Monday", "Tuesday", "Wednesday",
                                                       "Thursday", "Friday", "Saturday"};

std::optional<unsigned> month_number(std::string_view name) {
  for (unsigned i = 0; i < kMonths.size(); ++i)
    if (kMonths[i] == name) return i + 1;
  return std::nullopt;
}

template <std::size_t N>
bool one_of(std::string_view name, const std::array<std::string_view, N>& names) {
  for (auto n : names)
    if (n == name) return true;
  return false;
}

// time-of-day = hour ":" minute ":" second, two digits each; second 60 is a
// leap second.
std::optional<std::chrono::seconds> time_of_day(std::string_view text) {
  if (text.size() != 8 || text[2] != ':' || text[5] != ':') return std::nullopt;
  const auto h = number(text.substr(0, 2)), m = number(text.substr(3, 2)),
             s = number(text.substr(6, 2));
  if (!h || !m || !s || *h > 23 || *m > 59 || *s > 60) return std::nullopt;
  return std::chrono::hours(*h) + std::chrono::minutes(*m) + std::chrono::seconds(*s);
}

std::optional<Seconds> make_time(int year, unsigned month, unsigned day, std::chrono::seconds tod) {
  const std::chrono::year_month_day date{std::chrono::year(year), std::chrono::month(month),
                                         std::chrono::day(day)};
  if (!date.ok()) return std::nullopt;
  return Seconds(std::chrono::sys_days(date)) + tod;
}

}  // namespace

std::string_view describe(PolicyFailure failure) {
  switch (failure) {
    case PolicyFailure::none:
      return "no failure";
    case PolicyFailure::unsupported_algorithm:
      return "unsupported signature algorithm";
    case PolicyFailure::key_id_missing:
      return "signature has no keyid";
    case PolicyFailure::request_target_not_signed:
      return "the request target is not signed";
    case PolicyFailure::method_not_signed:
      return "the request method is not signed";
    case PolicyFailure::host_not_signed:
      return "the Host header is not signed";
    case PolicyFailure::host_mismatch:
      return "the signed Host is not this server";
    case PolicyFailure::time_not_signed:
      return "neither Date nor (created) is signed";
    case PolicyFailure::date_missing:
      return "the signed Date header is missing";
    case PolicyFailure::date_malformed:
      return "the Date header is not an HTTP date";
    case PolicyFailure::created_missing:
      return "the signature has no created time";
    case PolicyFailure::created_not_allowed:
      return "(created) and (expires) cannot be signed with this algorithm";
    case PolicyFailure::expires_missing:
      return "(expires) is signed but expires is absent";
    case PolicyFailure::signed_in_future:
      return "the signature was made in the future";
    case PolicyFailure::expired:
      return "the signature is outside the accepted time window";
    case PolicyFailure::digest_not_signed:
      return "the body digest is not signed";
    case PolicyFailure::digest_missing:
      return "the signed digest header is missing";
    case PolicyFailure::digest_malformed:
      return "the digest header is malformed";
    case PolicyFailure::digest_unsupported:
      return "the digest header has no SHA-256 digest";
    case PolicyFailure::digest_mismatch:
      return "the body does not match its digest";
  }
  return "unknown signature policy failure";
}

std::optional<RsaScheme> cavage_rsa_scheme(std::string_view algorithm) {
  if (algorithm.empty() || algorithm == "rsa-sha256" || algorithm == "hs2019")
    return RsaScheme::pkcs1_sha256;
  return std::nullopt;
}

std::optional<RsaScheme> message_signature_rsa_scheme(const std::optional<std::string>& alg) {
  if (!alg || *alg == "rsa-v1_5-sha256") return RsaScheme::pkcs1_sha256;
  if (*alg == "rsa-pss-sha512") return RsaScheme::pss_sha512;
  return std::nullopt;
}

PolicyResult check_cavage_policy(const CavageSignature& signature, const RequestParts& request,
                                 std::string_view body, system_clock::time_point clock_now) {
  const Seconds now = std::chrono::floor<std::chrono::seconds>(clock_now);
  if (!cavage_rsa_scheme(signature.algorithm))
    return fail(PolicyFailure::unsupported_algorithm, signature.algorithm);

  // The request itself: method and target, and the server it was sent to.
  if (!signature.signs("(request-target)")) return fail(PolicyFailure::request_target_not_signed);
  if (!signature.signs("host")) return fail(PolicyFailure::host_not_signed);
  if (!host_is_ours(request))
    return fail(PolicyFailure::host_mismatch, joined(header_values(request, "host")));

  // The time: Date or (created), each one signed checked against the window.
  const bool date_signed = signature.signs("date");
  const bool created_signed = signature.signs("(created)");
  const bool expires_signed = signature.signs("(expires)");
  if (!date_signed && !created_signed) return fail(PolicyFailure::time_not_signed);
  if ((created_signed || expires_signed) && !signature.algorithm.empty() &&
      signature.algorithm != "hs2019")
    return fail(PolicyFailure::created_not_allowed, signature.algorithm);
  std::optional<Seconds> expires;
  if (expires_signed) {
    if (!signature.expires) return fail(PolicyFailure::expires_missing);
    expires = Seconds(std::chrono::seconds(signature.expires->seconds));
  }
  if (date_signed) {
    const auto values = header_values(request, "date");
    if (values.empty()) return fail(PolicyFailure::date_missing);
    const std::string value = joined(values);
    const auto date = parse_http_date(value);
    if (!date) return fail(PolicyFailure::date_malformed, value);
    if (auto window = check_window(*date, expires, now, value); !window) return window;
  }
  if (created_signed) {
    if (!signature.created) return fail(PolicyFailure::created_missing);
    const Seconds created{std::chrono::seconds(signature.created->seconds)};
    if (auto window = check_window(created, expires, now, signature.created->text); !window)
      return window;
  }

  // The body: its digest signed, and recomputed from what was received.
  const bool digest_signed = signature.signs("digest");
  if (has_body(request, body) && !digest_signed) return fail(PolicyFailure::digest_not_signed);
  if (digest_signed) {
    const auto values = header_values(request, "digest");
    if (values.empty()) return fail(PolicyFailure::digest_missing);
    const std::string value = joined(values);
    if (auto digest = check_digest(check_digest_header(value, body), value); !digest) return digest;
  }
  return {};
}

PolicyResult check_message_signature_policy(const MessageSignature& signature,
                                            const RequestParts& request, std::string_view body,
                                            system_clock::time_point clock_now) {
  const Seconds now = std::chrono::floor<std::chrono::seconds>(clock_now);
  if (!message_signature_rsa_scheme(signature.alg))
    return fail(PolicyFailure::unsupported_algorithm, signature.alg.value_or(""));
  if (!signature.keyid || signature.keyid->empty()) return fail(PolicyFailure::key_id_missing);

  // Method and target: @target-uri carries scheme, authority, path and
  // query; without it, the authority (or a signed Host) and the path and
  // query must be covered one by one.
  if (!signature.covers("@method")) return fail(PolicyFailure::method_not_signed);
  if (!signature.covers("@target-uri")) {
    const bool host_signed = signature.covers("host");
    if (!signature.covers("@authority") && !host_signed)
      return fail(PolicyFailure::request_target_not_signed, "@authority");
    const bool has_query = request.target.find('?') != std::string_view::npos;
    if (!signature.covers("@request-target") &&
        !(signature.covers("@path") && (signature.covers("@query") || !has_query)))
      return fail(PolicyFailure::request_target_not_signed, "@path");
    if (host_signed && !signature.covers("@authority") && !host_is_ours(request))
      return fail(PolicyFailure::host_mismatch, joined(header_values(request, "host")));
  }

  // Time: created is required (Mastodon's REQUIRED_PARAMETERS), and the
  // parameters are signed in @signature-params, so expires is honoured.
  if (!signature.created) return fail(PolicyFailure::created_missing);
  const Seconds created{std::chrono::seconds(*signature.created)};
  std::optional<Seconds> expires;
  if (signature.expires) expires = Seconds(std::chrono::seconds(*signature.expires));
  if (auto window = check_window(created, expires, now, std::to_string(*signature.created));
      !window)
    return window;

  const bool digest_signed = signature.covers("content-digest");
  if (has_body(request, body) && !digest_signed) return fail(PolicyFailure::digest_not_signed);
  if (digest_signed) {
    const auto values = header_values(request, "content-digest");
    if (values.empty()) return fail(PolicyFailure::digest_missing);
    const std::string value = joined(values);
    if (auto digest = check_digest(check_content_digest(value, body), value); !digest)
      return digest;
  }
  return {};
}

std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text) {
  if (text.size() > 64) return std::nullopt;
  // IMF-fixdate = day-name "," SP date1 SP time-of-day SP GMT
  //   date1 = day SP month SP year ; e.g., 02 Jun 1982
  // "Sun, 06 Nov 1994 08:49:37 GMT": 29 characters.
  if (text.size() == 29 && text[3] == ',' && text[4] == ' ' && text[7] == ' ' && text[11] == ' ' &&
      text[16] == ' ' && text[25] == ' ' && text.substr(26) == "GMT") {
    if (!one_of(text.substr(0, 3), kDays)) return std::nullopt;
    const auto day = number(text.substr(5, 2));
    const auto month = month_number(text.substr(8, 3));
    const auto year = number(text.substr(12, 4));
    const auto tod = time_of_day(text.substr(17, 8));
    if (!day || !month || !year || !tod) return std::nullopt;
    return make_time(*year, *month, static_cast<unsigned>(*day), *tod);
  }
  // asctime-date = day-name SP date3 SP time-of-day SP year
  //   date3 = month SP ( 2DIGIT / ( SP DIGIT )) ; e.g., Jun  2
  // "Sun Nov  6 08:49:37 1994": 24 characters.
  if (text.size() == 24 && text[3] == ' ' && text[7] == ' ' && text[10] == ' ' && text[19] == ' ') {
    if (!one_of(text.substr(0, 3), kDays)) return std::nullopt;
    const auto month = month_number(text.substr(4, 3));
    const std::string_view day_text = text[8] == ' ' ? text.substr(9, 1) : text.substr(8, 2);
    const auto day = number(day_text);
    const auto tod = time_of_day(text.substr(11, 8));
    const auto year = number(text.substr(20, 4));
    if (!day || !month || !year || !tod) return std::nullopt;
    return make_time(*year, *month, static_cast<unsigned>(*day), *tod);
  }
  // rfc850-date = day-name-l "," SP date2 SP time-of-day SP GMT
  //   date2 = day "-" month "-" 2DIGIT ; e.g., 02-Jun-82
  // "Sunday, 06-Nov-94 08:49:37 GMT". Two-digit years: 70-99 are 19xx and
  // 00-69 are 20xx (RFC 9110 asks for "within 50 years"; a date that far
  // off fails the signature window either way).
  const auto comma = text.find(',');
  if (comma == std::string_view::npos || !one_of(text.substr(0, comma), kLongDays))
    return std::nullopt;
  const std::string_view rest = text.substr(comma);
  if (rest.size() != 24 || rest[1] != ' ' || rest[4] != '-' || rest[8] != '-' || rest[11] != ' ' ||
      rest[20] != ' ' || rest.substr(21) != "GMT")
    return std::nullopt;
  const auto day = number(rest.substr(2, 2));
  const auto month = month_number(rest.substr(5, 3));
  const auto short_year = number(rest.substr(9, 2));
  const auto tod = time_of_day(rest.substr(12, 8));
  if (!day || !month || !short_year || !tod) return std::nullopt;
  const int year = *short_year >= 70 ? 1900 + *short_year : 2000 + *short_year;
  return make_time(year, *month, static_cast<unsigned>(*day), *tod);
}

std::string format_http_date(std::chrono::sys_seconds time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date{days};
  const std::chrono::hh_mm_ss tod{time - days};
  const unsigned weekday = std::chrono::weekday(days).c_encoding();
  char buffer[64];
  std::snprintf(buffer, sizeof buffer, "%s, %02u %s %04d %02d:%02d:%02d GMT",
                std::string(kDays[weekday]).c_str(), static_cast<unsigned>(date.day()),
                std::string(kMonths[static_cast<unsigned>(date.month()) - 1]).c_str(),
                static_cast<int>(date.year()), static_cast<int>(tod.hours().count()),
                static_cast<int>(tod.minutes().count()), static_cast<int>(tod.seconds().count()));
  return buffer;
}

}  // namespace kith::ap
