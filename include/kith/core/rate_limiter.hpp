// Request rate limits: at most `limit` requests per key in each fixed
// window (Mastodon's scheme: 300 per 5 minutes, per account or per IP,
// windows aligned to the clock so X-RateLimit-Reset is the same for
// everyone). Counting happens in memory, per daemon: behind a load
// balancer each daemon enforces its own share.
//
// The table is bounded (kMaxKeys): when it is full, windows that ended are
// dropped first, then the oldest keys. An attacker with many addresses can
// push honest keys out, which only resets their counts; it can never make
// the table grow.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

namespace kith::core {

class RateLimiter {
 public:
  static constexpr std::size_t kMaxKeys = 20000;

  struct Decision {
    bool allowed = true;
    unsigned limit = 0;
    unsigned remaining = 0;                       // after this request
    std::chrono::system_clock::time_point reset;  // when the window ends
  };

  explicit RateLimiter(std::chrono::seconds window) : window_(window) {}

  // Counts one request for `key` against `limit` at time `now`.
  Decision hit(std::string_view key, unsigned limit,
               std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

  std::size_t size() const;

 private:
  struct Counter {
    std::chrono::system_clock::time_point window_start;
    unsigned count = 0;
    std::uint64_t inserted = 0;  // for eviction of the oldest keys
  };
  void make_room(std::chrono::system_clock::time_point window_start);

  std::chrono::seconds window_;
  mutable std::mutex mutex_;
  std::unordered_map<std::string, Counter> counters_;
  std::uint64_t insertions_ = 0;
};

}  // namespace kith::core
