// Counting failed sign-ins (login_throttle.hpp): a fixed window per key
// that starts at the first failure and ends kWindow later.
#include "kith/api/login_throttle.hpp"

#include <algorithm>

#include "routes_internal.hpp"

namespace kith::api {

template <typename Key>
std::optional<std::chrono::seconds> LoginThrottle::blocked(std::map<Key, Window>& table,
                                                           const Key& key, Clock::time_point now) {
  auto it = table.find(key);
  if (it == table.end()) return std::nullopt;
  const Clock::time_point end = it->second.start + kWindow;
  if (now >= end) {
    table.erase(it);
    return std::nullopt;
  }
  if (it->second.failures < kMaxFailures) return std::nullopt;
  return std::max(std::chrono::seconds(1), std::chrono::ceil<std::chrono::seconds>(end - now));
}

template <typename Key>
void LoginThrottle::count(std::map<Key, Window>& table, const Key& key, std::size_t limit,
                          Clock::time_point now) {
  auto it = table.find(key);
  if (it != table.end() && now >= it->second.start + kWindow) {
    table.erase(it);
    it = table.end();
  }
  if (it == table.end()) {
    if (table.size() >= limit) {
      std::erase_if(table,
                    [now](const auto& entry) { return now >= entry.second.start + kWindow; });
    }
    if (table.size() >= limit) {
      auto oldest = std::min_element(table.begin(), table.end(), [](const auto& a, const auto& b) {
        return a.second.start < b.second.start;
      });
      table.erase(oldest);
    }
    it = table.emplace(key, Window{now, 0}).first;
  }
  ++it->second.failures;
}

std::optional<std::chrono::seconds> LoginThrottle::address_blocked(const std::string& address,
                                                                   Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return blocked(addresses_, address, now);
}

std::optional<std::chrono::seconds> LoginThrottle::account_blocked(std::int64_t user_id,
                                                                   Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return blocked(accounts_, user_id, now);
}

void LoginThrottle::record_failure(const std::string& address, std::optional<std::int64_t> user_id,
                                   Clock::time_point now) {
  std::lock_guard lock(mutex_);
  count(addresses_, address, kMaxTrackedAddresses, now);
  if (user_id) count(accounts_, *user_id, kMaxTrackedAccounts, now);
}

LoginThrottle& login_throttle(ApiRoutes& routes) {
  return routes.login_throttle;
}

}  // namespace kith::api
