// The one outgoing HTTP client: every fetch of a remote actor, key or object
// and every delivery of an activity goes through it.
//
// A federated server connects wherever other servers' documents point it: an
// inbox, a key id, a redirect. Whoever writes those documents can aim kith at
// its own network (cloud metadata at 169.254.169.254, a database on 10.0.0.5,
// an admin port on loopback) or hold its connections open for ever. The one
// idea: kith decides whether to connect from the address it is about to
// connect to, never from the name. Each hop's host is resolved, every
// address is checked with the AddressGuard, and the socket is connected to an
// address that passed, not to the name again, so a DNS answer that changes
// between check and connect (rebinding) changes nothing. Around that: TLS
// verified against the system store plus an optional extra CA, with SNI and a
// host name check; deadlines for connecting, for each read and write, and for
// the whole request; caps on response headers and body; at most kMaxRedirects
// redirects, each parsed and checked like the first and never from https to
// http; and caps on requests in flight, per host and in all.
//
// What it must never do: connect to an address the guard refused, speak plain
// http to anything but an allowlisted address:port, accept a certificate it
// could not verify, wait without a deadline, hold more than the size caps,
// let a network failure escape as an exception, or log request bodies or
// signature headers.
//
// What callers add (the ap module): signatures, through the `sign` hook that
// is called for every hop with the URL about to be requested; checks of the
// status and Content-Type; and, for fetched objects, that the document's id
// equals `final_url.text_without_fragment()`.
//
// One connection per request for now: no keep-alive pool (a later
// improvement, mostly for deliveries to big instances).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/core/config.hpp"
#include "kith/http/address_guard.hpp"
#include "kith/http/message.hpp"
#include "kith/http/url.hpp"

namespace kith::http {

// Defaults; core::FederationConfig has the same values for its keys.
// Mastodon uses 5 s to connect and 10 s per read, and 1 MiB for documents.
inline constexpr std::chrono::milliseconds kDefaultConnectTimeout{5'000};
inline constexpr std::chrono::milliseconds kDefaultReadTimeout{10'000};
inline constexpr std::chrono::milliseconds kDefaultRequestTimeout{30'000};
inline constexpr std::size_t kDefaultMaxResponseHeaderBytes = 32 * 1024;
inline constexpr std::size_t kDefaultMaxResponseBodyBytes = 1u << 20;
// In-flight requests: each may hold up to a body cap of memory.
inline constexpr std::size_t kDefaultMaxConcurrentRequests = 32;
inline constexpr std::size_t kDefaultMaxRequestsPerHost = 4;
// Redirects followed per request; one more is an error.
inline constexpr unsigned kMaxRedirects = 3;
// Addresses of one name tried in turn (all within the connect deadline).
inline constexpr std::size_t kMaxAddressesTried = 8;
// Caller-supplied request headers: how many, and how long each.
inline constexpr std::size_t kMaxRequestHeaders = 64;
inline constexpr std::size_t kMaxRequestHeaderBytes = 8 * 1024;

struct ClientOptions {
  std::string user_agent = "kith";  // see make_user_agent
  AddressGuard guard;               // its allowlist also permits plain http
  std::string extra_ca_file;        // PEM, trusted besides the system store
  std::chrono::milliseconds connect_timeout = kDefaultConnectTimeout;  // DNS + TCP + TLS
  std::chrono::milliseconds read_timeout = kDefaultReadTimeout;        // each read or write
  std::chrono::milliseconds request_timeout = kDefaultRequestTimeout;  // all of it
  std::size_t max_header_bytes = kDefaultMaxResponseHeaderBytes;
  std::size_t max_body_bytes = kDefaultMaxResponseBodyBytes;
  std::size_t max_concurrent_requests = kDefaultMaxConcurrentRequests;
  std::size_t max_requests_per_host = kDefaultMaxRequestsPerHost;
};

// "kith/0.1.0 (+https://social.example.org/)": who is calling, and where to
// find out more.
std::string make_user_agent(std::string_view host);

// Options from the federation.* keys and `host`. Throws std::invalid_argument
// naming a bad allowlist entry (load_config has already checked them).
ClientOptions client_options_from_config(const core::Config& config);

struct OutgoingRequest {
  std::string method = "GET";  // redirects are followed for GET and HEAD only
  std::string url;             // absolute http(s) URL; a fragment is not sent
  // Sent on every hop, except that Authorization, Cookie, Signature and
  // Signature-Input are dropped after a redirect (they belong to the first
  // target). Host, User-Agent, Content-Length, Transfer-Encoding, Connection
  // and Accept-Encoding are the client's own and refused here.
  std::vector<Header> headers;
  std::string body;  // sent with its Content-Length; Content-Type is the caller's
  // Called before each hop is sent, the first and each redirect's, with the
  // URL about to be requested (its origin().authority() is the Host header).
  // Returns headers for that hop only: Date, Digest, Signature... It runs on
  // an I/O thread, so it must be quick, and must not throw.
  std::function<std::vector<Header>(const Url& target)> sign;
  // Overrides of the client's caps for this request (0: the client's), e.g.
  // for media, which is larger and slower than documents.
  std::size_t max_body_bytes = 0;
  std::chrono::milliseconds request_timeout{0};
};

enum class ClientErrorKind {
  bad_request,         // the OutgoingRequest itself: method, headers
  bad_url,             // the URL does not parse (see UrlError)
  plain_http,          // http:// to an address:port that is not allowlisted
  dns,                 // the name did not resolve, or not within connect_timeout
  refused_address,     // every address of the host refused by the AddressGuard
  connect_failed,      // connection refused or unreachable
  connect_timeout,     // TCP connect or TLS handshake not done within connect_timeout
  tls,                 // handshake failed: unknown CA, wrong host name, protocol
  write_timeout,       // the request could not be sent within read_timeout
  read_timeout,        // a read made no progress within read_timeout
  total_timeout,       // the request as a whole took longer than request_timeout
  too_large,           // response headers or body over the cap
  too_many_redirects,  // more than kMaxRedirects
  redirect_refused,    // a Location that does not parse, or https to http
  connection_lost,     // reset or closed before the response was complete
  bad_response,        // not a valid HTTP/1.x response
  internal,            // an exception inside the client (a bug): logged
};

// "refused_address"...: the enumerator's name, for logs and metrics labels.
std::string_view describe(ClientErrorKind kind);

struct ClientError {
  ClientErrorKind kind = ClientErrorKind::internal;
  std::string message;  // says what happened and to which URL, for logs
};

struct ClientResponse {
  int status = 0;
  std::vector<Header> headers;
  std::string body;
  Url final_url;           // the URL that answered, after redirects
  unsigned redirects = 0;  // how many were followed

  // First header with this name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
};

// A response of any status (4xx and 5xx too), or why there is none.
struct ClientResult {
  std::optional<ClientResponse> response;
  ClientError error;  // meaningful only without a response
  explicit operator bool() const { return response.has_value(); }
};

class Client {
 public:
  // Throws std::runtime_error if the extra CA file cannot be loaded.
  explicit Client(ClientOptions options);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  // Performs the request on a strand of the caller's executor. Never throws
  // for anything the network or the remote side does. The Client may be
  // destroyed while requests are in flight; they finish on their own.
  boost::asio::awaitable<ClientResult> request(OutgoingRequest request);

  // TCP connections attempted so far (for metrics, and for tests that prove
  // a refused address was never connected to).
  std::uint64_t connection_attempts() const;

  const ClientOptions& options() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace kith::http
