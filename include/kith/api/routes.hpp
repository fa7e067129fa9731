// kith::api — the Mastodon client API. Clients people already use (Tusky,
// Ivory, Elk, Phanpy, toot, Mastodon.py) talk to kith through it, so each
// entity follows the Mastodon API documentation field by field. Handlers are
// thin: parse, call the database layer or a service, map the result.
#pragma once

#include "kith/core/config.hpp"
#include "kith/core/memory_budget.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/router.hpp"

namespace kith::api {

struct ApiContext {
  const core::Config& config;
  db::Pool& pool;
  core::MemoryBudget& budget;
};

// GET /api/v1/instance (also with a trailing slash), POST /api/v1/apps.
// The returned object owns caches the routes use; keep it alive as long as
// the router.
struct ApiRoutes;
std::shared_ptr<ApiRoutes> add_api_routes(http::Router& router, ApiContext context);

}  // namespace kith::api
