// Test CA and scripted loopback servers; see loopback.hpp.
#include "loopback.hpp"

#include <unistd.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <cstdlib>
#include <fstream>
#include <optional>
#include <random>
#include <stdexcept>

namespace kith::test {

namespace fs = std::filesystem;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

TempDir::TempDir() {
  std::random_device random;
  path = fs::temp_directory_path() /
         ("kith-net-" + std::to_string(::getpid()) + "-" + std::to_string(random()));
  fs::create_directories(path);
}

TempDir::~TempDir() {
  std::error_code ec;
  fs::remove_all(path, ec);
}

namespace {

constexpr std::string_view kOpensslConfig = R"([req]
distinguished_name = dn
prompt = no
[dn]
CN = kith test
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[leaf_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:localhost,IP:127.0.0.1
[wrong_name_ext]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = DNS:wrong-name.invalid
)";

void openssl(const fs::path& dir, const std::string& arguments) {
  const std::string log = (dir / "openssl.log").string();
  const std::string command =
      "cd '" + dir.string() + "' && openssl " + arguments + " >>'" + log + "' 2>&1";
  if (std::system(command.c_str()) != 0) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error("openssl " + arguments + " failed:\n" + text);
  }
}

void make_ca(const fs::path& dir, const std::string& name) {
  openssl(dir,
          "req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2"
          " -config openssl.cnf -extensions ca_ext -subj '/CN=" +
              name +
              "'"
              " -keyout " +
              name + ".key -out " + name + ".pem");
}

void make_leaf(const fs::path& dir, const std::string& ca, const std::string& name,
               const std::string& extensions, int serial) {
  openssl(dir,
          "req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -config openssl.cnf"
          " -subj '/CN=" +
              name + "' -keyout " + name + ".key -out " + name + ".csr");
  openssl(dir, "x509 -req -in " + name + ".csr -CA " + ca + ".pem -CAkey " + ca +
                   ".key -set_serial " + std::to_string(serial) +
                   " -days 2 -extfile openssl.cnf"
                   " -extensions " +
                   extensions + " -out " + name + ".pem");
}

}  // namespace

TestPki::TestPki() {
  const fs::path& dir = this->dir.path;
  std::ofstream(dir / "openssl.cnf") << kOpensslConfig;
  make_ca(dir, "ca");
  make_ca(dir, "rogue-ca");
  make_leaf(dir, "ca", "good", "leaf_ext", 1001);
  make_leaf(dir, "ca", "wrong-name", "wrong_name_ext", 1002);
  make_leaf(dir, "rogue-ca", "rogue", "leaf_ext", 1003);
  ca = dir / "ca.pem";
  good_cert = dir / "good.pem";
  good_key = dir / "good.key";
  wrong_name_cert = dir / "wrong-name.pem";
  wrong_name_key = dir / "wrong-name.key";
  rogue_cert = dir / "rogue.pem";
  rogue_key = dir / "rogue.key";
}

namespace {

template <class Stream>
class StreamConnection : public Connection {
 public:
  explicit StreamConnection(Stream& stream) : stream_(stream) {}
  asio::awaitable<bool> write(std::string data) override {
    auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(data), kTuple);
    co_return !ec;
  }

 private:
  Stream& stream_;
};

template <class Stream>
asio::awaitable<void> serve_requests(Stream& stream, std::shared_ptr<ServerStats> stats,
                                     Script script) {
  StreamConnection<Stream> connection(stream);
  // One request per connection, as the client does.
  beast::flat_buffer buffer;
  bhttp::request<bhttp::string_body> request;
  auto [ec, n] = co_await bhttp::async_read(stream, buffer, request, kTuple);
  if (ec) co_return;
  Received received;
  received.method = std::string(request.method_string());
  received.target = std::string(request.target());
  for (const auto& field : request)
    received.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  received.body = request.body();
  stats->requests.push_back(received);
  co_await script(connection, received);
}

asio::awaitable<void> serve(tcp::socket socket, std::shared_ptr<ServerStats> stats, Script script,
                            ssl::context* tls) {
  struct Open {
    ServerStats& stats;
    explicit Open(ServerStats& s) : stats(s) {
      const int now = ++stats.open;
      int seen = stats.max_open.load();
      while (now > seen && !stats.max_open.compare_exchange_weak(seen, now)) {
      }
    }
    ~Open() { --stats.open; }
  } open(*stats);
  if (!script) {
    // Accept and hold the connection without reading.
    asio::steady_timer forever(socket.get_executor());
    forever.expires_after(std::chrono::hours(1));
    co_await forever.async_wait(kTuple);
    co_return;
  }
  if (!tls) {
    co_await serve_requests(socket, stats, script);
    boost::system::error_code ec;
    socket.shutdown(tcp::socket::shutdown_both, ec);
    co_return;
  }
  ssl::stream<tcp::socket> stream(std::move(socket), *tls);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::server, kTuple);
  if (ec) co_return;  // e.g. the client refused our certificate
  co_await serve_requests(stream, stats, script);
  co_await stream.async_shutdown(kTuple);
}

asio::awaitable<void> accept_loop(std::shared_ptr<tcp::acceptor> acceptor,
                                  std::shared_ptr<ServerStats> stats, Script script,
                                  ssl::context* tls) {
  while (acceptor->is_open()) {
    auto [ec, socket] = co_await acceptor->async_accept(kTuple);
    if (ec) co_return;
    ++stats->accepted;
    asio::co_spawn(acceptor->get_executor(), serve(std::move(socket), stats, script, tls),
                   asio::detached);
  }
}

}  // namespace

const TestPki& pki() {
  static const TestPki instance;
  return instance;
}

std::unique_ptr<ssl::context> server_tls(const fs::path& cert, const fs::path& key) {
  auto context = std::make_unique<ssl::context>(ssl::context::tls_server);
  context->use_certificate_chain_file(cert.string());
  context->use_private_key_file(key.string(), ssl::context::pem);
  return context;
}

std::string Received::header(std::string_view name) const {
  for (const auto& h : headers)
    if (http::iequals(h.name, name)) return h.value;
  return "";
}

asio::awaitable<void> Connection::sleep(std::chrono::milliseconds duration) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  timer.expires_after(duration);
  co_await timer.async_wait(kTuple);
}

TestServer::TestServer(asio::io_context& io, Script script, ssl::context* tls,
                       const std::string& address, std::uint16_t port)
    : stats_(std::make_shared<ServerStats>()),
      acceptor_(std::make_shared<tcp::acceptor>(io)),
      address_(address) {
  const tcp::endpoint endpoint(asio::ip::make_address(address), port);
  acceptor_->open(endpoint.protocol());
  acceptor_->set_option(asio::socket_base::reuse_address(true));
  if (endpoint.address().is_v6()) acceptor_->set_option(asio::ip::v6_only(false));
  acceptor_->bind(endpoint);
  acceptor_->listen();
  port_ = acceptor_->local_endpoint().port();
  asio::co_spawn(io, accept_loop(acceptor_, stats_, std::move(script), tls), asio::detached);
}

TestServer::~TestServer() {
  boost::system::error_code ec;
  acceptor_->close(ec);
}

std::string TestServer::endpoint() const {
  return address_ + ":" + std::to_string(port_);
}

std::string response_text(int status, std::string_view body,
                          const std::vector<std::pair<std::string, std::string>>& headers) {
  std::string text = "HTTP/1.1 " + std::to_string(status) + " " +
                     std::string(http::reason_phrase(status)) + "\r\n";
  for (const auto& [name, value] : headers) text += name + ": " + value + "\r\n";
  text += "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n";
  text += body;
  return text;
}

Script respond(std::string raw) {
  return [raw = std::move(raw)](Connection& c, const Received&) -> asio::awaitable<void> {
    co_await c.write(raw);
  };
}

Script routes(std::map<std::string, std::string> raw_by_target) {
  return [table = std::move(raw_by_target)](Connection& c,
                                            const Received& r) -> asio::awaitable<void> {
    // Named first: GCC 12 destroys a conditional's temporary twice inside co_await.
    auto it = table.find(r.target);
    std::string answer = it != table.end() ? it->second : response_text(404, "not found");
    co_await c.write(std::move(answer));
  };
}

Script hang() {
  return [](Connection& c, const Received&) -> asio::awaitable<void> {
    co_await c.sleep(std::chrono::hours(1));
  };
}

Script drip(std::chrono::milliseconds interval) {
  return [interval](Connection& c, const Received&) -> asio::awaitable<void> {
    if (!co_await c.write("HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n")) co_return;
    while (co_await c.write("x")) co_await c.sleep(interval);
  };
}

Script endless_body() {
  return [](Connection& c, const Received&) -> asio::awaitable<void> {
    if (!co_await c.write("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n")) co_return;
    const std::string chunk = "4000\r\n" + std::string(0x4000, 'x') + "\r\n";
    while (co_await c.write(chunk)) {
    }
  };
}

std::vector<http::ClientResult> run_all(asio::io_context& io, http::Client& client,
                                        std::vector<http::OutgoingRequest> requests) {
  std::vector<std::optional<http::ClientResult>> results(requests.size());
  std::size_t pending = requests.size();
  asio::steady_timer safety_net(io);
  safety_net.expires_after(std::chrono::seconds(15));
  safety_net.async_wait([&](boost::system::error_code ec) {
    if (!ec) io.stop();
  });
  for (std::size_t i = 0; i < requests.size(); ++i) {
    asio::co_spawn(io, client.request(std::move(requests[i])),
                   [&, i](std::exception_ptr error, http::ClientResult result) {
                     if (error) std::rethrow_exception(error);
                     results[i] = std::move(result);
                     if (--pending == 0) {
                       safety_net.cancel();
                       io.stop();
                     }
                   });
  }
  io.restart();
  io.run();
  std::vector<http::ClientResult> out;
  for (auto& result : results) {
    if (!result) throw std::runtime_error("a request did not finish within 15 s");
    out.push_back(std::move(*result));
  }
  return out;
}

http::ClientResult run(asio::io_context& io, http::Client& client, http::OutgoingRequest request) {
  std::vector<http::OutgoingRequest> one;
  one.push_back(std::move(request));
  return std::move(run_all(io, client, std::move(one)).front());
}

http::ClientOptions test_options(const std::vector<std::string>& allowed) {
  http::ClientOptions options;
  options.user_agent = http::make_user_agent("localhost:8443");
  options.guard = http::AddressGuard::from_config(allowed);
  options.extra_ca_file = pki().ca.string();
  options.connect_timeout = std::chrono::milliseconds(2'000);
  options.read_timeout = std::chrono::milliseconds(2'000);
  options.request_timeout = std::chrono::milliseconds(5'000);
  return options;
}

http::OutgoingRequest get(std::string url) {
  http::OutgoingRequest request;
  request.url = std::move(url);
  request.headers.push_back({"Accept", "application/activity+json"});
  return request;
}

}  // namespace kith::test
