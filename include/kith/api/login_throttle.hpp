// Failed sign-ins, counted in memory per client address and per account, so
// that guessing passwords is slow: after kMaxFailures failures within
// kWindow, further attempts from that address, or at that account, are
// refused (429) until the window has passed. Both the password grant
// (api/oauth.cpp) and the sign-in page (web/authorize.cpp) use one
// LoginThrottle, owned by the api routes.
//
// Only failures count, so people who sign in correctly are never slowed.
// Memory is bounded: at most kMaxTrackedAddresses and kMaxTrackedAccounts
// entries; when a table is full, expired entries go first, then the oldest.
// Addresses count by network where one holder has many: an IPv6 address
// by its /64 (the least a site or a phone is given), so stepping through
// one's own /64 does not reset the count (address_key).
// Per daemon: behind a load balancer each daemon counts its own failures.
// Thread-safe (one mutex; every operation is a map look-up).
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace kith::api {

class LoginThrottle {
 public:
  static constexpr int kMaxFailures = 5;
  static constexpr std::chrono::minutes kWindow{5};
  static constexpr std::size_t kMaxTrackedAddresses = 10000;
  static constexpr std::size_t kMaxTrackedAccounts = 10000;

  using Clock = std::chrono::steady_clock;

  // What failures from `address` count under: an IPv6 address's /64
  // ("2001:db8:1:2::/64"), an IPv4 one (also written IPv4-mapped) itself;
  // anything that is not an address, as it is.
  static std::string address_key(std::string_view address);

  // How long the address must wait before trying again; nullopt: it may try.
  std::optional<std::chrono::seconds> address_blocked(const std::string& address,
                                                      Clock::time_point now = Clock::now());
  // The same for the account of user `user_id`.
  std::optional<std::chrono::seconds> account_blocked(std::int64_t user_id,
                                                      Clock::time_point now = Clock::now());
  // A failed attempt from `address`, at the account of `user_id` when the
  // login named one (unknown logins protect no account and are not kept).
  void record_failure(const std::string& address, std::optional<std::int64_t> user_id,
                      Clock::time_point now = Clock::now());

 private:
  struct Window {
    Clock::time_point start;
    int failures = 0;
  };
  template <typename Key>
  static std::optional<std::chrono::seconds> blocked(std::map<Key, Window>& table, const Key& key,
                                                     Clock::time_point now);
  template <typename Key>
  static void count(std::map<Key, Window>& table, const Key& key, std::size_t limit,
                    Clock::time_point now);

  std::mutex mutex_;
  std::map<std::string, Window> addresses_;
  std::map<std::int64_t, Window> accounts_;
};

}  // namespace kith::api

namespace kith::api {

// The throttle the api routes own (add_api_routes), for the web pages.
struct ApiRoutes;
LoginThrottle& login_throttle(ApiRoutes& routes);

}  // namespace kith::api
