// Health, readiness and metrics. Readiness runs a real query through the
// pool, so it fails exactly when user requests would, and recovers when they
// would.
#include "kith/app/ops_routes.hpp"

#include <pqxx/pqxx>

#include "kith/core/errors.hpp"

namespace kith::app {

void add_ops_routes(http::Router& router, db::Pool& pool, core::MetricsRegistry& metrics) {
  router.add("GET", "/healthz", [](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return http::json_response(200, R"({"status":"ok"})");
  });

  router.add("GET", "/readyz", [&pool](http::Request&) -> boost::asio::awaitable<http::Response> {
    bool ready = false;
    try {
      ready = co_await pool.run([](pqxx::connection& c) {
        pqxx::nontransaction tx(c);
        return tx.exec1("SELECT 1")[0].as<int>() == 1;
      });
    } catch (const std::exception&) {
      ready = false;
    }
    if (ready) co_return http::json_response(200, R"({"status":"ready"})");
    http::Response response = http::error_response(503, "database unavailable");
    response.set_header("Retry-After", "5");
    co_return response;
  });

  router.add(
      "GET", "/metrics", [&metrics](http::Request&) -> boost::asio::awaitable<http::Response> {
        http::Response response =
            http::text_response(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
        response.set_header("Cache-Control", "no-store");
        co_return response;
      });
}

}  // namespace kith::app
