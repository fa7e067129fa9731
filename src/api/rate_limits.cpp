// Rate limits of the client API, as Mastodon sets them: every /api/ route,
// and the token and revoke endpoints under /oauth/ registered with them
// (the sign-in pages have their own limit of failed attempts), counts
// against the caller's account (signed in) or IP address (anonymous), api.rate_limit.* requests per
// 5-minute window. Every answer carries all three X-RateLimit-* headers (clients such as
// Mastodon.py pace themselves by them, and break on a partial set); past the limit the answer is
// 429 {"error": ...} with Retry-After, and the handler never runs.
//
// The account behind a token is learnt when the token is first checked
// (client_support.cpp remembers it); until then, for a token's very first
// request, the token itself is the key.
#include "kith/core/rate_limiter.hpp"

#include <fmt/chrono.h>
#include <fmt/format.h>

#include "kith/db/applications.hpp"
#include "routes_internal.hpp"

namespace kith::api {
namespace {

// 2024-01-01T00:05:00.000Z, the form Mastodon sends and clients parse.
std::string iso_time(std::chrono::system_clock::time_point t) {
  const auto seconds = std::chrono::time_point_cast<std::chrono::seconds>(t);
  const auto millis = std::chrono::duration_cast<std::chrono::milliseconds>(t - seconds).count();
  return fmt::format("{:%Y-%m-%dT%H:%M:%S}.{:03}Z", seconds, millis);
}

void set_rate_limit_headers(http::Response& response, const core::RateLimiter::Decision& d) {
  response.set_header("X-RateLimit-Limit", std::to_string(d.limit));
  response.set_header("X-RateLimit-Remaining", std::to_string(d.remaining));
  response.set_header("X-RateLimit-Reset", iso_time(d.reset));
}

struct LimitKey {
  std::string key;
  unsigned limit = 0;
};

LimitKey limit_key(ApiRoutes& routes, const http::Request& request) {
  const core::Config& config = routes.context.config;
  std::optional<std::string> token = bearer_token(request);
  if (token && !token->empty()) {
    const std::string hash = db::sha256_hex(*token);
    if (auto account = routes.token_accounts.get(hash))
      return {"account:" + std::to_string(*account), config.api.rate_limit_authenticated};
    return {"token:" + hash, config.api.rate_limit_authenticated};
  }
  return {"ip:" + request.remote_address, config.api.rate_limit_anonymous};
}

http::Handler rate_limited(ApiRoutes& routes, http::Handler inner) {
  return [&routes, inner = std::move(inner)](
             http::Request& request) -> boost::asio::awaitable<http::Response> {
    const LimitKey key = limit_key(routes, request);
    if (key.limit == 0) co_return co_await inner(request);
    const core::RateLimiter::Decision decision = routes.rate_limiter.hit(key.key, key.limit);
    if (!decision.allowed) {
      http::Response refused = http::error_response(429, "Too many requests");
      set_rate_limit_headers(refused, decision);
      const auto wait = std::chrono::duration_cast<std::chrono::seconds>(
          decision.reset - std::chrono::system_clock::now());
      refused.set_header("Retry-After", std::to_string(std::max<long long>(1, wait.count())));
      co_return refused;
    }
    http::Response response = co_await inner(request);
    set_rate_limit_headers(response, decision);
    co_return response;
  };
}

}  // namespace

void add_rate_limits(http::Router& router, ApiRoutes& routes) {
  const auto decorate = [&routes](http::Handler inner) {
    return rate_limited(routes, std::move(inner));
  };
  router.wrap("/api/", decorate);
  router.wrap("/oauth/", decorate);
}

}  // namespace kith::api
