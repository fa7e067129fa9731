// Route matching. Routes are a few hundred at most, so a linear scan over
// split templates is fast enough and obvious. When several templates match,
// the most specific wins, segment by segment from the left: a literal
// segment beats a parameter with a literal prefix, which beats a bare
// parameter. So "/api/v1/accounts/lookup" wins over "/api/v1/accounts/:id"
// whichever file registered first; among equals the first registered wins.
#include "kith/http/router.hpp"

#include <algorithm>
#include <cassert>

namespace kith::http {
namespace {

// "/a/b/" -> {"a", "b"}; the root is no segments. Empty segments (from "//")
// are kept so that "/a//b" does not match "/a/b".
std::vector<std::string_view> split_path(std::string_view path) {
  std::vector<std::string_view> segments;
  if (path.size() > 1 && path.back() == '/') path.remove_suffix(1);  // one trailing slash
  if (path == "/") return segments;
  path.remove_prefix(1);
  while (true) {
    auto slash = path.find('/');
    segments.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return segments;
}

}  // namespace

void Router::add(std::string method, std::string pattern, Handler handler, std::size_t body_limit) {
  assert(!pattern.empty() && pattern.front() == '/');
  Route route{std::move(method), pattern, {}, std::move(handler), body_limit};
  for (std::string_view segment : split_path(pattern)) route.segments.emplace_back(segment);
  assert(std::none_of(routes_.begin(), routes_.end(), [&](const Route& r) {
    return r.method == route.method && r.pattern == route.pattern;
  }));
  routes_.push_back(std::move(route));
}

RouteMatch Router::match(std::string_view method, std::string_view path) const {
  RouteMatch result;
  if (path.empty() || path.front() != '/' || path.size() > kMaxPathLength) return result;
  const auto segments = split_path(path);
  // How specific the best match so far is: one rank per segment (2 literal,
  // 1 parameter with a literal prefix, 0 bare parameter).
  std::vector<int> best_rank;
  for (const Route& route : routes_) {
    if (route.segments.size() != segments.size()) continue;
    std::map<std::string, std::string> params;
    std::vector<int> rank;
    rank.reserve(segments.size());
    bool matched = true;
    for (std::size_t i = 0; i < segments.size() && matched; ++i) {
      const std::string& expected = route.segments[i];
      const auto colon = expected.find(':');
      if (colon != std::string::npos) {
        // The literal prefix is compared before decoding, so "%40alice"
        // does not match "@:name".
        const std::string_view prefix(expected.data(), colon);
        matched = segments[i].starts_with(prefix);
        if (!matched) break;
        auto decoded = percent_decode(segments[i].substr(prefix.size()), false);
        matched = decoded && !decoded->empty();
        if (matched) params.emplace(expected.substr(colon + 1), std::move(*decoded));
        rank.push_back(colon == 0 ? 0 : 1);
      } else {
        matched = expected == segments[i];
        rank.push_back(2);
      }
    }
    if (!matched) continue;
    if (route.method != method) {
      if (!result.route) result.method_not_allowed = true;
      continue;
    }
    if (result.route && !(rank > best_rank)) continue;
    result.route = &route;
    result.method_not_allowed = false;
    result.params = std::move(params);
    best_rank = std::move(rank);
  }
  return result;
}

void Router::wrap(std::string_view prefix, const std::function<Handler(Handler)>& decorator) {
  for (Route& route : routes_) {
    if (route.pattern.starts_with(prefix)) route.handler = decorator(std::move(route.handler));
  }
}

std::vector<std::pair<std::string, std::string>> Router::routes() const {
  std::vector<std::pair<std::string, std::string>> out;
  out.reserve(routes_.size());
  for (const Route& route : routes_) out.emplace_back(route.method, route.pattern);
  return out;
}

std::size_t Router::largest_body_limit() const {
  std::size_t largest = kDefaultBodyLimit;
  for (const Route& route : routes_) largest = std::max(largest, route.body_limit);
  return largest;
}

}  // namespace kith::http
