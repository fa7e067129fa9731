// kith::db — PostgreSQL: the embedded cluster, the connection pool,
// migrations and the repositories that turn rows into model values.
//
// libpqxx is blocking, so it never runs on an I/O thread. The Pool owns a
// fixed number of connections, each on its own thread; a coroutine hands it a
// closure with `co_await pool.run(...)` and is resumed on its own executor
// with the result. When PostgreSQL goes away the pool does not: queries fail
// at once with core::ServiceUnavailable (the edge answers 503 with
// Retry-After) and each thread reconnects with exponential backoff. The
// database layer knows nothing of HTTP or JSON.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <vector>

#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

struct PoolOptions {
  std::string connection_string;  // libpq keyword/value string or URI
  unsigned size = 4;
  // A job that waits longer than this for a connection fails with
  // ServiceUnavailable instead of queueing forever.
  std::chrono::milliseconds acquire_timeout{5'000};
  std::chrono::milliseconds min_backoff{100};
  std::chrono::milliseconds max_backoff{5'000};
};

class Pool {
 public:
  explicit Pool(PoolOptions options);
  ~Pool();  // fails queued jobs with ServiceUnavailable, joins the threads
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Runs `f(pqxx::connection&)` on a pool thread and returns its result to
  // the calling coroutine. Exceptions thrown by `f` propagate to the caller;
  // a lost connection surfaces as core::ServiceUnavailable.
  template <class F>
  boost::asio::awaitable<std::invoke_result_t<F, pqxx::connection&>> run(F f) {
    using Result = std::invoke_result_t<F, pqxx::connection&>;
    auto executor = co_await boost::asio::this_coro::executor;
    // Jobs are built outside the co_await expressions (see submit()).
    if constexpr (std::is_void_v<Result>) {
      Job job = [&f](pqxx::connection& c) { f(c); };
      co_await submit(executor, std::move(job));
      co_return;
    } else {
      std::optional<Result> result;
      Job job = [&f, &result](pqxx::connection& c) { result.emplace(f(c)); };
      co_await submit(executor, std::move(job));
      co_return std::move(*result);
    }
  }

  // Blocking form for the command line (never call it on an I/O thread).
  void run_blocking(const std::function<void(pqxx::connection&)>& job);

  unsigned size() const { return static_cast<unsigned>(workers_.size()); }
  unsigned in_use() const { return in_use_.load(); }
  unsigned connected() const { return connected_.load(); }
  std::size_t waiting() const;

 private:
  using Job = std::function<void(pqxx::connection&)>;
  using Done = std::function<void(std::exception_ptr)>;
  struct Pending {
    Job job;
    Done done;  // called on the pool thread; posts back to the caller
    std::chrono::steady_clock::time_point queued_at;
  };

  template <class Executor>
  boost::asio::awaitable<void> submit(Executor executor, Job job) {
    // With this signature asio rethrows a non-null exception_ptr in the
    // awaiting coroutine itself, so the co_await yields nothing.
    //
    // The initiation is built in its own statement, not inside the co_await
    // expression: GCC 12 destroys the captures of a lambda written inside a
    // co_await expression twice, and a second release of `executor` (the
    // connection's strand) frees the strand while it is still in use.
    auto initiation = [this, executor, &job](auto handler) mutable {
      auto shared = std::make_shared<decltype(handler)>(std::move(handler));
      enqueue(Pending{std::move(job),
                      [executor, shared](std::exception_ptr e) {
                        boost::asio::post(executor, [shared, e]() mutable { (*shared)(e); });
                      },
                      std::chrono::steady_clock::now()});
    };
    co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&,
                                         void(std::exception_ptr)>(std::move(initiation),
                                                                   boost::asio::use_awaitable);
  }

  struct Worker;  // one thread's connection and reconnection state

  void enqueue(Pending pending);
  void worker_loop(unsigned index);
  void connect(Worker& worker);
  void drop_connection(Worker& worker, const char* reason);
  void replace_ended_connection(Worker& worker);
  bool next_job(Worker& worker, std::optional<Pending>& job);
  void serve(Worker& worker, Pending& pending);
  void shutdown() noexcept;

  PoolOptions options_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Pending> queue_;
  bool stopping_ = false;
  std::atomic<unsigned> in_use_{0};
  std::atomic<unsigned> connected_{0};
  std::vector<std::thread> workers_;
};

// Returns `connection_string` with libpq's connect_timeout set to `seconds`
// unless it already sets one, in either libpq syntax (keyword=value pairs or
// a postgresql:// URI), so that a dead host cannot hold a pool thread for
// the operating system's TCP timeout.
std::string with_connect_timeout(std::string_view connection_string, int seconds = 3);

}  // namespace kith::db
