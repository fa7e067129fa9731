// Fixed-window request counting (rate_limiter.hpp).
#include "kith/core/rate_limiter.hpp"

#include <algorithm>
#include <vector>

namespace kith::core {

RateLimiter::Decision RateLimiter::hit(std::string_view key, unsigned limit,
                                       std::chrono::system_clock::time_point now) {
  const auto since_epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch());
  const std::chrono::system_clock::time_point window_start(since_epoch - since_epoch % window_);
  std::lock_guard lock(mutex_);
  auto it = counters_.find(std::string(key));
  if (it == counters_.end()) {
    if (counters_.size() >= kMaxKeys) make_room(window_start);
    it = counters_.emplace(std::string(key), Counter{window_start, 0, ++insertions_}).first;
  }
  Counter& counter = it->second;
  if (counter.window_start != window_start) {
    counter.window_start = window_start;
    counter.count = 0;
  }
  Decision decision;
  decision.limit = limit;
  decision.reset = window_start + window_;
  if (counter.count >= limit) {
    decision.allowed = false;
    decision.remaining = 0;
    return decision;
  }
  ++counter.count;
  decision.remaining = limit - counter.count;
  return decision;
}

void RateLimiter::make_room(std::chrono::system_clock::time_point window_start) {
  std::erase_if(counters_,
                [&](const auto& entry) { return entry.second.window_start < window_start; });
  if (counters_.size() < kMaxKeys) return;
  // Still full: drop the oldest tenth, so this stays rare.
  std::vector<std::uint64_t> ages;
  ages.reserve(counters_.size());
  for (const auto& entry : counters_) ages.push_back(entry.second.inserted);
  const std::size_t drop = std::max<std::size_t>(1, kMaxKeys / 10);
  std::nth_element(ages.begin(), ages.begin() + static_cast<std::ptrdiff_t>(drop - 1), ages.end());
  const std::uint64_t cutoff = ages[drop - 1];
  std::erase_if(counters_, [&](const auto& entry) { return entry.second.inserted <= cutoff; });
}

std::size_t RateLimiter::size() const {
  std::lock_guard lock(mutex_);
  return counters_.size();
}

}  // namespace kith::core
