// kith::api — the Mastodon client API. Clients people already use (Tusky,
// Ivory, Elk, Phanpy, toot, Mastodon.py) talk to kith through it, so each
// entity follows the Mastodon API documentation field by field. Handlers are
// thin: parse, call the database layer or a service, map the result.
#pragma once

#include <functional>

#include "kith/core/config.hpp"
#include "kith/core/memory_budget.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/router.hpp"

namespace kith::ap {
class Fetcher;
class RemoteActors;
}  // namespace kith::ap

namespace kith::mod {
class Engine;  // mod/engine.hpp
}  // namespace kith::mod

namespace kith::api {

class StreamingHub;  // streaming.hpp

struct ApiContext {
  const core::Config& config;
  db::Pool& pool;
  core::MemoryBudget& budget;
  ap::Fetcher& fetcher;      // ap/fetcher.hpp: documents from other servers
  ap::RemoteActors& actors;  // ap/fetcher.hpp: remote accounts (by uri, acct:)
  // Delivery jobs were just committed: tell the delivery queue to look now.
  // Never empty; quick and thread-safe.
  std::function<void()> wake_delivery;
  // The open streams (WebSocket and event streams) of this daemon; null
  // where nothing streams (the streaming routes then answer 503).
  StreamingHub* streaming = nullptr;
  // The community moderation engine (mod/engine.hpp); null where there is
  // none (then no verdicts apply and the moderation routes answer 503).
  mod::Engine* moderation = nullptr;
};

// GET /api/v1/instance (also with a trailing slash), POST /api/v1/apps.
// The returned object owns caches the routes use; keep it alive as long as
// the router.
struct ApiRoutes;
std::shared_ptr<ApiRoutes> add_api_routes(http::Router& router, ApiContext context);

}  // namespace kith::api
