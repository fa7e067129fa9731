// Operational routes for the operator's tooling, not for users:
//   GET /healthz  the process is alive and its event loop answers (200)
//   GET /readyz   the database answers too (200), else 503 with Retry-After
//   GET /metrics  Prometheus text format (restrict it at the reverse proxy)
#pragma once

#include "kith/core/metrics.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/router.hpp"

namespace kith::app {

void add_ops_routes(http::Router& router, db::Pool& pool, core::MetricsRegistry& metrics);

}  // namespace kith::app
