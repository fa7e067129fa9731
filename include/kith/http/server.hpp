// The HTTP/1.1 server: accepts connections and runs one coroutine per
// connection that reads requests under kith's limits, routes them, and writes
// the responses.
//
// One coroutine owns a connection from accept to close; its frame owns the
// socket, so there is no shared_from_this. Every read has a deadline and
// every body a size cap, stated where the read happens. Shutdown is
// cooperative: begin_shutdown() stops accepting, closes connections that are
// waiting for a request, lets in-flight requests finish, and reports when all
// connections are gone or the drain deadline has passed.
//
// Lifetimes: the Router and the MetricsRegistry must outlive the io_context,
// because connection frames still suspended when it is destroyed use them.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "kith/core/metrics.hpp"
#include "kith/http/router.hpp"

namespace kith::http {

struct ServerOptions {
  std::string address = "127.0.0.1";
  std::uint16_t port = 8080;
  std::size_t max_connections = 4096;
  std::chrono::milliseconds header_timeout{10'000};  // accept (or first byte) to end of head
  std::chrono::milliseconds body_timeout{30'000};    // to read a body, or write a response
  std::chrono::milliseconds idle_timeout{60'000};    // keep-alive wait for the next request
  std::chrono::milliseconds drain_timeout{10'000};   // in-flight work allowed after shutdown
  bool trust_proxy = false;                          // take the client address from X-Forwarded-For
};

class Server {
 public:
  Server(boost::asio::io_context& io, ServerOptions options, const Router& router,
         core::MetricsRegistry& metrics);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds and listens; throws boost::system::system_error if the address
  // cannot be bound. Connections are served once the io_context runs.
  void start();

  // Stops accepting and drains. `on_drained` runs once, on some I/O thread,
  // when the last connection closed or the drain deadline passed.
  void begin_shutdown(std::function<void()> on_drained);

  std::size_t open_connections() const;
  std::uint16_t bound_port() const { return bound_port_; }

  // Connection bookkeeping shared with the connection coroutines (which may
  // outlive this object while the io_context is being torn down).
  struct State;

 private:
  boost::asio::awaitable<void> accept_loop();

  boost::asio::io_context& io_;
  boost::asio::strand<boost::asio::io_context::executor_type> control_;
  boost::asio::ip::tcp::acceptor acceptor_;
  boost::asio::steady_timer drain_timer_;
  std::shared_ptr<State> state_;
  std::uint16_t bound_port_ = 0;
};

}  // namespace kith::http
