// The streaming hub: every open stream of this daemon (WebSockets with
// their subscriptions, event streams), fed by database notifications.
//
// One idea: events come from PostgreSQL, never from the code that made
// them. Triggers (migration 0006) NOTIFY `kith_stream` with an event name
// and ids when a status, notification, conversation or filter changes,
// whoever wrote it (this daemon's API or inbox worker, or another daemon);
// the hub's own LISTEN connection (db/stream_listener.hpp) receives them,
// and for each batch one pool job decides who gets what and renders the
// entity for each subscriber as that subscriber would see it through the
// API. What it must never do: send a status to someone who may not see it,
// let a slow client grow memory without bound, or render on an I/O thread.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <memory>
#include <string>

#include "kith/db/pool.hpp"

namespace kith::api {

class StreamingHub;

// Made before the routes (ApiContext::streaming points to it) and
// destroyed after the io_context.
std::shared_ptr<StreamingHub> make_streaming_hub(db::Pool& pool, std::string host);
// Starts listening (its own database connection to `connection_string`)
// and dispatching on `executor`.
void start_streaming_hub(StreamingHub& hub, boost::asio::any_io_executor executor,
                         std::string connection_string);
// Stops listening; call after the I/O threads stopped, before the pool goes.
void stop_streaming_hub(StreamingHub& hub);

}  // namespace kith::api
