// The database connection pool.
//
// libpqxx blocks, so each connection lives on its own thread and the I/O
// threads only ever hand closures over. There are exactly `size` threads and
// at most one connection each; a job waits in one queue until a connected
// thread is free.
//
// The pool is built to outlive the database. A thread that loses its
// connection (libpqxx throws broken_connection, or the connection is found
// closed) drops it, fails the job with core::ServiceUnavailable and then
// reconnects in the background with exponential backoff and jitter, so that
// `connected()` recovers without traffic and a restarted PostgreSQL is not
// hit by every thread at the same instant. A connection the server ended
// while it sat idle (a restart, pg_terminate_backend) is found before a job
// is handed to it, and replaced at once: a restart that is over costs no
// request. While no thread is connected, jobs fail at once instead of
// piling up behind the backoff: the edge turns that into 503 with
// Retry-After, which is more honest than a hung request.
//
// The connection string is never logged: it may carry a password.
#include "kith/db/pool.hpp"

#include <poll.h>

#include <algorithm>
#include <cctype>
#include <future>
#include <random>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "kith/core/errors.hpp"

namespace kith::db {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

std::exception_ptr unavailable(const char* what = "database unavailable") {
  return std::make_exception_ptr(core::ServiceUnavailable(what));
}

// libpq messages end with a newline and may span lines; logs want one line.
std::string one_line(std::string_view message) {
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

bool is_uri(std::string_view s) {
  return s.starts_with("postgresql://") || s.starts_with("postgres://");
}

// Whether the query part of a postgresql:// URI sets `key`.
bool uri_sets(std::string_view uri, std::string_view key) {
  const auto question = uri.find('?');
  if (question == std::string_view::npos) return false;
  std::string_view query = uri.substr(question + 1);
  while (!query.empty()) {
    const auto amp = query.find('&');
    const std::string_view param = query.substr(0, amp);
    if (param.substr(0, param.find('=')) == key) return true;
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return false;
}

// Whether a keyword/value connection string sets `key`. Values may be
// single-quoted and may contain backslash escapes, as in libpq's own parser.
bool keywords_set(std::string_view s, std::string_view key) {
  std::size_t i = 0;
  const auto skip_spaces = [&] {
    while (i < s.size() && std::isspace(static_cast<unsigned char>(s[i]))) ++i;
  };
  const auto skip_value = [&] {
    const bool quoted = i < s.size() && s[i] == '\'';
    if (quoted) ++i;
    while (i < s.size()) {
      const char c = s[i];
      if (quoted ? c == '\'' : std::isspace(static_cast<unsigned char>(c))) break;
      i += (c == '\\') ? 2 : 1;
    }
    if (quoted) ++i;
  };
  for (;;) {
    skip_spaces();
    if (i >= s.size()) return false;
    const std::size_t start = i;
    while (i < s.size() && s[i] != '=' && !std::isspace(static_cast<unsigned char>(s[i]))) ++i;
    const std::string_view keyword = s.substr(start, i - start);
    skip_spaces();
    if (i >= s.size() || s[i] != '=') return false;  // malformed: libpq will say so
    ++i;
    if (keyword == key) return true;
    skip_spaces();
    skip_value();
  }
}

bool is_blank(std::string_view s) {
  return std::all_of(s.begin(), s.end(),
                     [](char c) { return std::isspace(static_cast<unsigned char>(c)); });
}

// A PostgreSQL error that means the server is going away or not yet back
// (class 57P: admin_shutdown, crash_shutdown, cannot_connect_now).
bool is_server_shutdown(const std::exception& e) {
  const auto* sql = dynamic_cast<const pqxx::sql_error*>(&e);
  return sql && sql->sqlstate().starts_with("57P");
}

// Sends the server's notices and warnings to the log instead of stderr,
// and remembers a FATAL one: the server ending the session while it was
// idle (libpq hands that message over as a notice).
class NoticeLogger final : public pqxx::errorhandler {
 public:
  explicit NoticeLogger(pqxx::connection_base& connection) : pqxx::errorhandler(connection) {}
  bool operator()(const char message[]) noexcept override {
    const std::string_view text(message);
    if (text.starts_with("FATAL")) fatal = true;
    if (text.starts_with("NOTICE") || text.starts_with("DEBUG") || text.starts_with("INFO")) {
      spdlog::debug("postgres: {}", one_line(text));
    } else {
      spdlog::warn("postgres: {}", one_line(text));
    }
    return false;
  }
  bool fatal = false;
};

// Whether PostgreSQL has ended this idle connection since its last job. An
// idle connection's socket has nothing to read unless the server sent
// something unasked: a notice, or the FATAL message and end of stream of a
// terminated session. One poll() tells; libpq then reads what came, and
// either the FATAL message or the end of stream (perhaps on a second read)
// says the session is over. A connection cut without a word (a host gone,
// a dropped route) is not readable: its next job finds it broken.
bool ended_by_server(pqxx::connection& connection, const NoticeLogger& notices) {
  for (int reads = 0; reads < 4; ++reads) {
    if (!connection.is_open() || notices.fatal) return true;
    pollfd socket{connection.sock(), POLLIN, 0};
    if (::poll(&socket, 1, 0) <= 0) return false;
    try {
      connection.get_notifs();
    } catch (const pqxx::broken_connection&) {
      return true;
    }
  }
  return !connection.is_open() || notices.fatal;
}

}  // namespace

std::string with_connect_timeout(std::string_view connection_string, int seconds) {
  const std::string setting = "connect_timeout=" + std::to_string(seconds);
  std::string result(connection_string);
  if (is_uri(connection_string)) {
    if (uri_sets(connection_string, "connect_timeout")) return result;
    const auto question = connection_string.find('?');
    if (question == std::string_view::npos) {
      result += '?';
    } else if (!connection_string.ends_with('?') && !connection_string.ends_with('&')) {
      result += '&';
    }
    return result + setting;
  }
  if (keywords_set(connection_string, "connect_timeout")) return result;
  if (is_blank(connection_string)) return setting;
  return result + ' ' + setting;
}

// Everything a pool thread owns. Only that thread touches it.
struct Pool::Worker {
  unsigned index = 0;
  std::optional<pqxx::connection> connection;
  std::optional<NoticeLogger> notices;  // declared after: destroyed first
  Clock::time_point next_attempt{};     // no connection attempt before this
  milliseconds backoff{0};
  unsigned failures = 0;  // consecutive failed attempts, to log only the first
  std::minstd_rand random{std::random_device{}()};
};

Pool::Pool(PoolOptions options) : options_(std::move(options)) {
  if (options_.size == 0) throw std::invalid_argument("database pool size must be at least 1");
  options_.min_backoff = std::max(options_.min_backoff, milliseconds{1});
  options_.max_backoff = std::max(options_.max_backoff, options_.min_backoff);
  options_.connection_string = with_connect_timeout(options_.connection_string);
  try {
    workers_.reserve(options_.size);
    for (unsigned i = 0; i < options_.size; ++i) {
      workers_.emplace_back([this, i] { worker_loop(i); });
    }
  } catch (...) {
    shutdown();
    throw;
  }
}

Pool::~Pool() {
  shutdown();
}

void Pool::shutdown() noexcept {
  std::deque<Pending> abandoned;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    abandoned.swap(queue_);
  }
  wake_.notify_all();
  for (auto& pending : abandoned) {
    try {
      pending.done(unavailable("database pool is shutting down"));
    } catch (...) {
    }
  }
  for (auto& thread : workers_) {
    if (thread.joinable()) thread.join();
  }
}

std::size_t Pool::waiting() const {
  std::lock_guard lock(mutex_);
  return queue_.size();
}

void Pool::enqueue(Pending pending) {
  {
    std::unique_lock lock(mutex_);
    if (!stopping_) {
      queue_.push_back(std::move(pending));
      lock.unlock();
      wake_.notify_all();
      return;
    }
  }
  pending.done(unavailable("database pool is shutting down"));
}

void Pool::run_blocking(const std::function<void(pqxx::connection&)>& job) {
  // Shared so that the promise outlives set_value() even if this thread
  // wakes and returns before the pool thread has left it.
  auto promise = std::make_shared<std::promise<void>>();
  auto result = promise->get_future();
  enqueue(Pending{job,
                  [promise](std::exception_ptr error) {
                    if (error) {
                      promise->set_exception(error);
                    } else {
                      promise->set_value();
                    }
                  },
                  Clock::now()});
  result.get();
}

void Pool::worker_loop(unsigned index) {
  Worker worker;
  worker.index = index;
  std::optional<Pending> pending;
  for (;;) {
    if (!worker.connection && Clock::now() >= worker.next_attempt) connect(worker);
    if (!next_job(worker, pending)) break;
    if (!pending) continue;  // woke up to reconnect
    serve(worker, *pending);
    pending.reset();
  }
  if (worker.connection) drop_connection(worker, nullptr);
}

void Pool::connect(Worker& worker) {
  try {
    worker.connection.emplace(options_.connection_string);
    worker.notices.emplace(*worker.connection);
  } catch (const std::exception& e) {
    worker.notices.reset();
    worker.connection.reset();
    worker.backoff = worker.backoff.count() == 0
                         ? options_.min_backoff
                         : std::min(worker.backoff * 2, options_.max_backoff);
    // Jitter: wait between half and all of the backoff.
    std::uniform_int_distribution<milliseconds::rep> jitter(worker.backoff.count() / 2,
                                                            worker.backoff.count());
    worker.next_attempt = Clock::now() + milliseconds{jitter(worker.random)};
    if (worker.failures++ == 0) {
      spdlog::warn("database connection {} failed: {} (retrying every {} ms at most)", worker.index,
                   one_line(e.what()), options_.max_backoff.count());
    } else {
      spdlog::debug("database connection {} failed again: {}", worker.index, one_line(e.what()));
    }
    return;
  }
  {
    std::lock_guard lock(mutex_);
    ++connected_;
  }
  wake_.notify_all();
  if (worker.failures > 0) {
    spdlog::info("database connection {} restored", worker.index);
  } else {
    spdlog::debug("database connection {} opened", worker.index);
  }
  worker.failures = 0;
  worker.backoff = milliseconds{0};
}

void Pool::drop_connection(Worker& worker, const char* reason) {
  if (reason) spdlog::warn("database connection {} lost: {}", worker.index, one_line(reason));
  worker.notices.reset();
  worker.connection.reset();
  {
    std::lock_guard lock(mutex_);
    --connected_;
  }
  // Threads waiting for a connected peer must now fail their jobs instead.
  wake_.notify_all();
  worker.next_attempt = Clock::now();  // the first reconnection is immediate
}

// Waits for a job this thread should take. Returns false when the pool is
// stopping; otherwise `job` holds the job, or is empty when a disconnected
// thread's backoff has run out and it should try to connect again.
//
// A disconnected thread leaves jobs to connected peers (a job waits for
// them rather than failing); it takes them only when no thread is connected,
// and then fails them at once.
bool Pool::next_job(Worker& worker, std::optional<Pending>& job) {
  std::unique_lock lock(mutex_);
  const auto ready = [&] {
    return stopping_ || (!queue_.empty() && (worker.connection || connected_.load() == 0));
  };
  if (worker.connection) {
    wake_.wait(lock, ready);
  } else if (!wake_.wait_until(lock, worker.next_attempt, ready)) {
    return true;
  }
  if (stopping_) return false;
  job.emplace(std::move(queue_.front()));
  queue_.pop_front();
  return true;
}

// Replaces a connection the server ended while idle, if PostgreSQL takes a
// new one; otherwise drops it. The thread counts as connected throughout a
// successful replacement, so peers never see the pool empty meanwhile and
// fail their jobs.
void Pool::replace_ended_connection(Worker& worker) {
  spdlog::warn("database connection {} ended by the server while idle; reconnecting", worker.index);
  try {
    worker.notices.reset();
    worker.connection.emplace(options_.connection_string);
    worker.notices.emplace(*worker.connection);
    spdlog::info("database connection {} restored", worker.index);
  } catch (const std::exception& e) {
    worker.notices.reset();
    drop_connection(worker, e.what());  // counted gone; reconnects in the background
  }
}

void Pool::serve(Worker& worker, Pending& pending) {
  std::exception_ptr error;
  const bool timed_out = Clock::now() - pending.queued_at > options_.acquire_timeout;
  if (!timed_out && worker.connection && ended_by_server(*worker.connection, *worker.notices))
    replace_ended_connection(worker);
  if (timed_out) {
    error = unavailable("timed out waiting for a database connection");
  } else if (!worker.connection) {
    error = unavailable();
  } else {
    ++in_use_;
    try {
      pending.job(*worker.connection);
    } catch (const pqxx::broken_connection& e) {
      drop_connection(worker, e.what());
      error = unavailable();
    } catch (const pqxx::in_doubt_error& e) {
      // The commit may have happened: the caller must know that, not retry.
      if (!worker.connection->is_open()) drop_connection(worker, e.what());
      error = std::current_exception();
    } catch (const std::exception& e) {
      // Other errors belong to the caller, unless they are the server going
      // away: then the connection is gone too and the caller should retry.
      if (is_server_shutdown(e) || !worker.connection->is_open()) {
        drop_connection(worker, e.what());
        error = unavailable();
      } else {
        error = std::current_exception();
      }
    } catch (...) {
      error = std::current_exception();
    }
    --in_use_;
  }
  try {
    pending.done(error);
  } catch (const std::exception& e) {
    spdlog::error("database pool: completion handler threw: {}", e.what());
  } catch (...) {
    spdlog::error("database pool: completion handler threw");
  }
}

}  // namespace kith::db
