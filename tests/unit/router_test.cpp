// The router: literal and :param segments, one ignored trailing slash,
// percent-decoded parameters, 404 versus 405, the most specific template
// wins, wrapping a family of routes, and the path length limit.
#include <catch2/catch.hpp>

#include <string>

#include "kith/http/router.hpp"

using kith::http::kDefaultBodyLimit;
using kith::http::kMaxPathLength;
using kith::http::Router;

namespace {

// Handlers are never called by the router, so none is needed.
Router sample_router() {
  Router router;
  router.add("GET", "/", {});
  router.add("GET", "/api/v1/instance", {});
  router.add("GET", "/users/new", {});  // literal before the parameter it overlaps
  router.add("GET", "/users/:name", {});
  router.add("POST", "/users/:name/inbox", {}, 1 << 20);
  router.add("GET", "/users/:name/statuses/:id", {});
  router.add("DELETE", "/users/:name/statuses/:id", {});
  router.add("POST", "/upload", {}, 8 << 20);
  return router;
}

}  // namespace

TEST_CASE("router: matches literal and parameterised paths", "[router]") {
  const Router router = sample_router();
  struct Case {
    std::string method, path, pattern;
    std::map<std::string, std::string> params;
  };
  const std::vector<Case> cases = {
      {"GET", "/", "/", {}},
      {"GET", "/api/v1/instance", "/api/v1/instance", {}},
      {"GET", "/api/v1/instance/", "/api/v1/instance", {}},  // one trailing slash ignored
      {"GET", "/users/new", "/users/new", {}},
      {"GET", "/users/alice", "/users/:name", {{"name", "alice"}}},
      {"GET", "/users/alice/", "/users/:name", {{"name", "alice"}}},
      {"POST", "/users/alice/inbox", "/users/:name/inbox", {{"name", "alice"}}},
      {"GET",
       "/users/bob/statuses/123",
       "/users/:name/statuses/:id",
       {{"name", "bob"}, {"id", "123"}}},
      {"DELETE",
       "/users/bob/statuses/9",
       "/users/:name/statuses/:id",
       {{"name", "bob"}, {"id", "9"}}},
      // Parameters are percent-decoded; '+' is not a space in a path.
      {"GET", "/users/al%69ce", "/users/:name", {{"name", "alice"}}},
      {"GET", "/users/a%2Fb", "/users/:name", {{"name", "a/b"}}},
      {"GET", "/users/a+b", "/users/:name", {{"name", "a+b"}}},
      {"GET", "/users/%C3%A9", "/users/:name", {{"name", "\xC3\xA9"}}},
      {"GET", "/users/%00", "/users/:name", {{"name", std::string(1, '\0')}}},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path);
    auto match = router.match(c.method, c.path);
    REQUIRE(match.route != nullptr);
    CHECK(match.route->pattern == c.pattern);
    CHECK(match.route->method == c.method);
    CHECK_FALSE(match.method_not_allowed);
    CHECK(match.params == c.params);
  }
}

TEST_CASE("router: 404 versus 405", "[router]") {
  const Router router = sample_router();
  struct Case {
    std::string method, path;
    bool method_not_allowed;
  };
  const std::vector<Case> cases = {
      // The path exists under another method: 405.
      {"POST", "/api/v1/instance", true},
      {"GET", "/users/alice/inbox", true},
      {"PUT", "/users/alice/statuses/1", true},
      {"get", "/api/v1/instance", true},   // methods are case-sensitive
      {"HEAD", "/api/v1/instance", true},  // the router itself has no HEAD fallback
      // No route has this path: 404.
      {"GET", "/nowhere", false},
      {"GET", "/api/v1", false},
      {"GET", "/api/v1/instance/extra", false},
      {"GET", "/api/v1/instance//", false},  // only one trailing slash is ignored
      {"GET", "/api//v1/instance", false},   // empty segments are kept
      {"GET", "//api/v1/instance", false},
      {"GET", "/users/", false},  // "/users" has no route; the parameter may not be empty
      {"GET", "/users//statuses/1", false},
      {"GET", "/Users/alice", false},          // literals are case-sensitive
      {"GET", "/api/v1/instance?x=1", false},  // the router is given paths, not targets
      // Not a path at all.
      {"GET", "", false},
      {"GET", "api/v1/instance", false},
      {"GET", "*", false},
      {"GET", "http://localhost/api/v1/instance", false},
      // Malformed escapes in a parameter do not match.
      {"GET", "/users/%", false},
      {"GET", "/users/%4", false},
      {"GET", "/users/%zz", false},
      {"GET", "/users/alice%", false},
      {"POST", "/users/%G1/inbox", false},
  };
  for (const auto& c : cases) {
    INFO(c.method << " " << c.path);
    auto match = router.match(c.method, c.path);
    CHECK(match.route == nullptr);
    CHECK(match.method_not_allowed == c.method_not_allowed);
    CHECK(match.params.empty());
  }
}

TEST_CASE("router: the root and degenerate slashes", "[router]") {
  const Router router = sample_router();
  // "/" is the root; "//" is the root plus one ignored trailing slash.
  CHECK(router.match("GET", "/").route != nullptr);
  CHECK(router.match("GET", "//").route != nullptr);
  CHECK(router.match("GET", "///").route == nullptr);

  Router empty;
  CHECK(empty.match("GET", "/").route == nullptr);
  CHECK_FALSE(empty.match("GET", "/").method_not_allowed);
}

TEST_CASE("router: the most specific template wins, whatever the order", "[router]") {
  Router router;
  router.add("GET", "/users/:name", {});
  router.add("GET", "/users/new", {});
  router.add("GET", "/:a/:b/x", {});
  router.add("GET", "/users/:name/x", {});
  router.add("GET", "/p/:any", {});
  router.add("GET", "/p/@:name", {});
  auto match = router.match("GET", "/users/new");
  REQUIRE(match.route != nullptr);
  CHECK(match.route->pattern == "/users/new");
  CHECK(router.match("GET", "/users/bob").params.at("name") == "bob");
  // Leftmost literal first.
  CHECK(router.match("GET", "/users/bob/x").route->pattern == "/users/:name/x");
  CHECK(router.match("GET", "/p/@bob").route->pattern == "/p/@:name");
  CHECK(router.match("GET", "/p/bob").route->pattern == "/p/:any");
}

TEST_CASE("router: among equally specific templates the first registered wins", "[router]") {
  Router router;
  router.add("GET", "/users/:name", {});
  router.add("GET", "/users/:id", {});
  auto match = router.match("GET", "/users/7");
  REQUIRE(match.route != nullptr);
  CHECK(match.route->pattern == "/users/:name");
}

TEST_CASE("router: wrap decorates the routes under a prefix only", "[router]") {
  Router router;
  router.add("GET", "/api/v1/a", {});
  router.add("GET", "/other", {});
  int wrapped = 0;
  router.wrap("/api/", [&wrapped](kith::http::Handler inner) {
    ++wrapped;
    return inner;
  });
  CHECK(wrapped == 1);
  CHECK(router.routes().size() == 2);
  CHECK(router.routes()[0].second == "/api/v1/a");
}

TEST_CASE("router: a later route with the right method beats an earlier 405", "[router]") {
  Router router;
  router.add("GET", "/things/:id", {});
  router.add("POST", "/things/:id", {});
  auto match = router.match("POST", "/things/7");
  REQUIRE(match.route != nullptr);
  CHECK(match.route->method == "POST");
  CHECK_FALSE(match.method_not_allowed);
  CHECK(match.params.at("id") == "7");
}

TEST_CASE("router: patterns with a trailing slash match with or without it", "[router]") {
  Router router;
  router.add("GET", "/a/", {});
  CHECK(router.match("GET", "/a").route != nullptr);
  CHECK(router.match("GET", "/a/").route != nullptr);
}

TEST_CASE("router: paths longer than kMaxPathLength never match", "[router]") {
  Router router;
  router.add("GET", "/p/:rest", {});
  const std::string prefix = "/p/";
  const std::string at_limit = prefix + std::string(kMaxPathLength - prefix.size(), 'x');
  const std::string over_limit = at_limit + "x";
  REQUIRE(at_limit.size() == kMaxPathLength);

  auto match = router.match("GET", at_limit);
  REQUIRE(match.route != nullptr);
  CHECK(match.params.at("rest").size() == kMaxPathLength - prefix.size());

  auto too_long = router.match("GET", over_limit);
  CHECK(too_long.route == nullptr);
  CHECK_FALSE(too_long.method_not_allowed);
  // Even under another method: the path is not looked at.
  CHECK_FALSE(router.match("POST", over_limit).method_not_allowed);
}

TEST_CASE("router: many segments do not match a short template", "[router]") {
  const Router router = sample_router();
  std::string path;
  for (int i = 0; i < 2000; ++i) path += "/a";
  CHECK(router.match("GET", path).route == nullptr);
  std::string slashes(kMaxPathLength, '/');
  CHECK(router.match("GET", slashes).route == nullptr);
}

TEST_CASE("router: body limits per route", "[router]") {
  const Router router = sample_router();
  CHECK(router.match("GET", "/api/v1/instance").route->body_limit == kDefaultBodyLimit);
  CHECK(router.match("POST", "/users/a/inbox").route->body_limit == (1u << 20));
  CHECK(router.largest_body_limit() == (8u << 20));

  Router small;
  small.add("POST", "/tiny", {}, 10);
  // The default limit is a floor for what the server buffers.
  CHECK(small.largest_body_limit() == kDefaultBodyLimit);
  CHECK(Router().largest_body_limit() == kDefaultBodyLimit);
}

TEST_CASE("router: a parameter after a literal prefix in its segment", "[router]") {
  Router router;
  router.add("GET", "/@:name", {});
  router.add("GET", "/@:name/:id", {});
  auto match = router.match("GET", "/@alice");
  REQUIRE(match.route != nullptr);
  CHECK(match.route->pattern == "/@:name");
  CHECK(match.params.at("name") == "alice");
  match = router.match("GET", "/@al%69ce/42/");
  REQUIRE(match.route != nullptr);
  CHECK(match.route->pattern == "/@:name/:id");
  CHECK(match.params.at("name") == "alice");
  CHECK(match.params.at("id") == "42");
  // The prefix is literal and compared before decoding; the value must not
  // be empty.
  for (const char* path : {"/alice", "/%40alice", "/@", "/@/1", "/x@alice", "/@alice/1/2"}) {
    INFO(path);
    CHECK(router.match("GET", path).route == nullptr);
  }
}
