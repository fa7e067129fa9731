// The LISTEN connection of the streaming hub (see stream_listener.hpp).
//
// The thread sleeps in poll(2) on two descriptors: the PostgreSQL socket
// (a notification arrived, or the server went away) and an eventfd that
// stop() writes, so shutting down never waits for a timeout. A lost
// connection is dropped and a new one made after a backoff that doubles up
// to max_backoff (with jitter, so that daemons do not reconnect in step).
// The connection string is never logged: it may carry a password.
#include "kith/db/stream_listener.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <optional>
#include <pqxx/pqxx>
#include <random>
#include <system_error>

#include "kith/db/pool.hpp"

namespace kith::db {
namespace {

// Collects the payloads get_notifs() hands to the receiver.
class Collector final : public pqxx::notification_receiver {
 public:
  Collector(pqxx::connection_base& connection, const std::string& channel,
            std::vector<std::string>& into)
      : pqxx::notification_receiver(connection, channel), into_(into) {}
  void operator()(const std::string& payload, int /*backend_pid*/) override {
    into_.push_back(payload);
  }

 private:
  std::vector<std::string>& into_;
};

std::string one_line(std::string_view message) {
  std::string line(message);
  std::replace(line.begin(), line.end(), '\n', ' ');
  while (!line.empty() && line.back() == ' ') line.pop_back();
  return line;
}

}  // namespace

StreamListener::StreamListener(std::string connection_string, std::string channel, Deliver deliver,
                               std::chrono::milliseconds min_backoff,
                               std::chrono::milliseconds max_backoff)
    : connection_string_(with_connect_timeout(connection_string)),
      channel_(std::move(channel)),
      deliver_(std::move(deliver)),
      min_backoff_(std::max(min_backoff, std::chrono::milliseconds{1})),
      max_backoff_(std::max(max_backoff, min_backoff_)) {
  wake_fd_ = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (wake_fd_ < 0) throw std::system_error(errno, std::generic_category(), "eventfd");
}

StreamListener::~StreamListener() {
  stop();
  if (wake_fd_ >= 0) ::close(wake_fd_);
}

void StreamListener::start() {
  if (thread_.joinable()) return;
  thread_ = std::thread([this] { run(); });
}

void StreamListener::stop() {
  stopping_ = true;
  const std::uint64_t one = 1;
  [[maybe_unused]] auto written = ::write(wake_fd_, &one, sizeof one);
  if (thread_.joinable()) thread_.join();
}

void StreamListener::run() {
  std::mt19937 random(std::random_device{}());
  std::chrono::milliseconds backoff{0};
  while (!stopping_) {
    const auto before = connections_.load();
    listen_once();
    if (stopping_) break;
    // Connected this time: start the backoff afresh.
    if (connections_.load() != before) backoff = std::chrono::milliseconds{0};
    backoff = backoff.count() == 0 ? min_backoff_ : std::min(backoff * 2, max_backoff_);
    std::uniform_int_distribution<long> jitter(0, backoff.count() / 2);
    const auto wait = backoff + std::chrono::milliseconds(jitter(random));
    pollfd wake{wake_fd_, POLLIN, 0};
    ::poll(&wake, 1, static_cast<int>(wait.count()));
  }
}

void StreamListener::listen_once() {
  std::optional<pqxx::connection> connection;
  try {
    connection.emplace(connection_string_);
    // A lost connection is replaced by a new one here, never revived
    // behind our back by libpqxx.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    connection->inhibit_reactivation(true);
#pragma GCC diagnostic pop
  } catch (const std::exception& e) {
    spdlog::warn("stream listener: cannot connect: {}", one_line(e.what()));
    return;
  }
  std::vector<std::string> received;
  try {
    Collector collector(*connection, channel_, received);
    connection->get_notifs();  // makes the receiver's LISTEN take effect
    listening_ = true;
    if (++connections_ > 1) spdlog::info("stream listener: listening again");
    while (!stopping_) {
      pollfd fds[2] = {{connection->sock(), POLLIN, 0}, {wake_fd_, POLLIN, 0}};
      const int ready = ::poll(fds, 2, 30'000);
      if (ready < 0 && errno != EINTR) break;
      if (stopping_) break;
      received.clear();
      connection->get_notifs();
      // Several notifications may wait in libpq's buffer after one read.
      while (!received.empty()) {
        std::vector<std::string> batch;
        const std::size_t n = std::min(received.size(), kMaxNotificationBatch);
        batch.assign(std::make_move_iterator(received.begin()),
                     std::make_move_iterator(received.begin() + static_cast<long>(n)));
        received.erase(received.begin(), received.begin() + static_cast<long>(n));
        deliver_(std::move(batch));
      }
      if (!connection->is_open() || (fds[0].revents & (POLLHUP | POLLERR | POLLNVAL))) {
        spdlog::warn("stream listener: connection lost; reconnecting");
        break;
      }
    }
  } catch (const std::exception& e) {
    spdlog::warn("stream listener: {}; reconnecting", one_line(e.what()));
  }
  listening_ = false;
}

}  // namespace kith::db
