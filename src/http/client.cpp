// The outgoing client. One request, from the caller's coroutine down:
//
//   request()        runs `perform` on a new strand of the caller's executor,
//                    so that its timers, resolver and sockets are touched by
//                    one thread at a time
//   perform()        validates, takes a global slot, then loops over hops:
//                    one hop per URL, following redirects for GET and HEAD
//   hop()            takes a per-host slot; resolves (or reads the IP
//                    literal); keeps the addresses the guard allows; connects
//                    to one of those; TLS handshake for https; exchange()
//   exchange()       writes the request and reads the response, setting a
//                    deadline before every read and write
//
// Deadlines: the request's total deadline bounds everything, the waits for
// slots included; the connect deadline (DNS, TCP, TLS) and each read's
// deadline are cut to it, so the error says which one ran out first.
#include "kith/http/client.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/host_name_verification.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/stream_traits.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url.hpp>
#include <deque>
#include <map>
#include <mutex>
#include <stdexcept>

namespace kith::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
using boost::system::error_code;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// Interim (1xx) responses skipped before the real one; we never ask for any.
constexpr unsigned kMaxInterimResponses = 4;

// Requests waiting for a slot: each waits on its own timer, set to its
// deadline; release() hands the slot over and cancels that timer through the
// waiter's own strand.
struct SlotWaiter {
  explicit SlotWaiter(const asio::any_io_executor& executor) : timer(executor) {}
  asio::steady_timer timer;
  bool granted = false;  // under State::mutex
};

struct SlotPool {
  std::size_t capacity = 1;
  std::size_t in_use = 0;
  std::size_t users = 0;  // holders and waiters; a host's pool goes at zero
  std::deque<std::shared_ptr<SlotWaiter>> waiters;
};

struct Client::State {
  explicit State(ClientOptions o) : options(std::move(o)), tls(ssl::context::tls_client) {
    global.capacity = std::max<std::size_t>(1, options.max_concurrent_requests);
  }

  ClientOptions options;
  ssl::context tls;  // configured once, then only read
  std::atomic<std::uint64_t> connection_attempts{0};

  std::mutex mutex;  // guards the pools
  SlotPool global;
  std::map<std::string, SlotPool> hosts;
};

namespace {

using State = Client::State;

// ---------------------------------------------------------------------------
// Slots: a small async semaphore per host and one for the whole client.

SlotPool& pool_for(State& state, const std::string* host) {
  if (!host) return state.global;
  auto [it, created] = state.hosts.try_emplace(*host);
  if (created) it->second.capacity = std::max<std::size_t>(1, state.options.max_requests_per_host);
  return it->second;
}

void forget_host_if_unused(State& state, const std::string* host, SlotPool& pool) {
  if (host && pool.users == 0) state.hosts.erase(*host);
}

// Takes a slot of the global pool (host null) or of `host`'s, waiting until
// `deadline` at the latest. False if none came free in time.
asio::awaitable<bool> acquire_slot(State& state, const std::string* host,
                                   Clock::time_point deadline) {
  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  std::shared_ptr<SlotWaiter> waiter;
  {
    std::lock_guard lock(state.mutex);
    SlotPool& pool = pool_for(state, host);
    ++pool.users;
    if (pool.in_use < pool.capacity && pool.waiters.empty()) {
      ++pool.in_use;
      co_return true;
    }
    waiter = std::make_shared<SlotWaiter>(executor);
    waiter->timer.expires_at(deadline);
    pool.waiters.push_back(waiter);
  }
  co_await waiter->timer.async_wait(kTuple);
  std::lock_guard lock(state.mutex);
  if (waiter->granted) co_return true;
  SlotPool& pool = pool_for(state, host);
  std::erase(pool.waiters, waiter);
  --pool.users;
  forget_host_if_unused(state, host, pool);
  co_return false;
}

void release_slot(State& state, const std::string* host) {
  std::lock_guard lock(state.mutex);
  SlotPool& pool = pool_for(state, host);
  --pool.users;
  if (!pool.waiters.empty()) {
    // The slot passes to the first waiter without ever being free.
    std::shared_ptr<SlotWaiter> next = std::move(pool.waiters.front());
    pool.waiters.pop_front();
    next->granted = true;
    asio::post(next->timer.get_executor(), [next] { next->timer.cancel(); });
  } else {
    --pool.in_use;
  }
  forget_host_if_unused(state, host, pool);
}

class SlotGuard {
 public:
  SlotGuard(std::shared_ptr<State> state, std::optional<std::string> host)
      : state_(std::move(state)), host_(std::move(host)) {}
  ~SlotGuard() { release_slot(*state_, host_ ? &*host_ : nullptr); }
  SlotGuard(const SlotGuard&) = delete;
  SlotGuard& operator=(const SlotGuard&) = delete;

 private:
  std::shared_ptr<State> state_;
  std::optional<std::string> host_;
};

// ---------------------------------------------------------------------------
// Small helpers.

ClientError make_error(ClientErrorKind kind, std::string message) {
  return ClientError{kind, std::move(message)};
}

// Origin and path, without the query (which may carry tokens) or fragment:
// what logs and error messages show of a URL.
std::string loggable(const Url& url) {
  std::string text = url.origin.serialize() + url.path;
  if (text.size() > 300) text.resize(300);
  return text;
}

std::string ms(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

Clock::time_point earlier(Clock::time_point a, Clock::time_point b) {
  return a < b ? a : b;
}

// RFC 9110 5.6.2: token = 1*tchar.
bool is_token(std::string_view text) {
  if (text.empty()) return false;
  for (char c : text) {
    if (!is_token_char(c)) return false;
  }
  return true;
}

// RFC 9110 5.5: a field value has no CR, LF or NUL (obs-fold is not sent).
bool is_field_value(std::string_view text) {
  return text.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool is_client_owned(std::string_view name) {
  for (std::string_view owned :
       {"host", "user-agent", "content-length", "transfer-encoding", "connection",
        "accept-encoding", "te", "upgrade", "keep-alive", "proxy-connection"})
    if (iequals(name, owned)) return true;
  return false;
}

// Headers that authenticate the first request and must not follow a redirect.
bool is_credential(std::string_view name) {
  for (std::string_view credential : {"authorization", "cookie", "signature", "signature-input"})
    if (iequals(name, credential)) return true;
  return false;
}

std::optional<ClientError> check_headers(const std::vector<Header>& headers,
                                         std::string_view what) {
  if (headers.size() > kMaxRequestHeaders)
    return make_error(
        ClientErrorKind::bad_request,
        std::string(what) + ": more than " + std::to_string(kMaxRequestHeaders) + " headers");
  for (const auto& header : headers) {
    const std::string name = header.name.size() > 64 ? header.name.substr(0, 64) : header.name;
    if (!is_token(header.name) || header.name.size() > 256)
      return make_error(ClientErrorKind::bad_request,
                        std::string(what) + ": invalid header name \"" + name + "\"");
    if (!is_field_value(header.value) || header.value.size() > kMaxRequestHeaderBytes)
      return make_error(ClientErrorKind::bad_request,
                        std::string(what) + ": invalid or oversized value of header " + name);
    if (is_client_owned(header.name))
      return make_error(ClientErrorKind::bad_request,
                        std::string(what) + ": header " + name + " is set by the client itself");
  }
  return std::nullopt;
}

bool is_redirect(int status) {
  return status == 301 || status == 302 || status == 303 || status == 307 || status == 308;
}

// RFC 9110 10.2.2: Location is a URI reference, resolved against the URL
// that was requested (RFC 3986 5.2). The result is parsed by parse_url like
// any other URL.
UrlResult resolve_location(const Url& base, std::string_view location) {
  namespace urls = boost::urls;
  if (location.size() > kMaxUrlLength) return UrlResult{std::nullopt, UrlError::too_long};
  const std::string base_text = base.text_without_fragment();
  auto base_view = urls::parse_uri(base_text);
  auto reference = urls::parse_uri_reference(location);
  if (base_view && reference) {
    urls::url resolved;
    if (urls::resolve(*base_view, *reference, resolved))
      return parse_url(std::string_view(resolved.buffer().data(), resolved.buffer().size()));
  }
  // An absolute URL with raw non-ASCII bytes, which parse_url encodes.
  return parse_url(location);
}

// ---------------------------------------------------------------------------
// DNS with a deadline. The system resolver cannot be interrupted, so the
// answer is awaited on a timer that the answer cancels: at the deadline the
// request moves on and a late answer is dropped.

struct Resolution {
  explicit Resolution(const asio::any_io_executor& executor)
      : resolver(executor), timer(executor) {}
  tcp::resolver resolver;
  asio::steady_timer timer;
  bool done = false;
  error_code ec;
  tcp::resolver::results_type results;
};

struct Resolved {
  std::vector<tcp::endpoint> endpoints;
  std::optional<ClientError> error;
};

asio::awaitable<Resolved> resolve(const Url& url, Clock::time_point deadline,
                                  Clock::time_point total_deadline,
                                  std::chrono::milliseconds connect_timeout) {
  const Origin& origin = url.origin;
  Resolved out;
  if (origin.host_kind != HostKind::name) {
    error_code ec;
    const auto address = asio::ip::make_address(origin.host, ec);
    if (ec) {
      out.error = make_error(ClientErrorKind::bad_url, "bad address in " + loggable(url));
    } else {
      out.endpoints.emplace_back(address, origin.port);
    }
    co_return out;
  }
  // Runs on the request's strand: the handler and this coroutine never run
  // at the same time.
  auto r = std::make_shared<Resolution>(co_await asio::this_coro::executor);
  r->timer.expires_at(deadline);
  // No address_configured flag: it would drop 127.0.0.1 for localhost on a
  // machine whose only IPv4 address is loopback.
  r->resolver.async_resolve(origin.host, std::to_string(origin.port),
                            tcp::resolver::numeric_service,
                            [r](error_code ec, tcp::resolver::results_type results) {
                              r->done = true;
                              r->ec = ec;
                              r->results = std::move(results);
                              r->timer.cancel();
                            });
  co_await r->timer.async_wait(kTuple);
  if (!r->done) {
    r->resolver.cancel();
    if (deadline >= total_deadline)
      out.error = make_error(ClientErrorKind::total_timeout,
                             "request deadline passed while resolving " + origin.host);
    else
      out.error = make_error(ClientErrorKind::dns,
                             "no DNS answer for " + origin.host + " within " + ms(connect_timeout));
    co_return out;
  }
  if (r->ec || r->results.empty()) {
    out.error = make_error(ClientErrorKind::dns, "cannot resolve " + origin.host + ": " +
                                                     (r->ec ? r->ec.message() : "no addresses"));
    co_return out;
  }
  for (const auto& entry : r->results) {
    const tcp::endpoint endpoint = entry.endpoint();
    if (std::find(out.endpoints.begin(), out.endpoints.end(), endpoint) == out.endpoints.end())
      out.endpoints.push_back(endpoint);
  }
  co_return out;
}

// Keeps the endpoints the guard allows (and, for plain http, that are
// allowlisted); the error says why none is left.
Resolved screen(const State& state, const Url& url, std::vector<tcp::endpoint> endpoints) {
  Resolved out;
  const bool plain = url.origin.scheme == "http";
  std::string refusals;
  bool plain_refused = false;
  for (const auto& endpoint : endpoints) {
    const AddressDecision decision = state.options.guard.check(endpoint.address(), endpoint.port());
    if (!decision) {
      if (refusals.size() < 200) refusals += (refusals.empty() ? "" : "; ") + decision.reason;
      continue;
    }
    if (plain && !decision.allowlisted) {
      plain_refused = true;
      continue;
    }
    if (out.endpoints.size() < kMaxAddressesTried) out.endpoints.push_back(endpoint);
  }
  if (out.endpoints.empty()) {
    if (plain_refused)
      out.error = make_error(ClientErrorKind::plain_http,
                             "plain http to " + loggable(url) +
                                 " refused: only allowlisted address:port pairs may use http");
    else
      out.error = make_error(ClientErrorKind::refused_address,
                             "refused to connect to " + url.origin.authority() + ": " + refusals);
  }
  return out;
}

// Connects to the first endpoint that accepts, trying them in order until
// the deadline.
asio::awaitable<std::optional<ClientError>> connect(State& state, beast::tcp_stream& stream,
                                                    const std::vector<tcp::endpoint>& endpoints,
                                                    const Url& url, Clock::time_point deadline,
                                                    Clock::time_point total_deadline) {
  std::string failures;
  for (const auto& endpoint : endpoints) {
    error_code ignored;
    stream.socket().close(ignored);
    ++state.connection_attempts;
    stream.expires_at(deadline);
    auto [ec] = co_await stream.async_connect(endpoint, kTuple);
    if (!ec) co_return std::nullopt;
    if (ec == beast::error::timeout) {
      if (deadline >= total_deadline)
        co_return make_error(
            ClientErrorKind::total_timeout,
            "request deadline passed while connecting to " + url.origin.authority());
      co_return make_error(ClientErrorKind::connect_timeout,
                           "no connection to " + url.origin.authority() + " within " +
                               ms(state.options.connect_timeout));
    }
    const std::string address = endpoint.address().to_string();
    const std::string where = (endpoint.address().is_v6() ? "[" + address + "]" : address) + ":" +
                              std::to_string(endpoint.port());
    failures += (failures.empty() ? "" : "; ") + where + ": " + ec.message();
  }
  co_return make_error(ClientErrorKind::connect_failed,
                       "cannot connect to " + url.origin.authority() + ": " + failures);
}

// ---------------------------------------------------------------------------
// One request and its response on a connected stream.

struct Exchange {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
};

struct ExchangeResult {
  std::optional<Exchange> exchange;
  std::optional<ClientError> error;
};

struct ExchangeLimits {
  Clock::time_point total_deadline;
  std::chrono::milliseconds read_timeout;
  std::chrono::milliseconds request_timeout;
  std::size_t max_header_bytes;
  std::size_t max_body_bytes;
  bool head = false;
};

// Sets the stream's deadline for one read or write: read_timeout from now,
// or the total deadline if that comes first. True when it is the total one.
bool arm(beast::tcp_stream& stream, const ExchangeLimits& limits) {
  const auto own = Clock::now() + limits.read_timeout;
  const bool total_first = limits.total_deadline <= own;
  stream.expires_at(total_first ? limits.total_deadline : own);
  return total_first;
}

template <class Stream>
asio::awaitable<ExchangeResult> exchange(Stream& stream,
                                         const bhttp::request<bhttp::string_body>& request,
                                         const ExchangeLimits& limits, const Url& url) {
  beast::tcp_stream& tcp = beast::get_lowest_layer(stream);
  ExchangeResult out;
  auto fail = [&](ClientErrorKind kind, std::string message) {
    out.error = make_error(kind, std::move(message));
    return out;
  };
  auto timeout = [&](bool total, std::string_view doing) {
    if (total)
      return fail(ClientErrorKind::total_timeout,
                  "request to " + loggable(url) + " not done within " + ms(limits.request_timeout));
    return fail(doing == "sending" ? ClientErrorKind::write_timeout : ClientErrorKind::read_timeout,
                std::string(doing) + " " + loggable(url) + ": no progress within " +
                    ms(limits.read_timeout));
  };

  {
    const bool total = arm(tcp, limits);
    auto [ec, n] = co_await bhttp::async_write(stream, request, kTuple);
    if (ec == beast::error::timeout) co_return timeout(total, "sending");
    if (ec)
      co_return fail(ClientErrorKind::connection_lost,
                     "sending to " + loggable(url) + ": " + ec.message());
  }

  beast::flat_buffer buffer;
  for (unsigned interim = 0;; ++interim) {
    bhttp::response_parser<bhttp::string_body> parser;
    parser.header_limit(
        static_cast<std::uint32_t>(std::min<std::size_t>(limits.max_header_bytes, UINT32_MAX)));
    parser.body_limit(limits.max_body_bytes);
    if (limits.head) parser.skip(true);
    while (!parser.is_done()) {
      const bool total = arm(tcp, limits);
      auto [ec, n] = co_await bhttp::async_read_some(stream, buffer, parser, kTuple);
      if (!ec) continue;
      if (ec == beast::error::timeout) co_return timeout(total, "reading");
      if (ec == bhttp::error::header_limit)
        co_return fail(ClientErrorKind::too_large,
                       "response headers from " + loggable(url) + " over " +
                           std::to_string(limits.max_header_bytes) + " bytes");
      if (ec == bhttp::error::body_limit)
        co_return fail(ClientErrorKind::too_large,
                       "response body from " + loggable(url) + " over " +
                           std::to_string(limits.max_body_bytes) + " bytes");
      if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
          ec == asio::error::eof || ec == asio::error::connection_reset ||
          ec == asio::error::broken_pipe)
        co_return fail(
            ClientErrorKind::connection_lost,
            "connection to " + url.origin.authority() + " closed before the response was complete");
      if (ec == ssl::error::stream_truncated)
        co_return fail(ClientErrorKind::connection_lost,
                       "TLS connection to " + url.origin.authority() +
                           " closed without close_notify before the response was complete");
      if (ec.category() == bhttp::make_error_code(bhttp::error::bad_version).category())
        co_return fail(ClientErrorKind::bad_response,
                       "malformed response from " + loggable(url) + ": " + ec.message());
      co_return fail(ClientErrorKind::connection_lost,
                     "reading from " + loggable(url) + ": " + ec.message());
    }
    auto& message = parser.get();
    const int status = static_cast<int>(message.result_int());
    if (status >= 100 && status < 200 && status != 101) {
      if (interim + 1 >= kMaxInterimResponses)
        co_return fail(ClientErrorKind::bad_response,
                       "too many interim responses from " + loggable(url));
      continue;
    }
    if (status < 200 || status > 599)
      co_return fail(ClientErrorKind::bad_response,
                     "status " + std::to_string(status) + " from " + loggable(url));
    Exchange result;
    result.status = status;
    for (const auto& field : message)
      result.headers.push_back(
          Header{std::string(field.name_string()), std::string(field.value())});
    result.body = std::move(message.body());
    out.exchange = std::move(result);
    co_return out;
  }
}

// ---------------------------------------------------------------------------
// TLS.

// The handshake's failure in words: which certificate check failed, if one
// did.
struct CertificateCheck {
  std::string chain_error;  // OpenSSL's reason the chain is not trusted
  bool host_mismatch = false;
};

std::string tls_failure(const Url& url, const error_code& ec, const CertificateCheck& check) {
  std::string text = "TLS handshake with " + url.origin.authority() + " failed: ";
  if (!check.chain_error.empty())
    return text + "certificate not trusted (" + check.chain_error + ")";
  if (check.host_mismatch) return text + "certificate is not valid for " + url.origin.host;
  return text + ec.message();
}

// ---------------------------------------------------------------------------
// One hop: one URL, one connection, one response.

struct HopRequest {
  std::string method;
  std::vector<Header> headers;
  const std::string* body = nullptr;
  const std::function<std::vector<Header>(const Url&)>* sign = nullptr;
  ExchangeLimits limits;
};

// The request as it goes on the wire. Built once connected, so that the
// sign hook's Date is as fresh as it can be.
std::optional<ClientError> build_request(bhttp::request<bhttp::string_body>& request,
                                         const Url& url, const HopRequest& hop_request,
                                         const ClientOptions& options) {
  request.version(11);
  request.method_string(hop_request.method);
  request.target(url.request_target());
  request.set(bhttp::field::host, url.origin.authority());
  request.set(bhttp::field::user_agent, options.user_agent);
  request.set(bhttp::field::accept_encoding, "identity");
  request.set(bhttp::field::connection, "close");
  for (const auto& header : hop_request.headers) request.insert(header.name, header.value);
  if (hop_request.sign && *hop_request.sign) {
    std::vector<Header> signed_headers = (*hop_request.sign)(url);
    if (auto bad = check_headers(signed_headers, "headers from the sign hook")) return bad;
    for (const auto& header : signed_headers) request.insert(header.name, header.value);
  }
  if (!hop_request.body->empty() || hop_request.method == "POST" || hop_request.method == "PUT") {
    request.body() = *hop_request.body;
    request.prepare_payload();
  }
  return std::nullopt;
}

asio::awaitable<ExchangeResult> hop(std::shared_ptr<State> state, const Url& url,
                                    const HopRequest& hop_request) {
  const ClientOptions& options = state->options;
  const Clock::time_point total_deadline = hop_request.limits.total_deadline;
  ExchangeResult out;

  // At most max_requests_per_host in flight to one host.
  if (!co_await acquire_slot(*state, &url.origin.host, total_deadline)) {
    out.error =
        make_error(ClientErrorKind::total_timeout,
                   "request deadline passed while waiting for a free slot for " + url.origin.host);
    co_return out;
  }
  SlotGuard host_slot(state, url.origin.host);

  const Clock::time_point connect_deadline =
      earlier(Clock::now() + options.connect_timeout, total_deadline);
  Resolved resolved =
      co_await resolve(url, connect_deadline, total_deadline, options.connect_timeout);
  if (!resolved.error) resolved = screen(*state, url, std::move(resolved.endpoints));
  if (resolved.error) {
    out.error = std::move(resolved.error);
    co_return out;
  }

  const asio::any_io_executor executor = co_await asio::this_coro::executor;
  if (url.origin.scheme == "http") {
    beast::tcp_stream stream(executor);
    if (auto error = co_await connect(*state, stream, resolved.endpoints, url, connect_deadline,
                                      total_deadline)) {
      out.error = std::move(error);
      co_return out;
    }
    bhttp::request<bhttp::string_body> request;
    if (auto bad = build_request(request, url, hop_request, options)) {
      out.error = std::move(bad);
      co_return out;
    }
    co_return co_await exchange(stream, request, hop_request.limits, url);
  }

  ssl::stream<beast::tcp_stream> stream(executor, state->tls);
  if (auto error = co_await connect(*state, beast::get_lowest_layer(stream), resolved.endpoints,
                                    url, connect_deadline, total_deadline)) {
    out.error = std::move(error);
    co_return out;
  }
  // SNI carries names only (RFC 6066 3); the certificate is checked against
  // the name, or against the IP address the URL gave.
  if (url.origin.host_kind == HostKind::name &&
      !SSL_set_tlsext_host_name(stream.native_handle(), url.origin.host.c_str())) {
    out.error = make_error(ClientErrorKind::tls, "cannot set SNI for " + url.origin.host);
    co_return out;
  }
  CertificateCheck check;
  stream.set_verify_mode(ssl::verify_peer);
  stream.set_verify_callback([verify = ssl::host_name_verification(url.origin.host), &check](
                                 bool preverified, ssl::verify_context& context) {
    if (!preverified) {
      if (check.chain_error.empty())
        check.chain_error =
            X509_verify_cert_error_string(X509_STORE_CTX_get_error(context.native_handle()));
      return false;
    }
    const bool ok = verify(preverified, context);
    if (!ok) check.host_mismatch = true;
    return ok;
  });
  beast::get_lowest_layer(stream).expires_at(connect_deadline);
  auto [ec] = co_await stream.async_handshake(ssl::stream_base::client, kTuple);
  if (ec == beast::error::timeout) {
    out.error = connect_deadline >= total_deadline
                    ? make_error(ClientErrorKind::total_timeout,
                                 "request deadline passed during the TLS handshake with " +
                                     url.origin.authority())
                    : make_error(ClientErrorKind::connect_timeout,
                                 "TLS handshake with " + url.origin.authority() +
                                     " not done within " + ms(options.connect_timeout));
    co_return out;
  }
  if (ec) {
    out.error = make_error(ClientErrorKind::tls, tls_failure(url, ec, check));
    co_return out;
  }
  bhttp::request<bhttp::string_body> request;
  if (auto bad = build_request(request, url, hop_request, options)) {
    out.error = std::move(bad);
    co_return out;
  }
  co_return co_await exchange(stream, request, hop_request.limits, url);
}

// ---------------------------------------------------------------------------
// A whole request: validation, the global slot, hops and redirects.

asio::awaitable<ClientResult> perform(std::shared_ptr<State> state, OutgoingRequest request) {
  const ClientOptions& options = state->options;
  const auto started = Clock::now();
  const auto request_timeout =
      request.request_timeout.count() > 0 ? request.request_timeout : options.request_timeout;
  ClientResult result;
  auto fail = [&](ClientError error) {
    result.error = std::move(error);
    return result;
  };

  if (!is_token(request.method) || request.method.size() > 16)
    co_return fail(make_error(ClientErrorKind::bad_request, "invalid method"));
  if (auto bad = check_headers(request.headers, "request headers")) co_return fail(*bad);
  UrlResult parsed = parse_url(request.url);
  if (!parsed)
    co_return fail(
        make_error(ClientErrorKind::bad_url, "cannot fetch \"" + request.url.substr(0, 200) +
                                                 "\": " + std::string(describe(parsed.error))));
  Url url = std::move(*parsed.url);

  HopRequest hop_request;
  hop_request.method = request.method;
  hop_request.headers = std::move(request.headers);
  hop_request.body = &request.body;
  hop_request.sign = &request.sign;
  hop_request.limits = ExchangeLimits{
      started + request_timeout,
      options.read_timeout,
      request_timeout,
      options.max_header_bytes,
      request.max_body_bytes > 0 ? request.max_body_bytes : options.max_body_bytes,
      request.method == "HEAD",
  };
  const bool follow = request.method == "GET" || request.method == "HEAD";

  if (!co_await acquire_slot(*state, nullptr, hop_request.limits.total_deadline))
    co_return fail(make_error(ClientErrorKind::total_timeout,
                              "request deadline passed while waiting for a free slot"));
  SlotGuard global_slot(state, std::nullopt);

  for (unsigned redirects = 0;; ++redirects) {
    ExchangeResult hop_result = co_await hop(state, url, hop_request);
    if (hop_result.error) co_return fail(std::move(*hop_result.error));
    Exchange& answer = *hop_result.exchange;

    std::optional<std::string_view> location;
    for (const auto& header : answer.headers)
      if (iequals(header.name, "Location")) location = header.value;
    if (follow && is_redirect(answer.status) && location) {
      if (redirects == kMaxRedirects)
        co_return fail(make_error(ClientErrorKind::too_many_redirects,
                                  "more than " + std::to_string(kMaxRedirects) +
                                      " redirects, the last from " + loggable(url)));
      UrlResult next = resolve_location(url, *location);
      if (!next)
        co_return fail(make_error(ClientErrorKind::redirect_refused,
                                  "redirect from " + loggable(url) +
                                      " to an unusable URL: " + std::string(describe(next.error))));
      if (url.origin.scheme == "https" && next.url->origin.scheme != "https")
        co_return fail(make_error(ClientErrorKind::redirect_refused,
                                  "redirect from https to http refused: " + loggable(url) + " -> " +
                                      loggable(*next.url)));
      spdlog::debug("outgoing {} {}: {} redirect to {}", request.method, loggable(url),
                    answer.status, loggable(*next.url));
      url = std::move(*next.url);
      std::erase_if(hop_request.headers, [](const Header& h) { return is_credential(h.name); });
      continue;
    }

    ClientResponse response;
    response.status = answer.status;
    response.headers = std::move(answer.headers);
    response.body = std::move(answer.body);
    response.final_url = std::move(url);
    response.redirects = redirects;
    result.response = std::move(response);
    co_return result;
  }
}

}  // namespace

std::string_view describe(ClientErrorKind kind) {
  switch (kind) {
    case ClientErrorKind::bad_request:
      return "bad_request";
    case ClientErrorKind::bad_url:
      return "bad_url";
    case ClientErrorKind::plain_http:
      return "plain_http";
    case ClientErrorKind::dns:
      return "dns";
    case ClientErrorKind::refused_address:
      return "refused_address";
    case ClientErrorKind::connect_failed:
      return "connect_failed";
    case ClientErrorKind::connect_timeout:
      return "connect_timeout";
    case ClientErrorKind::tls:
      return "tls";
    case ClientErrorKind::write_timeout:
      return "write_timeout";
    case ClientErrorKind::read_timeout:
      return "read_timeout";
    case ClientErrorKind::total_timeout:
      return "total_timeout";
    case ClientErrorKind::too_large:
      return "too_large";
    case ClientErrorKind::too_many_redirects:
      return "too_many_redirects";
    case ClientErrorKind::redirect_refused:
      return "redirect_refused";
    case ClientErrorKind::connection_lost:
      return "connection_lost";
    case ClientErrorKind::bad_response:
      return "bad_response";
    case ClientErrorKind::internal:
      return "internal";
  }
  return "unknown";
}

std::optional<std::string_view> ClientResponse::header(std::string_view name) const {
  for (const auto& h : headers)
    if (iequals(h.name, name)) return std::string_view(h.value);
  return std::nullopt;
}

std::string make_user_agent(std::string_view host) {
  return "kith/" KITH_VERSION " (+https://" + std::string(host) + "/)";
}

ClientOptions client_options_from_config(const core::Config& config) {
  ClientOptions options;
  options.user_agent = make_user_agent(config.host);
  options.guard = AddressGuard::from_config(config.federation.allowed_private_addresses);
  options.extra_ca_file = config.federation.extra_ca_file.string();
  options.connect_timeout = config.federation.connect_timeout;
  options.request_timeout = config.federation.request_timeout;
  options.max_body_bytes = config.federation.max_response_size;
  return options;
}

Client::Client(ClientOptions options) : state_(std::make_shared<State>(std::move(options))) {
  ssl::context& tls = state_->tls;
  // TLS 1.2 or later, certificates checked against the system store (and the
  // extra CA file); the host name is checked per connection.
  SSL_CTX_set_min_proto_version(tls.native_handle(), TLS1_2_VERSION);
  tls.set_options(ssl::context::default_workarounds | ssl::context::no_compression);
  tls.set_verify_mode(ssl::verify_peer);
  error_code ec;
  tls.set_default_verify_paths(ec);
  if (ec) spdlog::warn("outgoing https: cannot load the system trust store: {}", ec.message());
  if (!state_->options.extra_ca_file.empty()) {
    tls.load_verify_file(state_->options.extra_ca_file, ec);
    if (ec)
      throw std::runtime_error("extra CA file \"" + state_->options.extra_ca_file +
                               "\" cannot be loaded: " + ec.message());
  }
}

Client::~Client() = default;

std::uint64_t Client::connection_attempts() const {
  return state_->connection_attempts.load();
}

const ClientOptions& Client::options() const {
  return state_->options;
}

asio::awaitable<ClientResult> Client::request(OutgoingRequest request) {
  std::shared_ptr<State> state = state_;
  const std::string method = request.method;
  const auto started = Clock::now();
  ClientResult result;
  try {
    auto strand = asio::make_strand(co_await asio::this_coro::executor);
    result =
        co_await asio::co_spawn(strand, perform(state, std::move(request)), asio::use_awaitable);
  } catch (const std::exception& e) {
    result.response.reset();
    result.error = make_error(ClientErrorKind::internal, std::string("client error: ") + e.what());
    spdlog::error("outgoing {}: {}", method, result.error.message);
    co_return result;
  }
  const double elapsed = std::chrono::duration<double, std::milli>(Clock::now() - started).count();
  if (result) {
    spdlog::debug("outgoing {} {} -> {} {}B {:.1f}ms", method, loggable(result.response->final_url),
                  result.response->status, result.response->body.size(), elapsed);
  } else {
    spdlog::info("outgoing {} failed after {:.1f}ms: {}: {}", method, elapsed,
                 describe(result.error.kind), result.error.message);
  }
  co_return result;
}

}  // namespace kith::http
