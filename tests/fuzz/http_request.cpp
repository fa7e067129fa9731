// libFuzzer target: one HTTP/1.1 request, parsed exactly as the server does
// (kith::http::parse_request_bytes: Beast's parser configured with kith's
// limits, then kith's own head rules and routing), against a small router
// whose routes have parameters and different body limits.
//
// Beyond "no crash, no leak, no undefined behaviour" (the sanitizers), it
// checks that every outcome keeps the promises of request_reader.hpp: a
// request or a rejection, never both; an accepted request is routed, within
// its route's body limit, within the head limits, with an origin-form
// target; a rejection carries one of the statuses the reader documents.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <set>
#include <string_view>

#include "kith/http/request_reader.hpp"

namespace {

using namespace kith::http;

// Aborts with a message, so that libFuzzer records the input as a crash.
void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

Router make_router() {
  Router router;
  router.add("GET", "/", {});
  router.add("GET", "/api/v1/instance", {});
  router.add("GET", "/users/:name", {});
  router.add("POST", "/users/:name/inbox", {}, 64);
  router.add("POST", "/api/v1/statuses", {}, 512);
  router.add("GET", "/api/v1/statuses/:id/context", {});
  router.add("POST", "/api/v1/statuses/:id/favourite", {}, 0);
  router.add("PUT", "/api/v1/statuses/:id", {}, 16);
  router.add("DELETE", "/api/v1/statuses/:id", {});
  return router;
}

const Router& router() {
  static const Router instance = make_router();
  return instance;
}

void check_request(const Request& request) {
  require(!request.method.empty(), "accepted request has a method");
  require(!request.target.empty() && request.target.front() == '/', "origin-form target");
  require(!request.path.empty() && request.path.front() == '/', "path starts with '/'");
  require(request.path.size() <= kMaxPathLength, "path within kMaxPathLength");
  const auto question = request.target.find('?');
  require(request.path == request.target.substr(0, question), "path is the target before '?'");
  require(
      request.query == (question == std::string::npos ? "" : request.target.substr(question + 1)),
      "query is the target after '?'");
  require(request.headers.size() <= kMaxHeaderCount, "at most kMaxHeaderCount fields");
  std::size_t head_bytes = 0, hosts = 0;
  for (const auto& h : request.headers) {
    head_bytes += h.name.size() + h.value.size();
    if (iequals(h.name, "host")) ++hosts;
  }
  require(head_bytes + request.target.size() <= kMaxHeaderBlockBytes, "head within the limit");
  require(hosts <= 1, "at most one Host");

  // The route it was given is the route the router finds for it (or, for
  // HEAD, the GET route), and its body fits that route's limit.
  RouteMatch match = router().match(request.method, request.path);
  if (!match.route && request.method == "HEAD") match = router().match("GET", request.path);
  require(match.route != nullptr, "accepted request is routed");
  require(match.route->pattern == request.route, "route is the router's match");
  require(match.params == request.params, "params are the router's");
  require(request.body.size() <= match.route->body_limit, "body within the route's limit");
  for (const auto& [name, value] : request.params) require(!value.empty(), "params non-empty");

  // What handlers do next with the query must be safe too.
  require(parse_query(request.query).size() <= kMaxQueryParameters, "query parameter cap");
  (void)request.query_param("limit");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::set<int> kStatuses{400, 404, 405, 413, 414, 431};
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    ParsedRequest parsed = parse_request_bytes(bytes, router());
    require(parsed.request.has_value() != parsed.rejection.has_value(),
            "exactly one of request and rejection");
    if (parsed.request) {
      check_request(*parsed.request);
    } else {
      require(kStatuses.count(parsed.rejection->status) == 1, "a documented status");
      require(!parsed.rejection->message.empty(), "a message for the error body");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
