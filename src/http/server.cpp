// The Beast server. Reading a request happens in four steps, each with its
// own deadline and limit, stated where the read happens:
//
//   1. wait for the first byte       header_timeout (new) / idle_timeout (kept alive)
//   2. read the head                 header_timeout, kMaxHeaderBlockBytes -> 431
//   3. route; check Content-Length   route's body_limit -> 413 before reading
//   4. read the body                 body_timeout, route's body_limit -> 413
//
// Then the handler runs and the response is written under body_timeout.
// A handler may instead take the connection over (a WebSocket or an event
// stream, http/stream.hpp): the connection then belongs to the stream until
// it ends (stream_session.cpp), and is closed after it.
// Whenever kith answers without reading what the client sent (413, 431, a
// 404 with a body), it closes the connection with a short lingering read, so
// the client sees the answer rather than a reset.
#include "kith/http/server.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <ctime>
#include <map>
#include <mutex>

#include "kith/core/errors.hpp"
#include "kith/http/request_reader.hpp"
#include "kith/http/stream.hpp"
#include "stream_session.hpp"

namespace kith::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

// How long a refused or rejected connection may take to receive its answer,
// and how much of an unwanted body is read and dropped before closing.
constexpr std::chrono::milliseconds kLingerTimeout{1'000};
constexpr std::size_t kLingerBytes = 256 * 1024;
constexpr std::size_t kReadChunk = 4 * 1024;

struct Connection {
  beast::tcp_stream stream;
  asio::any_io_executor executor;  // the connection's strand; immutable
  bool idle = true;                // waiting for a request to start; touched only on the strand
  StreamControl stream_control;    // set while a long-lived stream runs; touched only on the strand
};

struct Server::State {
  State(ServerOptions options, const Router& router, core::MetricsRegistry& metrics)
      : options(std::move(options)),
        router(router),
        requests_total(metrics.counter("kith_http_requests_total",
                                       "HTTP requests answered, by route, method and status")),
        request_seconds(
            metrics.histogram("kith_http_request_duration_seconds",
                              "Time from the first byte of a request to its response, by route",
                              core::kLatencyBuckets)),
        rejected_connections(
            metrics.counter("kith_http_rejected_connections_total",
                            "Connections refused because http.max_connections were open")) {
    // A counter without labels is exported from the start, as 0, so that
    // rate() and alerts see it before the first refusal.
    rejected_connections.add({}, 0);
  }

  ServerOptions options;
  const Router& router;
  core::CounterFamily& requests_total;
  core::HistogramFamily& request_seconds;
  core::CounterFamily& rejected_connections;

  std::atomic<std::size_t> open_connections{0};
  std::atomic<bool> draining{false};
  std::mutex mutex;                                  // guards the members below
  std::map<std::uint64_t, Connection*> connections;  // owned by their coroutines
  std::uint64_t next_id = 0;
  std::function<void()> on_drained;

  // Runs the drain callback at most once.
  void finish_drain() {
    std::function<void()> callback;
    {
      std::lock_guard lock(mutex);
      callback = std::move(on_drained);
      on_drained = nullptr;
    }
    if (callback) callback();
  }
};

namespace {

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

std::string client_address(const beast::tcp_stream& stream) {
  beast::error_code ec;
  auto endpoint = stream.socket().remote_endpoint(ec);
  return ec ? "unknown" : endpoint.address().to_string();
}

// With trust_proxy, the last X-Forwarded-For hop is the client as seen by
// our own reverse proxy; earlier hops are client-supplied and not trusted.
void apply_forwarded_for(Request& request) {
  auto forwarded = request.header("X-Forwarded-For");
  if (!forwarded) return;
  std::string_view hops = *forwarded;
  auto comma = hops.rfind(',');
  std::string_view last = comma == std::string_view::npos ? hops : hops.substr(comma + 1);
  while (!last.empty() && last.front() == ' ') last.remove_prefix(1);
  while (!last.empty() && last.back() == ' ') last.remove_suffix(1);
  if (!last.empty() && last.size() <= 64) request.remote_address = std::string(last);
}

// Writes `response`; returns false if the client could not be written to.
asio::awaitable<bool> write_response(beast::tcp_stream& stream, Response response, unsigned version,
                                     bool keep_alive, bool head_only,
                                     std::chrono::milliseconds timeout) {
  bhttp::response<bhttp::string_body> out{static_cast<bhttp::status>(response.status), version};
  out.set(bhttp::field::server, "kith");
  out.set(bhttp::field::date, http_date());
  for (auto& header : response.headers) out.set(header.name, header.value);
  const std::size_t length = response.body.size();
  out.keep_alive(keep_alive);
  if (head_only) {
    out.content_length(length);
  } else {
    out.body() = std::move(response.body);
    out.prepare_payload();
  }
  stream.expires_after(timeout);
  if (head_only) {
    bhttp::response_serializer<bhttp::string_body> serializer(out);
    auto [ec, n] = co_await bhttp::async_write_header(stream, serializer, kTuple);
    co_return !ec;
  }
  auto [ec, n] = co_await bhttp::async_write(stream, out, kTuple);
  co_return !ec;
}

// Closes after sending our half, reading (and dropping) what the client is
// still sending for a moment, so that its unread data does not turn our last
// response into a TCP reset.
asio::awaitable<void> linger_close(beast::tcp_stream& stream) {
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_send, ec);
  stream.expires_after(kLingerTimeout);
  std::array<char, kReadChunk> sink;
  std::size_t drained = 0;
  while (drained < kLingerBytes) {
    auto [read_ec, n] = co_await stream.async_read_some(asio::buffer(sink), kTuple);
    if (read_ec) break;
    drained += n;
  }
  stream.socket().close(ec);
}

// The client is the socket's peer, or the address our proxy forwarded
// (with http.trust_proxy).
void log_request(const Request& request, int status, std::size_t bytes, Clock::duration elapsed) {
  // Path only: query strings may carry access_token and other secrets.
  std::string_view path = request.path.empty() ? "-" : std::string_view(request.path);
  if (path.size() > 200) path = path.substr(0, 200);
  spdlog::info("{} \"{} {}\" {} {}B {:.1f}ms", request.remote_address,
               request.method.empty() ? "-" : request.method, path, status, bytes,
               std::chrono::duration<double, std::milli>(elapsed).count());
}

// Runs the handler, turning escaped exceptions into 503 or 500.
asio::awaitable<Response> run_handler(const Route& route, Request& request) {
  try {
    co_return co_await route.handler(request);
  } catch (const core::ServiceUnavailable& e) {
    spdlog::warn("{} {}: unavailable: {}", request.method, route.pattern, e.what());
    Response response = error_response(503, "service temporarily unavailable");
    response.set_header("Retry-After", std::to_string(e.retry_after));
    co_return response;
  } catch (const std::exception& e) {
    spdlog::error("{} {}: {}", request.method, route.pattern, e.what());
    co_return error_response(500, "internal server error");
  }
}

// One connection, from accept to close.
asio::awaitable<void> serve_connection(std::shared_ptr<Server::State> state, tcp::socket socket) {
  const ServerOptions& options = state->options;
  Connection connection{beast::tcp_stream(std::move(socket)), {}};
  connection.executor = connection.stream.get_executor();
  beast::tcp_stream& stream = connection.stream;
  const std::string peer = client_address(stream);
  std::uint64_t id;
  {
    std::lock_guard lock(state->mutex);
    id = state->next_id++;
    state->connections.emplace(id, &connection);
  }
  struct Deregister {
    Server::State& state;
    std::uint64_t id;
    ~Deregister() {
      {
        std::lock_guard lock(state.mutex);
        state.connections.erase(id);
      }
      if (--state.open_connections == 0 && state.draining) state.finish_drain();
    }
  } deregister{*state, id};

  beast::flat_buffer buffer;
  bool first_request = true;
  stream.expires_after(options.header_timeout);
  while (!state->draining) {
    // 1. Wait for the request to start.
    if (buffer.size() == 0) {
      connection.idle = true;
      if (!first_request) stream.expires_after(options.idle_timeout);
      auto [ec, n] = co_await stream.async_read_some(buffer.prepare(kReadChunk), kTuple);
      connection.idle = false;
      if (ec) break;  // closed by the client, idle too long, or shutting down
      buffer.commit(n);
    }
    connection.idle = false;
    const auto started = Clock::now();

    // 2. The head, within the header deadline and size limit.
    if (!first_request) stream.expires_after(options.header_timeout);
    first_request = false;
    HeadParser head;
    configure_head_parser(head);
    auto [head_ec, head_n] = co_await bhttp::async_read_header(stream, buffer, head, kTuple);
    Request request;
    request.remote_address = peer;
    auto reject = [&](int status, std::string_view message) -> asio::awaitable<void> {
      state->requests_total.add({{"route", "none"},
                                 {"method", request.method.empty() ? "-" : request.method},
                                 {"status", std::to_string(status)}});
      Response response = error_response(status, message);
      const std::size_t bytes = response.body.size();
      co_await write_response(stream, std::move(response), 11, false, false, kLingerTimeout);
      log_request(request, status, bytes, Clock::now() - started);
      co_await linger_close(stream);
    };
    if (head_ec == bhttp::error::header_limit) {
      co_await reject(431, "request header fields too large");
      co_return;
    }
    if (head_ec == beast::error::timeout) {
      spdlog::info("{} closed: request head not received within {} ms", peer,
                   options.header_timeout.count());
      co_return;
    }
    if (head_ec == bhttp::error::end_of_stream || head_ec == asio::error::eof ||
        head_ec == asio::error::connection_reset || head_ec == asio::error::operation_aborted)
      break;
    if (head_ec) {
      co_await reject(400, "malformed request");
      co_return;
    }
    if (auto too_large = check_head_size(head_n)) {
      co_await reject(too_large->status, "request header fields too large");
      co_return;
    }

    // 3. Route, and refuse a declared body over the route's limit unread.
    request.method = std::string(head.get().method_string());
    HeadOutcome outcome = accept_head(head.get(), state->router, request);
    if (options.trust_proxy) apply_forwarded_for(request);
    const bool has_body = head.chunked() || head.content_length().value_or(0) > 0;
    if (outcome.rejection && outcome.rejection->status == 431) {
      co_await reject(431, outcome.rejection->message);
      co_return;
    }
    if (!outcome.rejection && outcome.route) {
      if (auto too_large = check_declared_length(head, *outcome.route))
        outcome.rejection = too_large;
    }
    const unsigned version = head.get().version();
    const bool head_only = request.method == "HEAD";
    bool keep_alive = head.get().keep_alive();

    Response response;
    bhttp::request<bhttp::string_body> message;  // kept for a WebSocket handshake
    const Route* route = outcome.route;
    if (outcome.rejection) {
      // Answer without reading the body; the connection cannot be reused
      // if a body is still on its way.
      response = error_response(outcome.rejection->status, outcome.rejection->message);
      if (has_body || outcome.rejection->status == 413) keep_alive = false;
      route = nullptr;
    } else {
      // 4. The body, within the body deadline and the route's limit.
      bhttp::request_parser<bhttp::string_body> parser(std::move(head));
      parser.body_limit(route->body_limit);
      if (!parser.is_done()) {
        auto expect = request.header("Expect");
        if (expect && iequals(*expect, "100-continue")) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          stream.expires_after(options.body_timeout);
          auto [ec, n] = co_await asio::async_write(stream, asio::buffer(kContinue), kTuple);
          if (ec) break;
        }
        stream.expires_after(options.body_timeout);
        auto [body_ec, body_n] = co_await bhttp::async_read(stream, buffer, parser, kTuple);
        if (body_ec == bhttp::error::body_limit) {
          co_await reject(413, "request body too large");
          co_return;
        }
        if (body_ec == beast::error::timeout) {
          spdlog::info("{} closed: request body not received within {} ms", peer,
                       options.body_timeout.count());
          co_return;
        }
        if (body_ec) {
          if (body_ec == bhttp::error::partial_message || body_ec == asio::error::eof) break;
          co_await reject(400, "malformed request body");
          co_return;
        }
      }
      request.body = std::move(parser.get().body());
      keep_alive = parser.get().keep_alive();
      message = parser.release();
      response = co_await run_handler(*route, request);
    }

    // The handler takes the connection over: it is the stream's until it
    // ends, then closed.
    if (response.upgrade && route && !state->draining) {
      std::shared_ptr<StreamUpgrade> upgrade = std::move(response.upgrade);
      const bool websocket = upgrade->kind == StreamUpgrade::Kind::websocket;
      const int status = websocket ? 101 : 200;
      const auto elapsed = Clock::now() - started;
      state->requests_total.add({{"route", route->pattern},
                                 {"method", request.method},
                                 {"status", std::to_string(status)}});
      state->request_seconds.observe({{"route", route->pattern}},
                                     std::chrono::duration<double>(elapsed).count());
      log_request(request, status, 0, elapsed);
      if (websocket)
        co_await run_websocket(stream, std::move(message), *upgrade, connection.stream_control);
      else
        co_await run_event_stream(stream, version, *upgrade, connection.stream_control);
      spdlog::info("{} \"{} {}\" stream ended after {:.1f}s", request.remote_address,
                   request.method, request.path,
                   std::chrono::duration<double>(Clock::now() - started).count());
      co_return;
    }
    if (response.upgrade) response = error_response(503, "shutting down");

    if (state->draining) keep_alive = false;
    const int status = response.status;
    const std::size_t bytes = response.body.size();
    const bool written = co_await write_response(stream, std::move(response), version, keep_alive,
                                                 head_only, options.body_timeout);
    const auto elapsed = Clock::now() - started;
    const std::string route_label = route ? route->pattern : "none";
    state->requests_total.add(
        {{"route", route_label}, {"method", request.method}, {"status", std::to_string(status)}});
    state->request_seconds.observe({{"route", route_label}},
                                   std::chrono::duration<double>(elapsed).count());
    log_request(request, status, bytes, elapsed);
    if (!written) co_return;
    if (!keep_alive) {
      co_await linger_close(stream);
      co_return;
    }
  }
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

// Over the connection cap: answer 503 at once and close.
asio::awaitable<void> refuse_connection(tcp::socket socket) {
  static const std::string body = R"({"error":"too many connections"})";
  static const std::string response =
      "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
      "Connection: close\r\nContent-Length: " +
      std::to_string(body.size()) + "\r\n\r\n" + body;
  beast::tcp_stream stream(std::move(socket));
  stream.expires_after(kLingerTimeout);
  co_await asio::async_write(stream, asio::buffer(response), kTuple);
  beast::error_code ec;
  stream.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream.socket().close(ec);
}

void log_escaped_exception(std::exception_ptr error) {
  if (!error) return;
  try {
    std::rethrow_exception(error);
  } catch (const std::exception& e) {
    spdlog::error("connection ended by an exception: {}", e.what());
  }
}

}  // namespace

Server::Server(asio::io_context& io, ServerOptions options, const Router& router,
               core::MetricsRegistry& metrics)
    : io_(io), control_(asio::make_strand(io)), acceptor_(control_), drain_timer_(control_) {
  state_ = std::make_shared<State>(std::move(options), router, metrics);
  metrics.gauge("kith_http_open_connections", "Client connections open now", [state = state_] {
    return std::vector<core::GaugeSample>{
        {{}, static_cast<double>(state->open_connections.load())}};
  });
}

Server::~Server() = default;

std::size_t Server::open_connections() const {
  return state_->open_connections.load();
}

void Server::start() {
  const ServerOptions& options = state_->options;
  tcp::endpoint endpoint(asio::ip::make_address(options.address), options.port);
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(asio::socket_base::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
  bound_port_ = acceptor_.local_endpoint().port();
  asio::co_spawn(control_, accept_loop(), log_escaped_exception);
}

asio::awaitable<void> Server::accept_loop() {
  std::shared_ptr<State> state = state_;
  asio::steady_timer backoff(control_);
  while (!state->draining) {
    auto [ec, socket] = co_await acceptor_.async_accept(asio::make_strand(io_), kTuple);
    if (state->draining) break;
    if (ec) {
      // Out of file descriptors and the like: wait a little and go on; the
      // listener must never die.
      spdlog::warn("accept failed: {}", ec.message());
      backoff.expires_after(std::chrono::milliseconds(100));
      co_await backoff.async_wait(kTuple);
      continue;
    }
    if (state->open_connections.load() >= state->options.max_connections) {
      state->rejected_connections.add({});
      auto executor = socket.get_executor();
      asio::co_spawn(executor, refuse_connection(std::move(socket)), log_escaped_exception);
      continue;
    }
    ++state->open_connections;
    auto executor = socket.get_executor();
    asio::co_spawn(executor, serve_connection(state, std::move(socket)), log_escaped_exception);
  }
}

void Server::begin_shutdown(std::function<void()> on_drained) {
  asio::post(control_, [this, on_drained = std::move(on_drained)]() mutable {
    std::shared_ptr<State> state = state_;
    if (state->draining.exchange(true)) return;
    beast::error_code ec;
    acceptor_.close(ec);
    {
      std::lock_guard lock(state->mutex);
      state->on_drained = std::move(on_drained);
      // Connections waiting for a request are closed now; the others close
      // after their current response (the loop checks `draining`).
      for (auto& [id, connection] : state->connections) {
        asio::post(connection->executor, [state, id = id] {
          std::lock_guard lock(state->mutex);
          auto it = state->connections.find(id);
          if (it == state->connections.end()) return;
          if (it->second->idle)
            it->second->stream.cancel();
          else if (it->second->stream_control.stop)
            it->second->stream_control.stop();
        });
      }
    }
    if (state->open_connections.load() == 0) {
      state->finish_drain();
      return;
    }
    drain_timer_.expires_after(state->options.drain_timeout);
    drain_timer_.async_wait([state](beast::error_code) {
      if (state->open_connections.load() > 0)
        spdlog::warn("drain deadline passed with {} connection(s) still open",
                     state->open_connections.load());
      state->finish_drain();
    });
  });
}

}  // namespace kith::http
