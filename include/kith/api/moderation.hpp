// The daemon's side of community moderation (issue 5): the service that
// feeds the engine (ApiContext::moderation) from PostgreSQL at start and
// from every new signal afterwards, refits it in the background and keeps
// what it decides (api/moderation_service.hpp says how).
//
// serve.cpp starts it once the routes exist (before the I/O threads run)
// and stops it after they stopped, before the pool goes. Without a start
// (tests, workers) handlers still record into the engine directly; nothing
// is persisted or refitted.
#pragma once

#include <string>

#include "kith/core/metrics.hpp"

namespace kith::api {

struct ApiRoutes;

// Starts loading the engine in the background (it never blocks the caller
// for longer than opening a thread), listens for new signals on its own
// database connection to `connection_string`, and registers the
// kith_moderation_* gauges on `metrics`. Does nothing when the routes have
// no engine.
void start_moderation_service(ApiRoutes& routes, std::string connection_string,
                              core::MetricsRegistry& metrics);
// Stops listening and refitting, writes the exposures still buffered (best
// effort, bounded by the connection timeout) and joins the threads.
// Idempotent.
void stop_moderation_service(ApiRoutes& routes);

}  // namespace kith::api
