// Long-lived responses: a WebSocket, or an HTTP event stream
// (text/event-stream), that stays open after the request that asked for it.
//
// The one idea: a handler that wants the connection answers with a Response
// carrying a StreamUpgrade; the server performs the WebSocket handshake (or
// writes the event-stream head) and then runs the upgrade's `run` coroutine
// on the connection, next to a writer that the server owns. Producers never
// write to the socket: they push finished messages into the connection's
// StreamOutbox, from any thread, and the writer sends them in order. The
// outbox is bounded, so a client that reads too slowly is disconnected
// rather than growing memory without bound. Handlers still never see Beast.
//
// What the server does for every stream: WebSocket pings when the client has
// been quiet for kWebSocketPingInterval (and closes it if it stays silent),
// `:thump` comments on an idle event stream every kEventStreamHeartbeat, a
// deadline on every write, and on shutdown a prompt, polite end (WebSocket
// close 1001, or the event stream's last chunk).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace kith::http {

// The largest WebSocket message a client may send; a larger one closes the
// connection (close code 1009).
inline constexpr std::size_t kMaxClientMessageBytes = 4 * 1024;
// A WebSocket client that sent nothing (pongs included) for this long is
// pinged; after twice this long it is disconnected.
inline constexpr std::chrono::seconds kWebSocketPingInterval{30};
// An idle event stream gets a `:thump` comment this often.
inline constexpr std::chrono::seconds kEventStreamHeartbeat{15};
// One message (or heartbeat) must be written within this long, or the
// connection is closed.
inline constexpr std::chrono::seconds kStreamWriteTimeout{30};
// The WebSocket closing handshake may take this long.
inline constexpr std::chrono::seconds kWebSocketCloseTimeout{3};

// Messages waiting to be written to one long-lived connection. Shared by
// the connection, which writes them, and whoever produces them, on any
// thread.
class StreamOutbox {
 public:
  explicit StreamOutbox(std::size_t max_bytes) : max_bytes_(max_bytes) {}

  // Queues one message (a WebSocket text message, or event-stream bytes).
  // Returns false when the connection has ended, or when the message would
  // take the queue over its byte cap: the connection is then ended, since
  // its client does not keep up.
  bool push(std::string message);
  // Ends the connection from the producer's side.
  void close();

  // For the connection: `waker` is called (from the pushing thread, under
  // the outbox's lock, so it must be quick) after each push or close;
  // pass nullptr to stop the calls.
  void set_waker(std::function<void()> waker);
  // Everything queued so far, oldest first.
  std::deque<std::string> take();
  bool overflowed() const;
  bool closed() const;
  // The connection ended: later pushes are refused.
  void finish();

 private:
  mutable std::mutex mutex_;
  std::deque<std::string> queue_;
  std::size_t bytes_ = 0;
  const std::size_t max_bytes_;
  bool overflowed_ = false;
  bool closed_ = false;
  bool finished_ = false;
  std::function<void()> waker_;
};

// The connection after the upgrade, as the upgrade's `run` sees it.
class StreamConnection {
 public:
  // WebSocket: the next text message from the client (binary messages are
  // skipped). Event stream: waits until the connection ends. nullopt once
  // the connection has ended (closed by the client, silent too long, too
  // slow, or the server is shutting down).
  virtual boost::asio::awaitable<std::optional<std::string>> receive() = 0;

 protected:
  ~StreamConnection() = default;
};

struct StreamUpgrade {
  enum class Kind { websocket, event_stream };
  Kind kind = Kind::websocket;
  // WebSocket: echoed as Sec-WebSocket-Protocol when not empty.
  std::string subprotocol;
  // What the writer sends; never null.
  std::shared_ptr<StreamOutbox> outbox;
  // Runs once the connection is taken over; the stream ends when it
  // returns (or throws). If the handshake fails it never runs, but it is
  // destroyed, so what it owns (e.g. a reserved stream slot) is released.
  std::function<boost::asio::awaitable<void>(StreamConnection&)> run;
};

}  // namespace kith::http
