// The router: (method, path template) -> handler, with the route's own body
// limit, which the server needs *before* reading the body.
//
// Templates are literal segments and `:name` parameters, e.g.
// "/users/:name/inbox"; a parameter may follow a literal prefix within its
// segment ("/@:name" matches "/@alice", the profile URLs people share).
// Matching is segment by segment, and the most specific template wins (a
// literal segment over a parameter, leftmost first); one trailing slash is ignored
// ("/api/v1/instance/" is "/api/v1/instance", as clients expect).
// Parameters are percent-decoded; a malformed escape, or an empty value,
// does not match.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstddef>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "kith/http/message.hpp"

namespace kith::http {

// Bodies larger than this are refused with 413 unless a route says otherwise.
inline constexpr std::size_t kDefaultBodyLimit = 64 * 1024;
// Longest path the router will try to match; longer ones are 414.
inline constexpr std::size_t kMaxPathLength = 4096;

using Handler = std::function<boost::asio::awaitable<Response>(Request&)>;

struct Route {
  std::string method;
  std::string pattern;
  std::vector<std::string> segments;
  Handler handler;
  std::size_t body_limit = kDefaultBodyLimit;
};

struct RouteMatch {
  const Route* route = nullptr;     // null: nothing matched
  bool method_not_allowed = false;  // the path matched under another method
  std::map<std::string, std::string> params;
};

class Router {
 public:
  // Patterns must start with '/'; registering the same method and pattern
  // twice is a programming error (asserts).
  void add(std::string method, std::string pattern, Handler handler,
           std::size_t body_limit = kDefaultBodyLimit);
  RouteMatch match(std::string_view method, std::string_view path) const;
  // Largest body any route accepts: the most the server will ever buffer.
  std::size_t largest_body_limit() const;
  // Replaces the handler of every route registered so far whose pattern
  // starts with `prefix` by decorator(handler): how a policy such as rate
  // limiting covers a whole family of routes.
  void wrap(std::string_view prefix, const std::function<Handler(Handler)>& decorator);
  // (method, pattern) of every route, in registration order.
  std::vector<std::pair<std::string, std::string>> routes() const;

 private:
  std::vector<Route> routes_;
};

}  // namespace kith::http
