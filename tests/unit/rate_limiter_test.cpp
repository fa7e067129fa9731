// Rate limiting: counts per key within a clock-aligned window, a new window
// starts afresh, and the table never grows past its bound.
#include <catch2/catch.hpp>

#include <string>

#include "kith/core/rate_limiter.hpp"

using kith::core::RateLimiter;
using std::chrono::seconds;
using std::chrono::system_clock;

TEST_CASE("rate limiter: allows `limit` requests per window and key", "[rate_limit]") {
  RateLimiter limiter(seconds(300));
  const system_clock::time_point t0(seconds(1'700'000'200));  // 100 s into a window
  for (unsigned i = 1; i <= 3; ++i) {
    auto d = limiter.hit("ip:1", 3, t0);
    CHECK(d.allowed);
    CHECK(d.remaining == 3 - i);
    CHECK(d.limit == 3);
    CHECK(d.reset == system_clock::time_point(seconds(1'700'000'400)));
  }
  CHECK_FALSE(limiter.hit("ip:1", 3, t0).allowed);
  CHECK(limiter.hit("ip:2", 3, t0).allowed);  // other keys are counted apart
  // The next window starts afresh.
  CHECK(limiter.hit("ip:1", 3, t0 + seconds(200)).allowed);
}

TEST_CASE("rate limiter: the table stays bounded", "[rate_limit]") {
  RateLimiter limiter(seconds(300));
  const system_clock::time_point t0(seconds(1'700'000'000));
  for (std::size_t i = 0; i < RateLimiter::kMaxKeys + 500; ++i)
    limiter.hit("k" + std::to_string(i), 10, t0);
  CHECK(limiter.size() <= RateLimiter::kMaxKeys);
  // A later window drops every ended one first.
  limiter.hit("late", 10, t0 + seconds(600));
  CHECK(limiter.size() <= RateLimiter::kMaxKeys);
}
