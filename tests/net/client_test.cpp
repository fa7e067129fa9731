// The outgoing HTTP client against real loopback servers: TLS verification,
// the address guard and its allowlist, deadlines, size caps, redirects,
// request shape and concurrency caps. Each test stops by itself within a few
// seconds; every deadline here is short on purpose.
#include <catch2/catch.hpp>

#include <atomic>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <chrono>
#include <string>
#include <thread>

#include "kith/http/client.hpp"
#include "loopback.hpp"

using namespace std::chrono_literals;
using kith::http::Client;
using kith::http::ClientErrorKind;
using kith::http::ClientResult;
using kith::http::OutgoingRequest;
using kith::test::get;
using kith::test::pki;
using kith::test::respond;
using kith::test::response_text;
using kith::test::run;
using kith::test::server_tls;
using kith::test::test_options;
using kith::test::TestServer;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::string why(const ClientResult& result) {
  if (result) return "status " + std::to_string(result.response->status);
  return std::string(kith::http::describe(result.error.kind)) + ": " + result.error.message;
}

std::string port_of(const TestServer& server) {
  return std::to_string(server.port());
}

const std::string kDocument = R"({"id":"https://localhost/users/alice","type":"Person"})";

std::string document_response() {
  return response_text(200, kDocument, {{"Content-Type", "application/activity+json"}});
}

}  // namespace

// ---------------------------------------------------------------------------
// TLS

TEST_CASE("client: https through the extra CA returns status, headers, body and final URL",
          "[client][tls]") {
  asio::io_context io;
  auto tls = server_tls(pki().good_cert, pki().good_key);
  TestServer server(io, respond(document_response()), tls.get());
  Client client(test_options({server.endpoint()}));

  const std::string url = "https://localhost:" + port_of(server) + "/users/alice";
  const ClientResult result = run(io, client, get(url));
  INFO(why(result));
  REQUIRE(result);
  CHECK(result.response->status == 200);
  CHECK(result.response->body == kDocument);
  CHECK(result.response->header("content-type") == "application/activity+json");
  CHECK(result.response->final_url.text() == url);
  CHECK(result.response->redirects == 0);

  REQUIRE(server.stats().requests.size() == 1);
  const auto& received = server.stats().requests[0];
  CHECK(received.method == "GET");
  CHECK(received.target == "/users/alice");
  CHECK(received.header("Host") == "localhost:" + port_of(server));
  CHECK(received.header("User-Agent") == "kith/" KITH_VERSION " (+https://localhost:8443/)");
  CHECK(received.header("Accept") == "application/activity+json");
  CHECK(received.header("Accept-Encoding") == "identity");

  // The certificate's IP address SAN serves a URL with the address itself.
  const ClientResult by_address =
      run(io, client, get("https://127.0.0.1:" + port_of(server) + "/users/alice"));
  INFO(why(by_address));
  CHECK(by_address);
}

TEST_CASE("client: a certificate from an unknown CA is refused", "[client][tls]") {
  asio::io_context io;
  auto rogue = server_tls(pki().rogue_cert, pki().rogue_key);
  TestServer rogue_server(io, respond(document_response()), rogue.get());
  auto good = server_tls(pki().good_cert, pki().good_key);
  TestServer good_server(io, respond(document_response()), good.get());

  Client client(test_options({rogue_server.endpoint(), good_server.endpoint()}));
  const ClientResult result =
      run(io, client, get("https://localhost:" + port_of(rogue_server) + "/"));
  INFO(why(result));
  REQUIRE_FALSE(result);
  CHECK(result.error.kind == ClientErrorKind::tls);
  CHECK_THAT(result.error.message, Catch::Contains("not trusted"));
  CHECK(rogue_server.stats().requests.empty());

  // Without the extra CA, the test CA is just as unknown.
  auto options = test_options({rogue_server.endpoint(), good_server.endpoint()});
  options.extra_ca_file.clear();
  Client system_store_only(options);
  const ClientResult untrusted =
      run(io, system_store_only, get("https://localhost:" + port_of(good_server) + "/"));
  INFO(why(untrusted));
  REQUIRE_FALSE(untrusted);
  CHECK(untrusted.error.kind == ClientErrorKind::tls);
  CHECK(good_server.stats().requests.empty());
}

TEST_CASE("client: a certificate for another host name is refused", "[client][tls]") {
  asio::io_context io;
  auto tls = server_tls(pki().wrong_name_cert, pki().wrong_name_key);
  TestServer server(io, respond(document_response()), tls.get());
  Client client(test_options({server.endpoint()}));

  for (const char* host : {"localhost", "127.0.0.1"}) {
    const ClientResult result =
        run(io, client, get(std::string("https://") + host + ":" + port_of(server) + "/"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::tls);
    CHECK_THAT(result.error.message, Catch::Contains(std::string("not valid for ") + host));
  }
  CHECK(server.stats().requests.empty());
}

// ---------------------------------------------------------------------------
// The address guard

TEST_CASE("client: loopback is reached only at the exact allowlisted address:port",
          "[client][guard]") {
  asio::io_context io;
  TestServer listed(io, respond(document_response()));
  TestServer other_port(io, respond(document_response()));

  SECTION("nothing allowlisted: refused before connecting") {
    Client client(test_options());
    const ClientResult result = run(io, client, get("http://127.0.0.1:" + port_of(listed) + "/"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::refused_address);
    CHECK_THAT(result.error.message, Catch::Contains("loopback"));
    CHECK(client.connection_attempts() == 0);
    CHECK(listed.stats().accepted == 0);
  }

  SECTION("address:port allowlisted: that pair only") {
    Client client(test_options({listed.endpoint()}));
    const ClientResult ok = run(io, client, get("http://127.0.0.1:" + port_of(listed) + "/"));
    INFO(why(ok));
    CHECK(ok);
    // localhost resolves to ::1 and 127.0.0.1; only the listed one is used.
    const ClientResult by_name = run(io, client, get("http://localhost:" + port_of(listed) + "/"));
    INFO(why(by_name));
    CHECK(by_name);
    CHECK(listed.stats().accepted == 2);

    const auto attempts = client.connection_attempts();
    for (const std::string& url : {"http://127.0.0.1:" + port_of(other_port) + "/",
                                   "http://localhost:" + port_of(other_port) + "/",
                                   "http://[::1]:" + port_of(listed) + "/"}) {
      const ClientResult refused = run(io, client, get(url));
      INFO(url << ": " << why(refused));
      REQUIRE_FALSE(refused);
      CHECK(refused.error.kind == ClientErrorKind::refused_address);
    }
    CHECK(client.connection_attempts() == attempts);
    CHECK(other_port.stats().accepted == 0);
  }
}

TEST_CASE("client: refused address classes are refused without any connection attempt",
          "[client][guard]") {
  asio::io_context io;
  // Listens on every address, IPv4 and IPv6: 127.0.0.2, 0.0.0.0, ::,
  // ::ffff:127.0.0.1 would all reach it if the client connected.
  TestServer everywhere(io, nullptr, nullptr, "::");
  const std::string port = port_of(everywhere);
  const std::vector<std::string> urls = {
      "https://127.0.0.2:" + port + "/",
      "http://127.0.0.2:" + port + "/",
      "https://10.0.0.1:" + port + "/",
      "https://192.168.1.1/",
      "https://169.254.169.254/latest/meta-data/",
      "http://169.254.169.254/latest/meta-data/",
      "https://[::ffff:127.0.0.1]:" + port + "/",
      "https://[::ffff:a9fe:a9fe]/",  // IPv4-mapped 169.254.169.254
      "https://[64:ff9b::7f00:1]:" + port + "/",
      "https://[64:ff9b::a9fe:a9fe]/",
      "https://[::]:" + port + "/",
      "https://0.0.0.0:" + port + "/",
      "https://[::1]:" + port + "/",
      "https://[fd00::1]/",
      "https://[fe80::1]/",
      "https://localhost:" + port + "/",  // a name that resolves to loopback
  };
  // An allowlist entry for another port changes nothing.
  Client client(test_options({"127.0.0.1:" + std::to_string(everywhere.port() == 1 ? 2 : 1)}));
  for (const auto& url : urls) {
    const auto started = Clock::now();
    const ClientResult result = run(io, client, get(url));
    INFO(url << ": " << why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::refused_address);
    CHECK(Clock::now() - started < 1s);
  }
  CHECK(client.connection_attempts() == 0);
  CHECK(everywhere.stats().accepted == 0);

  // With 127.0.0.1:port listed, the other spellings of "this host" that
  // reach the same listener stay refused.
  Client listed(test_options({"127.0.0.1:" + port}));
  for (const std::string& url : {"https://127.0.0.2:" + port + "/", "https://0.0.0.0:" + port + "/",
                                 "https://[::]:" + port + "/", "https://[::1]:" + port + "/"}) {
    const ClientResult result = run(io, listed, get(url));
    INFO(url << ": " << why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::refused_address);
  }
  CHECK(listed.connection_attempts() == 0);
  CHECK(everywhere.stats().accepted == 0);
}

TEST_CASE("client: plain http is refused to anything not allowlisted", "[client][guard]") {
  asio::io_context io;
  Client client(test_options());
  // A global address: allowed for https, but not for plain http. Refused
  // before any packet is sent.
  const ClientResult result = run(io, client, get("http://93.184.216.34/"));
  INFO(why(result));
  REQUIRE_FALSE(result);
  CHECK(result.error.kind == ClientErrorKind::plain_http);
  CHECK(client.connection_attempts() == 0);
}

// ---------------------------------------------------------------------------
// Deadlines

TEST_CASE("client: a server that accepts and never answers hits the read deadline",
          "[client][deadline]") {
  asio::io_context io;
  TestServer silent(io, nullptr);  // accepts, never reads, never writes
  auto options = test_options({silent.endpoint()});
  options.read_timeout = 300ms;
  options.request_timeout = 5s;
  Client client(options);

  const auto started = Clock::now();
  const ClientResult result = run(io, client, get("http://127.0.0.1:" + port_of(silent) + "/"));
  const auto elapsed = Clock::now() - started;
  INFO(why(result));
  REQUIRE_FALSE(result);
  CHECK(result.error.kind == ClientErrorKind::read_timeout);
  CHECK(elapsed >= 250ms);
  CHECK(elapsed < 2s);
}

TEST_CASE("client: a server that never finishes the TLS handshake hits the connect deadline",
          "[client][deadline]") {
  asio::io_context io;
  TestServer silent(io, nullptr);
  auto options = test_options({silent.endpoint()});
  options.connect_timeout = 300ms;
  Client client(options);

  const auto started = Clock::now();
  const ClientResult result = run(io, client, get("https://127.0.0.1:" + port_of(silent) + "/"));
  INFO(why(result));
  REQUIRE_FALSE(result);
  CHECK(result.error.kind == ClientErrorKind::connect_timeout);
  CHECK(Clock::now() - started < 2s);
}

TEST_CASE("client: a TCP connection that is never accepted hits the connect deadline",
          "[client][deadline]") {
  // A listener with a backlog of 0 that never accepts: once one connection
  // waits in its queue, Linux drops further SYNs, so connecting hangs.
  asio::io_context io;
  asio::ip::tcp::acceptor full(io, asio::ip::tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  full.listen(0);
  const auto port = std::to_string(full.local_endpoint().port());
  asio::ip::tcp::socket filler(io);
  filler.connect(full.local_endpoint());
  std::this_thread::sleep_for(50ms);  // let the handshake land in the queue

  auto options = test_options({"127.0.0.1:" + port});
  options.connect_timeout = 300ms;
  Client client(options);
  const auto started = Clock::now();
  const ClientResult result = run(io, client, get("http://127.0.0.1:" + port + "/"));
  INFO(why(result));
  REQUIRE_FALSE(result);
  CHECK(result.error.kind == ClientErrorKind::connect_timeout);
  CHECK(Clock::now() - started >= 250ms);
  CHECK(Clock::now() - started < 2s);
  CHECK(client.connection_attempts() == 1);
}

TEST_CASE("client: a slow-drip response hits the total deadline", "[client][deadline]") {
  asio::io_context io;
  auto tls = server_tls(pki().good_cert, pki().good_key);
  TestServer dripping(io, kith::test::drip(50ms), tls.get());
  auto options = test_options({dripping.endpoint()});
  options.read_timeout = 1s;  // every read makes progress within this
  options.request_timeout = 700ms;
  Client client(options);

  const auto started = Clock::now();
  const ClientResult result = run(io, client, get("https://localhost:" + port_of(dripping) + "/"));
  const auto elapsed = Clock::now() - started;
  INFO(why(result));
  REQUIRE_FALSE(result);
  CHECK(result.error.kind == ClientErrorKind::total_timeout);
  CHECK(elapsed >= 650ms);
  CHECK(elapsed < 2s);
}

// ---------------------------------------------------------------------------
// Size caps

TEST_CASE("client: responses over the size caps are refused", "[client][size]") {
  asio::io_context io;
  auto tls = server_tls(pki().good_cert, pki().good_key);

  SECTION("an endless chunked body") {
    TestServer flood(io, kith::test::endless_body(), tls.get());
    auto options = test_options({flood.endpoint()});
    options.max_body_bytes = 64 * 1024;
    Client client(options);
    const ClientResult result = run(io, client, get("https://localhost:" + port_of(flood) + "/"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::too_large);
    CHECK_THAT(result.error.message, Catch::Contains("body"));
  }

  SECTION("a declared Content-Length over the cap, refused before reading it") {
    TestServer liar(io, respond("HTTP/1.1 200 OK\r\nContent-Length: 1000000000\r\n\r\n"));
    Client client(test_options({liar.endpoint()}));
    const ClientResult result = run(io, client, get("http://127.0.0.1:" + port_of(liar) + "/"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::too_large);
  }

  SECTION("endless headers") {
    kith::test::Script headers = [](kith::test::Connection& c,
                                    const kith::test::Received&) -> asio::awaitable<void> {
      if (!co_await c.write("HTTP/1.1 200 OK\r\n")) co_return;
      while (co_await c.write("X-Filler: " + std::string(1000, 'a') + "\r\n")) {
      }
    };
    TestServer flood(io, headers);
    Client client(test_options({flood.endpoint()}));
    const ClientResult result = run(io, client, get("http://127.0.0.1:" + port_of(flood) + "/"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::too_large);
    CHECK_THAT(result.error.message, Catch::Contains("headers"));
  }

  SECTION("a request may raise the body cap for itself") {
    const std::string big(1'500'000, 'm');
    TestServer media(io, respond(response_text(200, big)), tls.get());
    Client client(test_options({media.endpoint()}));  // default cap: 1 MiB
    const std::string url = "https://localhost:" + port_of(media) + "/media";
    const ClientResult capped = run(io, client, get(url));
    CHECK(capped.error.kind == ClientErrorKind::too_large);
    OutgoingRequest request = get(url);
    request.max_body_bytes = 2'000'000;
    const ClientResult raised = run(io, client, request);
    INFO(why(raised));
    REQUIRE(raised);
    CHECK(raised.response->body.size() == big.size());
  }
}

// ---------------------------------------------------------------------------
// Redirects

TEST_CASE("client: redirects are followed up to three times and re-checked at every hop",
          "[client][redirect]") {
  asio::io_context io;
  TestServer plain(io, respond(document_response()));
  auto tls = server_tls(pki().good_cert, pki().good_key);
  // The routes need the TLS server's port, known only once it listens.
  auto shared_table = std::make_shared<std::map<std::string, std::string>>();
  kith::test::Script lookup = [shared_table](
                                  kith::test::Connection& c,
                                  const kith::test::Received& r) -> asio::awaitable<void> {
    // Named first: GCC 12 destroys a conditional's temporary twice inside co_await.
    auto it = shared_table->find(r.target);
    std::string answer = it != shared_table->end() ? it->second : response_text(404, "no");
    co_await c.write(std::move(answer));
  };
  TestServer server(io, lookup, tls.get());
  const std::string origin = "https://localhost:" + port_of(server);
  auto redirect = [](int status, const std::string& location) {
    return response_text(status, "", {{"Location", location}});
  };
  *shared_table = {
      {"/hop/4", redirect(302, "/hop/3")},           // absolute path
      {"/hop/3", redirect(301, origin + "/hop/2")},  // absolute URL
      {"/hop/2", redirect(307, "1")},                // relative path: /hop/1
      {"/hop/1", redirect(308, "/hop/0")},
      {"/hop/0", document_response()},
      {"/to-loopback", redirect(302, "https://127.0.0.2:" + port_of(server) + "/hop/0")},
      {"/to-metadata", redirect(302, "https://169.254.169.254/latest/meta-data/")},
      {"/to-mapped", redirect(302, "https://[::ffff:10.0.0.1]/")},
      {"/to-http", redirect(302, "http://127.0.0.1:" + port_of(plain) + "/")},
      {"/to-garbage", redirect(302, "https://exa mple/")},
      {"/to-userinfo", redirect(302, "https://user:pw@localhost:" + port_of(server) + "/hop/0")},
      {"/no-location", response_text(302, "moved, but where?")},
  };
  Client client(test_options({server.endpoint(), plain.endpoint()}));

  SECTION("three redirects: followed, and the final URL reported") {
    const ClientResult result = run(io, client, get(origin + "/hop/3"));
    INFO(why(result));
    REQUIRE(result);
    CHECK(result.response->status == 200);
    CHECK(result.response->body == kDocument);
    CHECK(result.response->redirects == 3);
    CHECK(result.response->final_url.text() == origin + "/hop/0");
  }

  SECTION("a fourth redirect is refused") {
    const ClientResult result = run(io, client, get(origin + "/hop/4"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::too_many_redirects);
    std::vector<std::string> targets;
    for (const auto& r : server.stats().requests) targets.push_back(r.target);
    CHECK(targets == std::vector<std::string>{"/hop/4", "/hop/3", "/hop/2", "/hop/1"});
  }

  SECTION("a redirect to a refused address is refused without connecting") {
    for (const char* path : {"/to-loopback", "/to-metadata", "/to-mapped"}) {
      const auto attempts = client.connection_attempts();
      const ClientResult result = run(io, client, get(origin + path));
      INFO(path << ": " << why(result));
      REQUIRE_FALSE(result);
      CHECK(result.error.kind == ClientErrorKind::refused_address);
      CHECK(client.connection_attempts() == attempts + 1);  // the first hop only
    }
  }

  SECTION("https to http is refused, even to an allowlisted address") {
    const ClientResult result = run(io, client, get(origin + "/to-http"));
    INFO(why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == ClientErrorKind::redirect_refused);
    CHECK(plain.stats().accepted == 0);
  }

  SECTION("an unusable Location is refused; a 3xx without one is the response") {
    for (const char* path : {"/to-garbage", "/to-userinfo"}) {
      const ClientResult garbage = run(io, client, get(origin + path));
      INFO(path << ": " << why(garbage));
      REQUIRE_FALSE(garbage);
      CHECK(garbage.error.kind == ClientErrorKind::redirect_refused);
    }

    const ClientResult nowhere = run(io, client, get(origin + "/no-location"));
    INFO(why(nowhere));
    REQUIRE(nowhere);
    CHECK(nowhere.response->status == 302);
  }
}

TEST_CASE("client: plain http redirects are re-checked too, and may go up to https",
          "[client][redirect]") {
  asio::io_context io;
  auto tls = server_tls(pki().good_cert, pki().good_key);
  TestServer secure(io, respond(document_response()), tls.get());
  const std::string secure_url = "https://localhost:" + port_of(secure) + "/doc";
  TestServer plain(io,
                   kith::test::routes({
                       {"/to-private", response_text(302, "", {{"Location", "http://10.0.0.1/"}})},
                       {"/to-https", response_text(302, "", {{"Location", secure_url}})},
                   }));
  Client client(test_options({plain.endpoint(), secure.endpoint()}));
  const std::string base = "http://127.0.0.1:" + port_of(plain);

  const ClientResult refused = run(io, client, get(base + "/to-private"));
  INFO(why(refused));
  REQUIRE_FALSE(refused);
  CHECK(refused.error.kind == ClientErrorKind::refused_address);

  const ClientResult upgraded = run(io, client, get(base + "/to-https"));
  INFO(why(upgraded));
  REQUIRE(upgraded);
  CHECK(upgraded.response->final_url.text() == secure_url);
  CHECK(upgraded.response->redirects == 1);
}

TEST_CASE("client: the sign hook runs for every hop; credentials do not follow a redirect",
          "[client][redirect]") {
  asio::io_context io;
  TestServer server(io, kith::test::routes({
                            {"/start", response_text(302, "", {{"Location", "/end"}})},
                            {"/end", document_response()},
                        }));
  Client client(test_options({server.endpoint()}));
  OutgoingRequest request = get("http://127.0.0.1:" + port_of(server) + "/start");
  request.headers.push_back({"Authorization", "Bearer secret"});
  request.headers.push_back({"Signature", "keyId=\"k\",signature=\"s\""});
  request.headers.push_back({"X-Kept", "yes"});
  std::vector<std::string> signed_targets;
  request.sign = [&](const kith::http::Url& target) {
    signed_targets.push_back(target.text());
    return std::vector<kith::http::Header>{{"X-Signed-Target", target.request_target()},
                                           {"X-Signed-Host", target.origin.authority()}};
  };
  const ClientResult result = run(io, client, request);
  INFO(why(result));
  REQUIRE(result);
  const std::string origin = "http://127.0.0.1:" + port_of(server);
  CHECK(signed_targets == std::vector<std::string>{origin + "/start", origin + "/end"});

  const auto& requests = server.stats().requests;
  REQUIRE(requests.size() == 2);
  CHECK(requests[0].header("Authorization") == "Bearer secret");
  CHECK(requests[0].header("Signature") == "keyId=\"k\",signature=\"s\"");
  CHECK(requests[0].header("X-Signed-Target") == "/start");
  CHECK(requests[0].header("X-Signed-Host") == requests[0].header("Host"));
  CHECK(requests[1].header("Authorization").empty());
  CHECK(requests[1].header("Signature").empty());
  CHECK(requests[1].header("X-Kept") == "yes");
  CHECK(requests[1].header("X-Signed-Target") == "/end");
}

// ---------------------------------------------------------------------------
// Request shape

TEST_CASE("client: a POST carries its body and headers, and its redirect is not followed",
          "[client][request]") {
  asio::io_context io;
  TestServer server(io, kith::test::routes({
                            {"/inbox", response_text(202, "")},
                            {"/moved", response_text(308, "", {{"Location", "/inbox"}})},
                        }));
  Client client(test_options({server.endpoint()}));
  const std::string activity = R"({"type":"Create"})";
  OutgoingRequest post;
  post.method = "POST";
  post.url = "http://127.0.0.1:" + port_of(server) + "/inbox";
  post.body = activity;
  post.headers.push_back({"Content-Type", "application/activity+json"});
  const ClientResult result = run(io, client, post);
  INFO(why(result));
  REQUIRE(result);
  CHECK(result.response->status == 202);
  REQUIRE(server.stats().requests.size() == 1);
  const auto& received = server.stats().requests[0];
  CHECK(received.method == "POST");
  CHECK(received.body == activity);
  CHECK(received.header("Content-Type") == "application/activity+json");
  CHECK(received.header("Content-Length") == std::to_string(activity.size()));

  post.url = "http://127.0.0.1:" + port_of(server) + "/moved";
  const ClientResult moved = run(io, client, post);
  INFO(why(moved));
  REQUIRE(moved);
  CHECK(moved.response->status == 308);
  CHECK(server.stats().requests.size() == 2);
}

TEST_CASE("client: unusable requests are refused before any connection", "[client][request]") {
  asio::io_context io;
  Client client(test_options({"127.0.0.1:9"}));
  struct Case {
    std::string what;
    OutgoingRequest request;
    ClientErrorKind kind;
  };
  std::vector<Case> cases;
  auto with_header = [](std::string name, std::string value) {
    OutgoingRequest r = get("http://127.0.0.1:9/");
    r.headers.push_back({std::move(name), std::move(value)});
    return r;
  };
  cases.push_back(
      {"header injection", with_header("X-A", "1\r\nX-Injected: 1"), ClientErrorKind::bad_request});
  cases.push_back(
      {"NUL in a value", with_header("X-A", std::string("a\0b", 3)), ClientErrorKind::bad_request});
  cases.push_back({"bad header name", with_header("X A", "1"), ClientErrorKind::bad_request});
  cases.push_back(
      {"Host is the client's", with_header("Host", "elsewhere"), ClientErrorKind::bad_request});
  cases.push_back({"Content-Length is the client's", with_header("content-length", "5"),
                   ClientErrorKind::bad_request});
  OutgoingRequest bad_method = get("http://127.0.0.1:9/");
  bad_method.method = "GE T";
  cases.push_back({"bad method", bad_method, ClientErrorKind::bad_request});
  cases.push_back({"userinfo", get("https://user:pw@localhost/"), ClientErrorKind::bad_url});
  cases.push_back({"ftp", get("ftp://localhost/"), ClientErrorKind::bad_url});
  cases.push_back({"relative", get("/users/alice"), ClientErrorKind::bad_url});
  cases.push_back({"number host", get("https://2130706433/"), ClientErrorKind::bad_url});
  for (auto& c : cases) {
    const ClientResult result = run(io, client, c.request);
    INFO(c.what << ": " << why(result));
    REQUIRE_FALSE(result);
    CHECK(result.error.kind == c.kind);
  }
  CHECK(client.connection_attempts() == 0);
}

// ---------------------------------------------------------------------------
// Concurrency caps

namespace {

kith::test::Script slow_answer(std::chrono::milliseconds delay) {
  return [delay](kith::test::Connection& c, const kith::test::Received&) -> asio::awaitable<void> {
    co_await c.sleep(delay);
    co_await c.write(response_text(200, "ok"));
  };
}

}  // namespace

TEST_CASE("client: requests in flight are capped per host and in all", "[client][limits]") {
  asio::io_context io;
  TestServer server(io, slow_answer(100ms));
  const std::string port = port_of(server);

  SECTION("per host") {
    auto options = test_options({server.endpoint()});
    options.max_requests_per_host = 2;
    Client client(options);
    std::vector<OutgoingRequest> requests;
    for (int i = 0; i < 6; ++i) requests.push_back(get("http://127.0.0.1:" + port + "/"));
    const auto results = kith::test::run_all(io, client, std::move(requests));
    for (const auto& result : results) CHECK(result);
    CHECK(server.stats().accepted == 6);
    CHECK(server.stats().max_open == 2);
  }

  SECTION("in all, across hosts") {
    auto options = test_options({server.endpoint()});
    options.max_concurrent_requests = 1;
    Client client(options);
    std::vector<OutgoingRequest> requests;
    for (int i = 0; i < 2; ++i) {
      requests.push_back(get("http://127.0.0.1:" + port + "/"));
      requests.push_back(get("http://localhost:" + port + "/"));  // another host key
    }
    const auto results = kith::test::run_all(io, client, std::move(requests));
    for (const auto& result : results) CHECK(result);
    CHECK(server.stats().max_open == 1);
  }

  SECTION("waiting for a slot counts against the request's deadline") {
    TestServer slow(io, slow_answer(800ms));
    Client slow_client([&] {
      auto o = test_options({slow.endpoint()});
      o.max_concurrent_requests = 1;
      return o;
    }());
    std::vector<OutgoingRequest> requests;
    requests.push_back(get("http://127.0.0.1:" + port_of(slow) + "/"));
    OutgoingRequest impatient = get("http://127.0.0.1:" + port_of(slow) + "/");
    impatient.request_timeout = 300ms;
    requests.push_back(impatient);
    const auto results = kith::test::run_all(io, slow_client, std::move(requests));
    INFO(why(results[0]) << " / " << why(results[1]));
    CHECK(results[0]);
    REQUIRE_FALSE(results[1]);
    CHECK(results[1].error.kind == ClientErrorKind::total_timeout);
    CHECK_THAT(results[1].error.message, Catch::Contains("slot"));
    CHECK(slow.stats().accepted == 1);
  }
}

TEST_CASE("client: many requests from several threads share the caps without losing a slot",
          "[client][limits]") {
  // The servers run on their own thread; the client's io_context on four, so
  // slots are taken and handed over across threads.
  asio::io_context server_io;
  TestServer server(server_io, slow_answer(20ms));
  auto server_guard = asio::make_work_guard(server_io);
  std::thread server_thread([&] { server_io.run(); });

  auto options = test_options({server.endpoint()});
  options.max_requests_per_host = 2;
  options.max_concurrent_requests = 3;
  Client client(options);
  asio::io_context io;
  constexpr int kRequests = 40;
  std::atomic<int> succeeded{0}, finished{0};
  for (int i = 0; i < kRequests; ++i) {
    // Two host keys, "localhost" and "127.0.0.1": their caps (2 + 2) would
    // allow 4 at once, the global cap only 3.
    const std::string host = i % 2 ? "127.0.0.1" : "localhost";
    asio::co_spawn(io, client.request(get("http://" + host + ":" + port_of(server) + "/")),
                   [&](std::exception_ptr error, ClientResult result) {
                     if (!error && result) ++succeeded;
                     ++finished;
                   });
  }
  std::vector<std::thread> threads;
  for (int i = 0; i < 4; ++i) threads.emplace_back([&] { io.run(); });
  for (auto& t : threads) t.join();
  server_guard.reset();
  server_io.stop();
  server_thread.join();

  CHECK(finished == kRequests);
  CHECK(succeeded == kRequests);
  CHECK(server.stats().max_open <= 3);
  CHECK(server.stats().max_open >= 2);  // the caps were reached, not avoided
  CHECK(server.stats().accepted == kRequests);
}
