// Bytes to Requests under kith's limits, through the same functions the
// server uses: head size and field count (431), Host rules and origin-form
// targets (400), routing (404, 405, HEAD falling back to GET), and body
// limits checked on the declared length before any body byte (413).
#include <catch2/catch.hpp>

#include <boost/asio/buffer.hpp>
#include <string>

#include "kith/http/request_reader.hpp"

using kith::http::accept_head;
using kith::http::check_declared_length;
using kith::http::check_head_size;
using kith::http::configure_head_parser;
using kith::http::HeadParser;
using kith::http::kMaxHeaderBlockBytes;
using kith::http::kMaxHeaderCount;
using kith::http::kMaxPathLength;
using kith::http::parse_request_bytes;
using kith::http::ParsedRequest;
using kith::http::Request;
using kith::http::Router;
using namespace std::string_literals;

namespace {

Router sample_router() {
  Router router;
  router.add("GET", "/", {});
  router.add("GET", "/api/v1/instance", {});
  router.add("GET", "/users/:name", {});
  router.add("POST", "/users/:name/inbox", {}, 100);
  router.add("POST", "/api/v1/statuses", {}, 1000);
  router.add("GET", "/long/:rest", {});
  router.add("POST", "/media", {}, 8 << 20);  // larger than Beast's own default limit
  return router;
}

const Router& router() {
  static const Router instance = sample_router();
  return instance;
}

ParsedRequest parse(std::string_view bytes) {
  return parse_request_bytes(bytes, router());
}

// The status of the rejection, or 0 when the request was accepted.
int status_of(const ParsedRequest& parsed) {
  if (parsed.rejection) return parsed.rejection->status;
  return 0;
}

std::string get(std::string_view target, std::string_view extra_headers = "") {
  return std::string("GET ") + std::string(target) + " HTTP/1.1\r\nHost: localhost\r\n" +
         std::string(extra_headers) + "\r\n";
}

std::string post(std::string_view target, std::string_view body,
                 std::string_view extra_headers = "") {
  return std::string("POST ") + std::string(target) +
         " HTTP/1.1\r\nHost: localhost\r\nContent-Length: " + std::to_string(body.size()) + "\r\n" +
         std::string(extra_headers) + "\r\n" + std::string(body);
}

// Header fields "X-Fn: vvv...\r\n" adding up to exactly `bytes` bytes.
std::string filler_headers(std::size_t bytes) {
  std::string out;
  for (int n = 0; bytes > 0; ++n) {
    const std::string name = "X-F" + std::to_string(n) + ": ";
    const std::size_t size = bytes > 4100 ? 4000 : bytes;
    REQUIRE(size >= name.size() + 2);
    out += name + std::string(size - name.size() - 2, 'v') + "\r\n";
    bytes -= size;
  }
  return out;
}

}  // namespace

TEST_CASE("request reader: well-formed requests are accepted", "[request_reader]") {
  SECTION("GET with a query") {
    auto parsed = parse(get("/api/v1/instance?x=1&y=%20", "Accept: application/json\r\n"));
    REQUIRE(parsed.request);
    CHECK_FALSE(parsed.rejection);
    const Request& r = *parsed.request;
    CHECK(r.method == "GET");
    CHECK(r.target == "/api/v1/instance?x=1&y=%20");
    CHECK(r.path == "/api/v1/instance");
    CHECK(r.query == "x=1&y=%20");
    CHECK(r.route == "/api/v1/instance");
    CHECK(r.header("accept") == "application/json");
    CHECK(r.header("HOST") == "localhost");
    CHECK(r.body.empty());
  }
  SECTION("path parameters are decoded") {
    auto parsed = parse(get("/users/al%69ce"));
    REQUIRE(parsed.request);
    CHECK(parsed.request->params.at("name") == "alice");
    CHECK(parsed.request->path == "/users/al%69ce");  // the path stays as received
  }
  SECTION("an empty query after '?'") {
    auto parsed = parse(get("/api/v1/instance?"));
    REQUIRE(parsed.request);
    CHECK(parsed.request->query.empty());
  }
  SECTION("POST with a Content-Length body") {
    auto parsed = parse(post("/users/bob/inbox", R"({"type":"Follow"})",
                             "Content-Type: application/activity+json\r\n"));
    REQUIRE(parsed.request);
    CHECK(parsed.request->body == R"({"type":"Follow"})");
    CHECK(parsed.request->params.at("name") == "bob");
    CHECK(parsed.request->route == "/users/:name/inbox");
  }
  SECTION("POST with a chunked body") {
    auto parsed = parse(
        "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        "5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n");
    REQUIRE(parsed.request);
    CHECK(parsed.request->body == "hello world");
  }
  SECTION("chunk extensions and trailers") {
    auto parsed = parse(
        "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        "3;ext=1\r\nabc\r\n0\r\nX-Trailer: t\r\n\r\n");
    REQUIRE(parsed.request);
    CHECK(parsed.request->body == "abc");
  }
  SECTION("HTTP/1.0 may omit Host") {
    auto parsed = parse("GET /api/v1/instance HTTP/1.0\r\n\r\n");
    REQUIRE(parsed.request);
    CHECK(parsed.request->route == "/api/v1/instance");
  }
  SECTION("Expect: 100-continue does not change parsing") {
    auto parsed = parse(post("/users/bob/inbox", "{}", "Expect: 100-continue\r\n"));
    REQUIRE(parsed.request);
    CHECK(parsed.request->body == "{}");
  }
  SECTION("bytes after a complete request are left alone (pipelining)") {
    auto parsed = parse(get("/") + get("/api/v1/instance"));
    REQUIRE(parsed.request);
    CHECK(parsed.request->path == "/");
  }
  SECTION("a body exactly at the route's limit") {
    auto parsed = parse(post("/users/bob/inbox", std::string(100, 'x')));
    REQUIRE(parsed.request);
    CHECK(parsed.request->body.size() == 100);
  }
  SECTION("a body over Beast's default 1 MiB limit on a route that allows it") {
    const std::string body(2 << 20, 'm');
    auto parsed = parse(post("/media", body));
    REQUIRE(parsed.request);
    CHECK(parsed.request->body.size() == body.size());
    auto chunked = parse(
        "POST /media HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        "200000\r\n" +
        body + "\r\n0\r\n\r\n");
    REQUIRE(chunked.request);
    CHECK(chunked.request->body.size() == body.size());
  }
  SECTION("a chunked body exactly at the route's limit") {
    auto parsed = parse(
        "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
        "32\r\n" +
        std::string(50, 'a') + "\r\n32\r\n" + std::string(50, 'b') + "\r\n0\r\n\r\n");
    REQUIRE(parsed.request);
    CHECK(parsed.request->body.size() == 100);
  }
}

TEST_CASE("request reader: HEAD falls back to the GET route", "[request_reader]") {
  auto parsed = parse("HEAD /users/carol HTTP/1.1\r\nHost: localhost\r\n\r\n");
  REQUIRE(parsed.request);
  CHECK(parsed.request->method == "HEAD");
  CHECK(parsed.request->route == "/users/:name");
  CHECK(parsed.request->params.at("name") == "carol");

  // No GET route under that path: still 405 when another method has it.
  CHECK(status_of(parse("HEAD /users/carol/inbox HTTP/1.1\r\nHost: localhost\r\n\r\n")) == 405);
  CHECK(status_of(parse("HEAD /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n")) == 404);
}

TEST_CASE("request reader: rejections and their statuses", "[request_reader]") {
  struct Case {
    std::string name, bytes;
    int status;
  };
  const std::vector<Case> cases = {
      // Malformed or incomplete.
      {"empty input", "", 400},
      {"only a method", "GET", 400},
      {"no final CRLF", "GET / HTTP/1.1\r\nHost: localhost\r\n", 400},
      {"bare LF line ends", "GET / HTTP/1.1\nHost: localhost\n\n", 400},
      {"garbage", "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 400},
      {"HTTP/2 preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 400},
      {"unknown version", "GET / HTTP/1.2\r\nHost: localhost\r\n\r\n", 400},
      {"space in target", "GET /a b HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
      {"space before colon", "GET / HTTP/1.1\r\nHost : localhost\r\n\r\n", 400},
      {"NUL in a header value", "GET / HTTP/1.1\r\nHost: local\0host\r\n\r\n"s, 400},
      {"incomplete body", post("/users/bob/inbox", "0123456789").substr(0, 80), 400},
      {"incomplete chunked body",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
       "5\r\nhel",
       400},
      {"bad chunk size",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
       "zz\r\nhello\r\n0\r\n\r\n",
       400},
      {"chunk size overflow",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
       "fffffffffffffffffffff\r\nhello\r\n0\r\n\r\n",
       400},
      {"two Content-Lengths",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nContent-Length: 2\r\n"
       "Content-Length: 3\r\n\r\nabc",
       400},
      {"Content-Length and chunked (smuggling)",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nContent-Length: 3\r\n"
       "Transfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400},
      {"chunked and Content-Length (smuggling)",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n"
       "Content-Length: 3\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
       400},
      {"negative Content-Length",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nContent-Length: -1\r\n\r\n", 400},
      {"Content-Length overflow",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\n"
       "Content-Length: 99999999999999999999999\r\n\r\n",
       400},
      // Host.
      {"no Host on HTTP/1.1", "GET / HTTP/1.1\r\n\r\n", 400},
      {"two Hosts", "GET / HTTP/1.1\r\nHost: localhost\r\nHost: 127.0.0.1\r\n\r\n", 400},
      {"two Hosts, differently cased",
       "GET / HTTP/1.1\r\nHost: localhost\r\nhOST: localhost\r\n\r\n", 400},
      {"two Hosts on HTTP/1.0", "GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n", 400},
      // Targets: origin-form only.
      {"absolute-form", "GET http://localhost/api/v1/instance HTTP/1.1\r\nHost: localhost\r\n\r\n",
       400},
      {"authority-form", "CONNECT localhost:443 HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
      {"asterisk-form", "OPTIONS * HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
      {"relative path", "GET api/v1/instance HTTP/1.1\r\nHost: localhost\r\n\r\n", 400},
      {"path too long", get("/long/" + std::string(kMaxPathLength, 'x')), 414},
      // Routing.
      {"unknown path", get("/nowhere"), 404},
      {"bad escape in a parameter", get("/users/%zz"), 404},
      {"truncated escape in a parameter", get("/users/abc%4"), 404},
      {"wrong method", post("/api/v1/instance", ""), 405},
      {"lower-case method", "get / HTTP/1.1\r\nHost: localhost\r\n\r\n", 405},
      // Body limits.
      {"declared Content-Length over the limit", post("/users/bob/inbox", std::string(101, 'x')),
       413},
      {"declared Content-Length over the limit, body not sent",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000000\r\n\r\n", 413},
      {"huge declared Content-Length",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\n"
       "Content-Length: 18446744073709551615\r\n\r\n",
       413},
      {"declared body on a GET route over the default limit",
       "GET / HTTP/1.1\r\nHost: localhost\r\nContent-Length: 65537\r\n\r\n", 413},
      {"chunked body over the limit",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
       "65\r\n" +
           std::string(101, 'x') + "\r\n0\r\n\r\n",
       413},
      {"chunked body over the limit in small chunks",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
       "32\r\n" +
           std::string(50, 'a') + "\r\n32\r\n" + std::string(50, 'b') + "\r\n1\r\nc\r\n0\r\n\r\n",
       413},
      {"chunk size announcing more than the limit",
       "POST /users/bob/inbox HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n"
       "ffffffff\r\nabc",
       413},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    auto parsed = parse(c.bytes);
    CHECK_FALSE(parsed.request);
    REQUIRE(parsed.rejection);
    CHECK(parsed.rejection->status == c.status);
    CHECK_FALSE(parsed.rejection->message.empty());
  }
}

TEST_CASE("request reader: the head is limited to kMaxHeaderBlockBytes", "[request_reader]") {
  const std::string start = "GET / HTTP/1.1\r\nHost: localhost\r\n";
  SECTION("a head of exactly the limit is accepted") {
    // start + fillers + final CRLF == limit
    std::string bytes = start + filler_headers(kMaxHeaderBlockBytes - start.size() - 2) + "\r\n";
    REQUIRE(bytes.size() == kMaxHeaderBlockBytes);
    auto parsed = parse(bytes);
    CHECK(status_of(parsed) == 0);
  }
  SECTION("one large header over the limit") {
    std::string bytes = start + "X-Big: " + std::string(kMaxHeaderBlockBytes, 'a') + "\r\n\r\n";
    CHECK(status_of(parse(bytes)) == 431);
  }
  SECTION("many headers adding up to over the limit") {
    std::string bytes = start + filler_headers(kMaxHeaderBlockBytes) + "\r\n";
    CHECK(status_of(parse(bytes)) == 431);
  }
  SECTION("a head over the limit that never ends") {
    std::string bytes = start + std::string(kMaxHeaderBlockBytes * 2, 'a');
    CHECK(status_of(parse(bytes)) == 431);
  }
  SECTION("a long request line over the limit") {
    std::string bytes = "GET /" + std::string(kMaxHeaderBlockBytes, 'a') + " HTTP/1.1\r\n\r\n";
    CHECK(status_of(parse(bytes)) == 431);
  }
  SECTION("request line and fields each under the limit but together over it") {
    // The limit is on the whole head, not on its parts separately.
    const std::size_t half = kMaxHeaderBlockBytes / 2 + 100;
    std::string line = "GET /long/x?" + std::string(half, 'q') + " HTTP/1.1\r\n";
    std::string bytes = line + "Host: localhost\r\n" + filler_headers(half) + "\r\n";
    REQUIRE(line.size() < kMaxHeaderBlockBytes);
    REQUIRE(bytes.size() - line.size() < kMaxHeaderBlockBytes);
    REQUIRE(bytes.size() > kMaxHeaderBlockBytes);
    CHECK(status_of(parse(bytes)) == 431);
  }
  SECTION("a long request line and fields adding up to exactly the limit") {
    std::string line =
        "GET /long/x?" + std::string(kMaxHeaderBlockBytes / 2, 'q') + " HTTP/1.1\r\n";
    line += "Host: localhost\r\n";
    std::string bytes = line + filler_headers(kMaxHeaderBlockBytes - line.size() - 2) + "\r\n";
    REQUIRE(bytes.size() == kMaxHeaderBlockBytes);
    CHECK(status_of(parse(bytes)) == 0);
  }
}

TEST_CASE("request reader: at most kMaxHeaderCount fields", "[request_reader]") {
  auto with_fields = [](std::size_t count) {
    std::string bytes = "GET / HTTP/1.1\r\nHost: localhost\r\n";
    for (std::size_t i = 1; i < count; ++i) bytes += "X-" + std::to_string(i) + ": v\r\n";
    return bytes + "\r\n";
  };
  CHECK(status_of(parse(with_fields(kMaxHeaderCount))) == 0);
  CHECK(status_of(parse(with_fields(kMaxHeaderCount + 1))) == 431);
  CHECK(status_of(parse(with_fields(1000))) == 431);
}

TEST_CASE("request reader: the path limit is 414, not 404", "[request_reader]") {
  const std::string prefix = "/long/";
  const std::string at_limit = prefix + std::string(kMaxPathLength - prefix.size(), 'x');
  CHECK(status_of(parse(get(at_limit))) == 0);
  CHECK(status_of(parse(get(at_limit + "x"))) == 414);
  // The query does not count towards the path.
  CHECK(status_of(parse(get(at_limit + "?" + std::string(5000, 'q')))) == 0);
}

TEST_CASE("request reader: accept_head and check_declared_length as the server uses them",
          "[request_reader]") {
  auto head_of = [](std::string_view bytes, HeadParser& parser) {
    configure_head_parser(parser);
    boost::beast::error_code ec;
    parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    REQUIRE_FALSE(ec);
    REQUIRE(parser.is_header_done());
  };

  SECTION("a declared length over the route's limit is refused before the body") {
    HeadParser parser;
    head_of("POST /api/v1/statuses HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1001\r\n\r\n",
            parser);
    Request request;
    auto outcome = accept_head(parser.get(), router(), request);
    REQUIRE(outcome.route);
    CHECK_FALSE(outcome.rejection);
    CHECK(request.route == "/api/v1/statuses");
    auto too_large = check_declared_length(parser, *outcome.route);
    REQUIRE(too_large);
    CHECK(too_large->status == 413);
  }
  SECTION("a declared length at the limit passes") {
    HeadParser parser;
    head_of("POST /api/v1/statuses HTTP/1.1\r\nHost: localhost\r\nContent-Length: 1000\r\n\r\n",
            parser);
    Request request;
    auto outcome = accept_head(parser.get(), router(), request);
    REQUIRE(outcome.route);
    CHECK_FALSE(check_declared_length(parser, *outcome.route));
  }
  SECTION("no declared length passes (chunked bodies are limited while read)") {
    HeadParser parser;
    head_of(
        "POST /api/v1/statuses HTTP/1.1\r\nHost: localhost\r\nTransfer-Encoding: chunked\r\n\r\n",
        parser);
    Request request;
    auto outcome = accept_head(parser.get(), router(), request);
    REQUIRE(outcome.route);
    CHECK_FALSE(check_declared_length(parser, *outcome.route));
  }
  SECTION("check_head_size takes the whole head") {
    CHECK_FALSE(check_head_size(0));
    CHECK_FALSE(check_head_size(kMaxHeaderBlockBytes));
    auto too_large = check_head_size(kMaxHeaderBlockBytes + 1);
    REQUIRE(too_large);
    CHECK(too_large->status == 431);
  }
  SECTION("a rejected head leaves no route") {
    HeadParser parser;
    head_of("GET /nowhere HTTP/1.1\r\nHost: localhost\r\n\r\n", parser);
    Request request;
    auto outcome = accept_head(parser.get(), router(), request);
    CHECK(outcome.route == nullptr);
    REQUIRE(outcome.rejection);
    CHECK(outcome.rejection->status == 404);
  }
}
