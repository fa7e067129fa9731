// `kith serve`, the daemon's lifecycle in order:
//
//   1. raise the open-files limit, open the database (embedded or external)
//      and apply migrations;
//   2. build the pool, the memory budget, the metrics and the routes;
//   3. listen, start the delivery and inbox workers, tell systemd READY=1,
//      and run the I/O threads;
//   4. on SIGTERM/SIGINT: stop accepting and stop claiming deliveries and
//      inbox jobs, drain in-flight requests, deliveries and activities being
//      applied up to http.drain_timeout, stop the
//      pool, stop the embedded PostgreSQL, exit 0.
//
// Objects are declared in the order their lifetimes need (see the comments
// in http/server.hpp): what connection frames use outlives the io_context.
#include "kith/app/serve.hpp"

#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <atomic>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <csignal>
#include <thread>

#include "kith/ap/delivery.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/inbox_worker.hpp"
#include "kith/ap/routes.hpp"
#include "kith/api/login_throttle.hpp"
#include "kith/api/moderation.hpp"
#include "kith/api/routes.hpp"
#include "kith/api/scheduled_status_worker.hpp"
#include "kith/api/streaming.hpp"
#include "kith/api/web_push.hpp"
#include "kith/app/database.hpp"
#include "kith/app/ops_routes.hpp"
#include "kith/app/systemd.hpp"
#include "kith/core/lru_cache.hpp"
#include "kith/core/process_stats.hpp"
#include "kith/http/client.hpp"
#include "kith/http/server.hpp"
#include "kith/mod/engine.hpp"
#include "kith/web/routes.hpp"

namespace kith::app {
namespace {

// How long start-up waits for an external PostgreSQL that is still booting.
constexpr int kDatabaseWaitSeconds = 30;

// Each connection is a file descriptor; the default soft limit (1024) would
// cap kith far below http.max_connections.
void raise_file_limit() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    setrlimit(RLIMIT_NOFILE, &limit);
  }
}

void register_gauges(core::MetricsRegistry& metrics, db::Pool& pool, core::MemoryBudget& budget) {
  metrics.gauge("kith_process_resident_memory_bytes", "Resident memory now (VmRSS)", [] {
    auto usage = core::read_memory_usage();
    return std::vector<core::GaugeSample>{{{}, usage ? double(usage->rss_bytes) : 0}};
  });
  metrics.gauge("kith_process_resident_memory_peak_bytes", "Peak resident memory (VmHWM)", [] {
    auto usage = core::read_memory_usage();
    return std::vector<core::GaugeSample>{{{}, usage ? double(usage->peak_bytes) : 0}};
  });
  metrics.gauge("kith_db_pool_connections", "Database connections the pool keeps", [&pool] {
    return std::vector<core::GaugeSample>{{{}, double(pool.size())}};
  });
  metrics.gauge("kith_db_pool_connected", "Pool connections that are up", [&pool] {
    return std::vector<core::GaugeSample>{{{}, double(pool.connected())}};
  });
  metrics.gauge("kith_db_pool_in_use", "Pool connections running a query", [&pool] {
    return std::vector<core::GaugeSample>{{{}, double(pool.in_use())}};
  });
  metrics.gauge("kith_db_pool_waiting", "Queries waiting for a pool connection", [&pool] {
    return std::vector<core::GaugeSample>{{{}, double(pool.waiting())}};
  });
  metrics.gauge("kith_memory_budget_bytes", "The configured memory budget for caches", [&budget] {
    return std::vector<core::GaugeSample>{{{}, double(budget.limit())}};
  });
  metrics.gauge("kith_memory_budget_used_bytes", "Bytes held by all caches", [&budget] {
    return std::vector<core::GaugeSample>{{{}, double(budget.used())}};
  });
  metrics.gauge("kith_cache_bytes", "Bytes held by each cache", [&budget] {
    std::vector<core::GaugeSample> samples;
    for (auto& [name, bytes] : budget.usage())
      samples.push_back({{{"cache", name}}, double(bytes)});
    return samples;
  });
}

// Until the event loop takes over the signals, SIGTERM and SIGINT only set
// this flag, so that a stop during initdb or migrations still ends with the
// embedded PostgreSQL stopped in order.
volatile std::sig_atomic_t stop_requested = 0;
extern "C" void request_stop(int) {
  stop_requested = 1;
}

// Pings the systemd watchdog from the event loop, so that a stuck loop
// stops the pings and systemd restarts the service.
void start_watchdog(boost::asio::io_context& io, boost::asio::steady_timer& timer,
                    std::chrono::microseconds interval) {
  timer.expires_after(interval);
  timer.async_wait([&io, &timer, interval](boost::system::error_code ec) {
    if (ec) return;
    notify_systemd("WATCHDOG=1");
    start_watchdog(io, timer, interval);
  });
}

}  // namespace

int serve(const core::Config& config) {
  raise_file_limit();
  std::signal(SIGTERM, request_stop);
  std::signal(SIGINT, request_stop);
  std::signal(SIGHUP, SIG_IGN);  // there is no configuration reload; restart instead
  Database database = open_database(config);
  db::MigrationReport report = migrate(database.connection_string, kDatabaseWaitSeconds);
  spdlog::info("database schema at version {} ({} migration(s) applied now)",
               report.current_version, report.applied.size());
  if (stop_requested) {
    spdlog::info("stopped during start-up");
    return 0;  // `database` stops the embedded PostgreSQL on the way out
  }

  core::MetricsRegistry metrics;
  core::MemoryBudget budget(config.memory_budget);
  db::PoolOptions pool_options;
  pool_options.connection_string = database.connection_string;
  pool_options.size = config.database.pool_size;
  pool_options.acquire_timeout = config.database.acquire_timeout;
  auto pool = std::make_unique<db::Pool>(pool_options);
  register_gauges(metrics, *pool, budget);

  // The one outgoing HTTP client; requests in flight keep what they use.
  // Then what fetches through it: documents (signed by the instance actor)
  // and remote actors with their keys.
  http::Client client(http::client_options_from_config(config));
  // A refused address opens no connection: the SSRF cases of the bad-input
  // corpus prove it with this counter.
  metrics.gauge("kith_http_client_connection_attempts",
                "TCP connections the outgoing client has tried to open since start", [&client] {
                  return std::vector<core::GaugeSample>{{{}, double(client.connection_attempts())}};
                });
  ap::Fetcher fetcher(client, *pool, config.host);
  ap::RemoteActors actors(fetcher, *pool, config.host);

  // The routes wake the workers after committing jobs. The workers are made
  // after the io_context they run on (below), so the hooks go through
  // pointers that are set before the server accepts its first request.
  std::atomic<ap::DeliveryQueue*> delivery_queue{nullptr};
  auto wake_delivery = [&delivery_queue] {
    if (ap::DeliveryQueue* queue = delivery_queue.load()) queue->wake();
  };
  std::atomic<ap::InboxWorker*> inbox_worker{nullptr};
  auto wake_inbox = [&inbox_worker] {
    if (ap::InboxWorker* worker = inbox_worker.load()) worker->wake();
  };

  http::Router router;
  add_ops_routes(router, *pool, metrics);
  auto ap_routes = ap::add_ap_routes(router, ap::ApContext{config, *pool, budget, client, fetcher,
                                                           actors, wake_inbox, wake_delivery});
  // The streaming hub: open streams, fed by its own LISTEN connection once
  // started below (it lives as long as the routes that reach it).
  auto streaming_hub = api::make_streaming_hub(*pool, config.host);
  // The community moderation engine: fed from the database and from each
  // new signal by the api module's moderation service.
  mod::Engine moderation;
  auto api_routes =
      api::add_api_routes(router, api::ApiContext{config, *pool, budget, fetcher, actors,
                                                  wake_delivery, streaming_hub.get(), &moderation});
  auto web_routes = web::add_web_routes(
      router, web::WebContext{config, *pool, api::login_throttle(*api_routes), &moderation});
  // The route table, for operators and for test_api_coverage, which checks
  // docs/API.md against it.
  for (const auto& [method, pattern] : router.routes())
    spdlog::debug("route {} {}", method, pattern);

  const unsigned threads = config.http.threads;
  boost::asio::io_context io(static_cast<int>(threads));
  http::ServerOptions server_options{config.listen_address,       config.listen_port,
                                     config.http.max_connections, config.http.header_timeout,
                                     config.http.body_timeout,    config.http.idle_timeout,
                                     config.http.drain_timeout,   config.http.trust_proxy};
  http::Server server(io, server_options, router, metrics);
  // The delivery workers. Their strand and timers belong to `io`, so they
  // are declared after it; their coroutines never resume once it stopped.
  ap::DeliveryQueue delivery(*pool, client, metrics,
                             ap::delivery_options_from_config(config, client.options()));
  delivery_queue.store(&delivery);
  // The inbox workers: other servers' activities, applied (same lifetime rule).
  ap::InboxWorker inbox(*pool, fetcher, actors, metrics, ap::inbox_options_from_config(config),
                        wake_delivery);
  inbox_worker.store(&inbox);
  // Web Push messages for new notifications (same lifetime rule).
  api::WebPushWorker web_push(*pool, client, metrics, api::WebPushOptions{.host = config.host});
  // Scheduled statuses, posted when due (same lifetime rule).
  api::ScheduledStatusWorker scheduled(
      api::ApiContext{config, *pool, budget, fetcher, actors, wake_delivery});
  server.start();
  spdlog::info("kith {} listening on {}:{} as https://{}", KITH_VERSION, config.listen_address,
               server.bound_port(), config.host);
  delivery.start(io.get_executor());
  inbox.start(io.get_executor());
  web_push.start(io.get_executor());
  scheduled.start(io.get_executor());
  api::start_streaming_hub(*streaming_hub, io.get_executor(), database.connection_string);
  api::start_moderation_service(*api_routes, database.connection_string, metrics);

  auto shut_down = [&](int signal) {
    spdlog::info("signal {}: draining connections (up to {} ms)", signal,
                 config.http.drain_timeout.count());
    notify_systemd("STOPPING=1");
    // The I/O threads stop once the server, the deliveries, the inbox
    // workers and the web push worker are all done.
    auto pending = std::make_shared<std::atomic<int>>(5);
    auto one_done = [&io, pending] {
      if (--*pending == 0) io.stop();
    };
    server.begin_shutdown(one_done);
    delivery.begin_shutdown(config.http.drain_timeout, one_done);
    inbox.begin_shutdown(config.http.drain_timeout, one_done);
    web_push.begin_shutdown(config.http.drain_timeout, one_done);
    scheduled.begin_shutdown(one_done);
  };
  boost::asio::signal_set signals(io, SIGTERM, SIGINT);
  signals.async_wait([&](boost::system::error_code ec, int signal) {
    if (!ec) shut_down(signal);
  });
  // A signal that came before the signal_set took over.
  if (stop_requested) shut_down(SIGTERM);
  boost::asio::steady_timer watchdog(io);
  if (auto interval = watchdog_interval()) start_watchdog(io, watchdog, *interval);
  notify_systemd("READY=1");

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < threads; ++i) workers.emplace_back([&io] { io.run(); });
  io.run();
  for (auto& worker : workers) worker.join();

  // The listener and the pool's threads post to the io_context, so they
  // stop first.
  api::stop_streaming_hub(*streaming_hub);
  api::stop_moderation_service(*api_routes);
  pool.reset();
  if (database.embedded) database.embedded->stop();
  spdlog::info("stopped");
  return 0;
}

}  // namespace kith::app
