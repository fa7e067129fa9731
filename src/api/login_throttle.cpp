// Counting failed sign-ins (login_throttle.hpp): a fixed window per key
// that starts at the first failure and ends kWindow later.
#include "kith/api/login_throttle.hpp"

#include <algorithm>
#include <boost/asio/ip/address.hpp>

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

std::string LoginThrottle::address_key(std::string_view address) {
  std::string_view text = address;
  if (text.size() > 2 && text.front() == '[' && text.back() == ']')
    text = text.substr(1, text.size() - 2);
  boost::system::error_code error;
  const auto parsed = boost::asio::ip::make_address(std::string(text), error);
  if (error) return std::string(address);
  if (parsed.is_v4()) return parsed.to_string();
  const boost::asio::ip::address_v6 v6 = parsed.to_v6();
  if (v6.is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, v6).to_string();
  boost::asio::ip::address_v6::bytes_type bytes = v6.to_bytes();
  std::fill(bytes.begin() + 8, bytes.end(), 0);
  return boost::asio::ip::address_v6(bytes).to_string() + "/64";
}

std::optional<std::chrono::seconds> LoginThrottle::address_blocked(const std::string& address,
                                                                   Clock::time_point now) {
  const std::string key = address_key(address);
  std::lock_guard lock(mutex_);
  return blocked(addresses_, key, now);
}

std::optional<std::chrono::seconds> LoginThrottle::account_blocked(std::int64_t user_id,
                                                                   Clock::time_point now) {
  std::lock_guard lock(mutex_);
  return blocked(accounts_, user_id, now);
}

void LoginThrottle::record_failure(const std::string& address, std::optional<std::int64_t> user_id,
                                   Clock::time_point now) {
  const std::string key = address_key(address);
  std::lock_guard lock(mutex_);
  count(addresses_, key, kMaxTrackedAddresses, now);
  if (user_id) count(accounts_, *user_id, kMaxTrackedAccounts, now);
}

LoginThrottle& login_throttle(ApiRoutes& routes) {
  return routes.login_throttle;
}

}  // namespace kith::api
