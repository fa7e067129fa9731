// The streaming hub's ear on the database: one dedicated PostgreSQL
// connection per daemon, on its own thread (not from the pool, whose
// connections must stay free for queries), that LISTENs on one channel and
// hands each batch of notification payloads to a callback.
//
// PostgreSQL delivers a NOTIFY only when the writing transaction commits, to
// every connection listening, whichever daemon wrote: this is how an action
// taken on one daemon (or applied by any daemon's inbox worker) reaches the
// streams open on all of them. The listener outlives the database: when the
// connection is lost it reconnects with exponential backoff, and the daemon
// stays up (notifications sent while it was away are lost; streams carry on
// with later ones). It knows nothing of what the payloads mean.
#pragma once

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace kith::db {

// The channel the stream triggers of migration 0006 notify.
inline constexpr const char* kStreamChannel = "kith_stream";
// At most this many payloads are handed over in one batch.
inline constexpr std::size_t kMaxNotificationBatch = 256;

class StreamListener {
 public:
  // Called on the listener's thread with the payloads received together,
  // in order; it must be quick (post elsewhere) and must not throw.
  using Deliver = std::function<void(std::vector<std::string> payloads)>;

  StreamListener(std::string connection_string, std::string channel, Deliver deliver,
                 std::chrono::milliseconds min_backoff = std::chrono::milliseconds{100},
                 std::chrono::milliseconds max_backoff = std::chrono::milliseconds{5'000});
  ~StreamListener();  // stop()
  StreamListener(const StreamListener&) = delete;
  StreamListener& operator=(const StreamListener&) = delete;

  // Starts the thread; it connects and listens in the background.
  void start();
  // Ends the thread promptly (it waits on the socket and on a wake-up
  // descriptor together) and joins it. Idempotent.
  void stop();
  // Whether the connection is up and listening now.
  bool listening() const { return listening_.load(); }
  // How many times it (re)connected; the first connection counts.
  unsigned connections() const { return connections_.load(); }

 private:
  void run();
  // One connection's life: connect, LISTEN, wait and deliver until it is
  // lost (returns) or stop() (returns).
  void listen_once();

  std::string connection_string_;
  std::string channel_;
  Deliver deliver_;
  std::chrono::milliseconds min_backoff_;
  std::chrono::milliseconds max_backoff_;
  int wake_fd_ = -1;  // eventfd: written by stop()
  std::atomic<bool> stopping_{false};
  std::atomic<bool> listening_{false};
  std::atomic<unsigned> connections_{0};
  std::thread thread_;
};

}  // namespace kith::db
