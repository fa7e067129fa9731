// Long-lived connections after the HTTP exchange: the WebSocket session and
// the event stream (text/event-stream), and the outbox producers fill.
// Beast's WebSocket templates are instantiated here and nowhere else.
//
// Each stream is two coroutines on the connection's strand, started
// together and awaited together by the connection's own coroutine (so the
// frame that owns the socket outlives both):
//
//   the reader  the upgrade's `run`, which calls receive(): WebSocket
//               messages (at most kMaxClientMessageBytes each), or for an
//               event stream just the wait for the client to go away;
//   the writer  sends what the outbox holds, one message at a time, each
//               under kStreamWriteTimeout; pings (WebSocket, by Beast's
//               keep-alive after kWebSocketPingInterval of silence) or
//               `:thump` heartbeats (event stream, kEventStreamHeartbeat).
//
// Either side ending ends the other: the reader ending (client gone)
// wakes the writer, which stops; the writer ending (shutdown, handler done,
// producer closed the outbox) closes politely (WebSocket close 1001/1000,
// or the last chunk), which ends the pending read. A client that does not
// keep up (outbox over its cap, or a write past its deadline) is cut off at
// once.
#include <spdlog/spdlog.h>

#include <array>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/websocket.hpp>
#include <cstdio>
#include <ctime>

#include "stream_session.hpp"

namespace kith::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace websocket = boost::beast::websocket;
using asio::ip::tcp;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

bool StreamOutbox::push(std::string message) {
  std::lock_guard lock(mutex_);
  if (finished_ || closed_ || overflowed_) return false;
  if (bytes_ + message.size() > max_bytes_) {
    overflowed_ = true;
    queue_.clear();
    bytes_ = 0;
  } else {
    bytes_ += message.size();
    queue_.push_back(std::move(message));
  }
  if (waker_) waker_();
  return !overflowed_;
}

void StreamOutbox::close() {
  std::lock_guard lock(mutex_);
  closed_ = true;
  if (waker_) waker_();
}

void StreamOutbox::set_waker(std::function<void()> waker) {
  std::lock_guard lock(mutex_);
  waker_ = std::move(waker);
}

std::deque<std::string> StreamOutbox::take() {
  std::lock_guard lock(mutex_);
  bytes_ = 0;
  return std::exchange(queue_, {});
}

bool StreamOutbox::overflowed() const {
  std::lock_guard lock(mutex_);
  return overflowed_;
}

bool StreamOutbox::closed() const {
  std::lock_guard lock(mutex_);
  return closed_;
}

void StreamOutbox::finish() {
  std::lock_guard lock(mutex_);
  finished_ = true;
  queue_.clear();
  bytes_ = 0;
  waker_ = nullptr;
}

namespace {

// What the reader, the writer, the outbox's waker and the server's stop
// share; touched only on the connection's strand. Owned by the session's
// frame; the waker and the write deadline hold it weakly, so that a wake-up
// posted after the session ended finds nothing.
struct SessionState {
  SessionState(asio::any_io_executor executor, StreamOutbox& outbox)
      : wake(executor), write_deadline(executor), outbox(outbox) {}
  asio::steady_timer wake;            // the writer waits on it; cancel() wakes it
  asio::steady_timer write_deadline;  // closes the socket if a write takes too long
  StreamOutbox& outbox;
  std::function<void()> abort;  // closes the socket at once
  bool writing = false;
  bool stopping = false;      // the server is shutting down
  bool read_ended = false;    // the client is gone (or the read failed)
  bool handler_done = false;  // the upgrade's run returned

  bool should_end() const {
    return stopping || read_ended || handler_done || outbox.closed() || outbox.overflowed();
  }
  void on_wake() {
    wake.cancel();
    if (writing && outbox.overflowed()) abort();
  }
};

// Links the outbox and the server's stop to `state` for the session's
// lifetime.
struct SessionLinks {
  SessionLinks(const std::shared_ptr<SessionState>& state, StreamControl& control,
               asio::any_io_executor executor)
      : state(*state), control(control) {
    std::weak_ptr<SessionState> weak = state;
    state->outbox.set_waker([weak, executor] {
      asio::post(executor, [weak] {
        if (auto s = weak.lock()) s->on_wake();
      });
    });
    SessionState* raw = state.get();
    control.stop = [raw] {
      raw->stopping = true;
      raw->wake.cancel();
    };
  }
  ~SessionLinks() {
    state.outbox.finish();
    control.stop = nullptr;
  }
  SessionState& state;
  StreamControl& control;
};

// Runs `write` (an awaitable<beast::error_code>) under kStreamWriteTimeout.
template <class Write>
asio::awaitable<bool> guarded_write(const std::shared_ptr<SessionState>& state, Write write) {
  state->writing = true;
  state->write_deadline.expires_after(kStreamWriteTimeout);
  std::weak_ptr<SessionState> weak = state;
  state->write_deadline.async_wait([weak](beast::error_code ec) {
    auto s = weak.lock();
    if (ec || !s || !s->writing) return;
    spdlog::info("stream closed: a write took longer than {} s", kStreamWriteTimeout.count());
    s->abort();
  });
  beast::error_code ec = co_await write();
  state->writing = false;
  state->write_deadline.cancel();
  co_return !ec;
}

// Waits until woken or `timeout` passed; true if it timed out.
asio::awaitable<bool> wait_for_wake(SessionState& state,
                                    std::chrono::steady_clock::duration timeout) {
  state.wake.expires_after(timeout);
  auto [ec] = co_await state.wake.async_wait(kTuple);
  co_return !ec;
}

// Runs the upgrade's `run` (the reader side), catching what it throws.
asio::awaitable<void> run_handler(StreamUpgrade& upgrade, StreamConnection& connection,
                                  SessionState& state) {
  try {
    co_await upgrade.run(connection);
  } catch (const std::exception& e) {
    spdlog::error("stream handler: {}", e.what());
  }
  state.handler_done = true;
  state.wake.cancel();
}

// Runs `writer` beside the calling coroutine (on the same strand) while
// the upgrade's `run` reads, and returns when both have finished. (Not
// Asio's awaitable operators: they build lambdas inside co_await
// expressions, whose captured executors GCC 12 destroys twice.)
asio::awaitable<void> run_both(asio::any_io_executor executor, asio::awaitable<void> writer,
                               StreamUpgrade& upgrade, StreamConnection& connection,
                               SessionState& state) {
  bool writer_finished = false;
  asio::steady_timer writer_done(executor, asio::steady_timer::time_point::max());
  auto on_writer_end = [&writer_finished, &writer_done](std::exception_ptr error) {
    if (error) spdlog::error("stream writer ended by an exception");
    writer_finished = true;
    writer_done.cancel();
  };
  asio::co_spawn(executor, std::move(writer), on_writer_end);
  co_await run_handler(upgrade, connection, state);
  while (!writer_finished) co_await writer_done.async_wait(kTuple);
}

// ---- WebSocket ----

using WebSocket = websocket::stream<beast::tcp_stream>;

class WebSocketConnection final : public StreamConnection {
 public:
  WebSocketConnection(WebSocket& ws, SessionState& state) : ws_(ws), state_(state) {}

  asio::awaitable<std::optional<std::string>> receive() override {
    while (!state_.read_ended) {
      beast::flat_buffer buffer;
      auto [ec, n] = co_await ws_.async_read(buffer, kTuple);
      if (ec) {
        state_.read_ended = true;
        state_.wake.cancel();
        break;
      }
      if (!ws_.got_text()) continue;  // binary messages mean nothing here
      co_return beast::buffers_to_string(buffer.data());
    }
    co_return std::nullopt;
  }

 private:
  WebSocket& ws_;
  SessionState& state_;
};

asio::awaitable<void> websocket_writer(WebSocket& ws, std::shared_ptr<SessionState> state) {
  SessionState& s = *state;
  while (!s.should_end()) {
    std::deque<std::string> messages = s.outbox.take();
    if (messages.empty()) {
      co_await wait_for_wake(s, std::chrono::hours(24));
      continue;
    }
    for (std::string& message : messages) {
      if (s.should_end()) break;
      ws.text(true);
      auto write = [&]() -> asio::awaitable<beast::error_code> {
        auto [ec, n] = co_await ws.async_write(asio::buffer(message), kTuple);
        co_return ec;
      };
      if (!co_await guarded_write(state, write)) {
        s.read_ended = true;  // the socket is gone
        break;
      }
    }
  }
  if (s.outbox.overflowed()) {
    spdlog::info("stream closed: the client does not read fast enough");
    s.abort();
    co_return;
  }
  if (s.read_ended) co_return;  // the client closed, or the connection failed
  // Shutting down, or nothing more to send: the closing handshake (under
  // Beast's handshake timeout); the pending read, if any, then ends.
  websocket::close_reason reason(s.stopping ? websocket::close_code::going_away
                                            : websocket::close_code::normal);
  auto [ec] = co_await ws.async_close(reason, kTuple);
  if (ec) s.abort();
}

// ---- event stream ----

// One chunk of a chunked body (or the bytes themselves for HTTP/1.0).
std::string frame_chunk(std::string_view data, bool chunked) {
  if (!chunked) return std::string(data);
  char size[20];
  std::snprintf(size, sizeof size, "%zx\r\n", data.size());
  std::string chunk = size;
  chunk.append(data);
  chunk.append("\r\n");
  return chunk;
}

class EventStreamConnection final : public StreamConnection {
 public:
  EventStreamConnection(beast::tcp_stream& stream, SessionState& state)
      : stream_(stream), state_(state) {}

  // The client sends nothing after its request; any read completing
  // with an error (or end of file) means it went away. Bytes it does send
  // are dropped.
  asio::awaitable<std::optional<std::string>> receive() override {
    std::array<char, 512> sink;
    while (!state_.read_ended) {
      auto [ec, n] = co_await stream_.async_read_some(asio::buffer(sink), kTuple);
      if (ec) {
        state_.read_ended = true;
        state_.wake.cancel();
      }
    }
    co_return std::nullopt;
  }

 private:
  beast::tcp_stream& stream_;
  SessionState& state_;
};

asio::awaitable<void> event_stream_writer(beast::tcp_stream& stream, bool chunked,
                                          std::shared_ptr<SessionState> state) {
  SessionState& s = *state;
  auto write_bytes = [&](std::string bytes) -> asio::awaitable<bool> {
    auto write = [&]() -> asio::awaitable<beast::error_code> {
      auto [ec, n] = co_await asio::async_write(stream.socket(), asio::buffer(bytes), kTuple);
      co_return ec;
    };
    co_return co_await guarded_write(state, write);
  };
  while (!s.should_end()) {
    std::deque<std::string> messages = s.outbox.take();
    if (messages.empty()) {
      if (co_await wait_for_wake(s, kEventStreamHeartbeat) && !s.should_end()) {
        if (!co_await write_bytes(frame_chunk(":thump\n", chunked))) s.read_ended = true;
      }
      continue;
    }
    std::string batch;
    for (const std::string& message : messages) batch += message;
    if (!co_await write_bytes(frame_chunk(batch, chunked))) s.read_ended = true;
  }
  if (s.outbox.overflowed()) {
    spdlog::info("stream closed: the client does not read fast enough");
    s.abort();
    co_return;
  }
  if (!s.read_ended && chunked) co_await write_bytes("0\r\n\r\n");
  // Ends the reader's pending read; the connection's coroutine closes.
  s.abort();
}

std::string http_date() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[40];
  std::strftime(text, sizeof text, "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return text;
}

void close_socket(tcp::socket& socket) {
  beast::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

}  // namespace

asio::awaitable<void> run_websocket(beast::tcp_stream& stream,
                                    beast::http::request<beast::http::string_body> request,
                                    StreamUpgrade& upgrade, StreamControl& control) {
  stream.expires_never();  // the WebSocket keeps its own timeouts
  WebSocket ws(std::move(stream));
  websocket::stream_base::timeout timeouts;
  timeouts.handshake_timeout = kWebSocketCloseTimeout;
  timeouts.idle_timeout = 2 * kWebSocketPingInterval;  // Beast pings at half of it
  timeouts.keep_alive_pings = true;
  ws.set_option(timeouts);
  ws.read_message_max(kMaxClientMessageBytes);
  const std::string subprotocol = upgrade.subprotocol;
  ws.set_option(websocket::stream_base::decorator([&subprotocol](websocket::response_type& res) {
    res.set(beast::http::field::server, "kith");
    res.set(beast::http::field::date, http_date());
    if (!subprotocol.empty()) res.set(beast::http::field::sec_websocket_protocol, subprotocol);
  }));
  // The handshake, under the same timeout as the closing one.
  auto [accept_ec] = co_await ws.async_accept(request, kTuple);
  if (accept_ec) {
    spdlog::info("WebSocket handshake failed: {}", accept_ec.message());
    close_socket(beast::get_lowest_layer(ws).socket());
    co_return;
  }
  auto executor = ws.get_executor();
  auto state = std::make_shared<SessionState>(executor, *upgrade.outbox);
  state->abort = [&ws] { close_socket(beast::get_lowest_layer(ws).socket()); };
  SessionLinks links(state, control, executor);
  WebSocketConnection connection(ws, *state);
  co_await run_both(executor, websocket_writer(ws, state), upgrade, connection, *state);
  close_socket(beast::get_lowest_layer(ws).socket());
}

asio::awaitable<void> run_event_stream(beast::tcp_stream& stream, unsigned version,
                                       StreamUpgrade& upgrade, StreamControl& control) {
  stream.expires_never();
  const bool chunked = version >= 11;
  std::string head = std::string(version >= 11 ? "HTTP/1.1" : "HTTP/1.0") +
                     " 200 OK\r\nServer: kith\r\nDate: " + http_date() +
                     "\r\nContent-Type: text/event-stream\r\nCache-Control: no-store\r\n"
                     "X-Accel-Buffering: no\r\n" +
                     (chunked ? "Transfer-Encoding: chunked\r\n" : "") +
                     "Connection: close\r\n\r\n" + frame_chunk(":)\n", chunked);
  auto executor = stream.get_executor();
  auto state = std::make_shared<SessionState>(executor, *upgrade.outbox);
  state->abort = [&stream] { close_socket(stream.socket()); };
  auto write_head = [&]() -> asio::awaitable<beast::error_code> {
    auto [ec, n] = co_await asio::async_write(stream.socket(), asio::buffer(head), kTuple);
    co_return ec;
  };
  if (!co_await guarded_write(state, write_head)) {
    close_socket(stream.socket());
    co_return;
  }
  SessionLinks links(state, control, executor);
  EventStreamConnection connection(stream, *state);
  co_await run_both(executor, event_stream_writer(stream, chunked, state), upgrade, connection,
                    *state);
  close_socket(stream.socket());
}

}  // namespace kith::http
