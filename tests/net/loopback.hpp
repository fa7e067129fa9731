// Real parts for the network tests: a certificate authority made at run time
// with the `openssl` command, and scripted HTTP servers on loopback (plain
// TCP or TLS) that do one chosen thing with each connection: answer, hang,
// drip, flood. Everything runs on one io_context in the test's thread.
#pragma once

#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <chrono>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "kith/http/client.hpp"

namespace kith::test {

namespace asio = boost::asio;

// A directory under the system's temporary directory, removed at the end.
struct TempDir {
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  std::filesystem::path path;
};

// Certificates for the tests, made once per run. Leaf certificates have
// subjectAltName DNS:localhost and IP:127.0.0.1, except `wrong_name`.
struct TestPki {
  TestPki();  // runs openssl; throws std::runtime_error with its output on failure
  TempDir dir;
  std::filesystem::path ca;                   // the CA the client trusts through extra_ca_file
  std::filesystem::path good_cert, good_key;  // from `ca`
  std::filesystem::path wrong_name_cert, wrong_name_key;  // from `ca`, DNS:wrong-name.invalid
  std::filesystem::path rogue_cert, rogue_key;            // from a CA nobody trusts
};
const TestPki& pki();

// A server-side TLS context with the given certificate and key.
std::unique_ptr<asio::ssl::context> server_tls(const std::filesystem::path& cert,
                                               const std::filesystem::path& key);

// What a scripted server received: the request line's parts, headers, body.
struct Received {
  std::string method;
  std::string target;
  std::vector<http::Header> headers;
  std::string body;
  std::string header(std::string_view name) const;  // "" if absent
};

// One accepted connection, as a script sees it.
class Connection {
 public:
  virtual ~Connection() = default;
  // Writes all of `data`; false once the peer has gone.
  virtual asio::awaitable<bool> write(std::string data) = 0;
  asio::awaitable<void> sleep(std::chrono::milliseconds duration);
};

// Runs once per request, after the request has been read in full.
using Script = std::function<asio::awaitable<void>(Connection&, const Received&)>;

struct ServerStats {
  std::atomic<int> accepted{0};
  std::atomic<int> open{0};
  std::atomic<int> max_open{0};
  std::vector<Received> requests;
};

class TestServer {
 public:
  // Listens on `address` (port 0: any free port). With `tls`, each
  // connection starts with a TLS handshake. Without a script, it only
  // accepts and counts.
  TestServer(asio::io_context& io, Script script, asio::ssl::context* tls = nullptr,
             const std::string& address = "127.0.0.1", std::uint16_t port = 0);
  ~TestServer();
  std::uint16_t port() const { return port_; }
  const ServerStats& stats() const { return *stats_; }
  std::string endpoint() const;  // "127.0.0.1:PORT", for allowlists

 private:
  std::shared_ptr<ServerStats> stats_;
  std::shared_ptr<asio::ip::tcp::acceptor> acceptor_;
  std::uint16_t port_ = 0;
  std::string address_;
};

// Scripts.
Script respond(std::string raw);                                  // writes `raw`, then closes
Script routes(std::map<std::string, std::string> raw_by_target);  // 404 for others
Script hang();                                                    // never answers
// "HTTP/1.1 200 OK" with a head, then `byte` every `interval`, for ever.
Script drip(std::chrono::milliseconds interval);
// A chunked body of 16 KiB chunks, for ever.
Script endless_body();

// "HTTP/1.1 <status> <reason>" with Content-Length and the given headers.
std::string response_text(int status, std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& headers = {});

// Runs `client.request(request)` on `io` until it finishes (or a 15 s safety
// net passes, which fails the test) and returns the result.
http::ClientResult run(asio::io_context& io, http::Client& client, http::OutgoingRequest request);
// Runs several requests at once.
std::vector<http::ClientResult> run_all(asio::io_context& io, http::Client& client,
                                        std::vector<http::OutgoingRequest> requests);

// Client options for tests: the test CA trusted, short deadlines, and the
// given address:port pairs allowlisted.
http::ClientOptions test_options(const std::vector<std::string>& allowed = {});

http::OutgoingRequest get(std::string url);

}  // namespace kith::test
