// kith::ap — ActivityPub: how other servers find kith's accounts and read
// what they publish (this header: discovery, actors, objects, collections),
// and later how they deliver to it (inbox) and how kith delivers to them.
//
// Everything here answers strangers: any server, crawler or browser may ask,
// and nobody is signed in. The one idea: every answer is built from the
// database through the same two gates, the Accept header
// (content_negotiation.hpp: ActivityStreams to servers, HTML to browsers)
// and the visibility rule (visibility.hpp: only what may be fetched), so a
// new route cannot serve more than an old one. Handlers are thin: check the
// input, one pool job, convert (to_activitystreams.hpp) and write. What this
// module must never do: serve a private, direct or local-only status, or a
// collection that lists one, to a request that has not proved who it is;
// let a response that could differ by signer be cached publicly; or show a
// private key.
//
// The URL scheme is in local_urls.hpp. Responses: ActivityStreams JSON as
// application/activity+json (or the ld+json form, whichever the client
// asked for), JRD for WebFinger, XRD for host-meta, NodeInfo JSON; every
// error is a JSON body {"error": "..."} with Cache-Control: no-store.
#pragma once

#include <functional>
#include <memory>

#include "kith/core/config.hpp"
#include "kith/core/memory_budget.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/router.hpp"

namespace kith::http {
class Client;
}

namespace kith::ap {

class Fetcher;
class RemoteActors;

struct ApContext {
  const core::Config& config;
  db::Pool& pool;
  core::MemoryBudget& budget;
  http::Client& client;
  Fetcher& fetcher;      // fetcher.hpp: documents from other servers
  RemoteActors& actors;  // fetcher.hpp: remote accounts and their keys
  // Jobs were just committed: the inbox worker / the delivery queue should
  // look now rather than at their next poll. Never empty (a no-op at worst);
  // called from handlers, so they must be quick and thread-safe.
  std::function<void()> wake_inbox;
  std::function<void()> wake_delivery;
};

// Registers the read-only federation routes:
//   GET /.well-known/webfinger, /.well-known/host-meta,
//       /.well-known/host-meta.json, /.well-known/nodeinfo,
//       /nodeinfo/2.0, /nodeinfo/2.1
//   GET /actor, /actor/outbox                  (the instance actor)
//   GET /users/:name, /@:name                  (actor or profile page)
//   GET /users/:name/outbox, /followers, /following, /collections/featured
//   GET /users/:name/statuses/:id, /@:name/:id (Note or status page)
//   GET /users/:name/statuses/:id/activity     (its Create)
//   POST /inbox, /users/:name/inbox, /actor/inbox  (inbox.hpp: verified,
//                                               queued, 202)
// The GETs of statuses, activities and collections verify an HTTP Signature
// when there is one (signed fetch: visibility.hpp says what a signer may
// see) and, with federation.authorized_fetch, require one.
// The returned object owns the caches the routes use; keep it alive as long
// as the router. Throws core::ConfigError if config.host cannot be
// normalised as a host[:port].
struct ApRoutes;
std::shared_ptr<ApRoutes> add_ap_routes(http::Router& router, ApContext context);

}  // namespace kith::ap
