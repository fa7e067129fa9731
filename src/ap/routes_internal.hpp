// Shared between the ap module's route files; not part of its interface.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "kith/ap/content_negotiation.hpp"
#include "kith/ap/routes.hpp"
#include "kith/ap/signature_verifier.hpp"
#include "kith/ap/visibility.hpp"
#include "kith/core/lru_cache.hpp"
#include "kith/db/accounts.hpp"

namespace kith::ap {

// How long shared caches (and other servers) may keep what kith serves.
// Short: a profile edit or a deleted status should show within minutes.
inline constexpr auto kDiscoveryMaxAge = std::chrono::seconds(300);  // WebFinger, host-meta
inline constexpr auto kNodeInfoMaxAge = std::chrono::seconds(300);
inline constexpr auto kActorMaxAge = std::chrono::seconds(180);
inline constexpr auto kInstanceActorMaxAge = std::chrono::seconds(600);
inline constexpr auto kStatusMaxAge = std::chrono::seconds(180);
inline constexpr auto kCollectionMaxAge = std::chrono::seconds(60);

// Items per collection page.
inline constexpr std::size_t kOutboxPageSize = 20;
inline constexpr std::size_t kFollowsPageSize = 40;

// A rendered document and when it stops being fresh.
struct CachedDocument {
  std::string body;
  std::chrono::steady_clock::time_point expires;
};

struct ApRoutes {
  ApRoutes(ApContext ctx, std::string normal_host)
      : context(ctx),
        host(ctx.config.host),
        normalized_host(std::move(normal_host)),
        verifier(ctx.actors, normalized_host),
        documents(ctx.budget, "ap_documents", [](const std::string& key, const CachedDocument& d) {
          return key.size() + d.body.size() + sizeof(CachedDocument);
        }) {}

  ApContext context;
  std::string host;             // as configured: what URLs are built on
  std::string normalized_host;  // normalize_authority(host): what handles are compared with
  SignatureVerifier verifier;   // inbox POSTs and signed GETs
  core::LruCache<std::string, CachedDocument> documents;
};

// --- responses -------------------------------------------------------------

// {"error": message}, never cached.
http::Response error(int status, std::string_view message);
http::Response not_found();
// 406 for a URL whose representations the client accepts none of.
http::Response not_acceptable();

// Cache-Control: public, max-age=N.
void cache_publicly(http::Response& response, std::chrono::seconds max_age);
// Cache-Control: private: the response depends on who asked.
void cache_privately(http::Response& response);

// A serialised ActivityStreams document with the Content-Type of the
// representation the client chose.
http::Response activity_streams_response(std::string body, Representation representation);

// Every Accept field of the request joined into one value (RFC 9110 5.3),
// or nullopt when there is none.
std::optional<std::string> accept_header(const http::Request& request);

// --- accounts ----------------------------------------------------------------

// The response for a local account that may not be shown (404 unknown or
// disabled, 410 suspended), or nullopt when it may.
std::optional<http::Response> account_refusal(const std::optional<db::LocalAccount>& account);

// --- signed fetch --------------------------------------------------------------

// Who signed a GET (signed_fetch.cpp). Without a signature: anonymous, or a
// 401 when federation.authorized_fetch is on and the route is not exempt
// (the actor documents, which keys are fetched from). With one that fails
// to verify: anonymous, as Mastodon treats it, or a 401 under authorized
// fetch.
struct GetSigner {
  std::optional<http::Response> refusal;  // answer this instead
  std::optional<FetchSigner> signer;      // nullopt: anonymous
  const FetchSigner* get() const { return signer ? &*signer : nullptr; }
};
enum class AuthorizedFetch { required, exempt };
boost::asio::awaitable<GetSigner> get_signer(ApRoutes& routes, const http::Request& request,
                                             AuthorizedFetch rule);

// Cache-Control and Vary for a response that may depend on the signer:
// public for `max_age` when nothing about it can (no signer and authorized
// fetch off), else private; always Vary: Accept, Signature.
void cache_for_signer(ApRoutes& routes, http::Response& response, const FetchSigner* signer,
                      std::chrono::seconds max_age);

// --- handlers ----------------------------------------------------------------
//
// A closure written inside `co_await pool.run(...)` captures by reference
// only (the handler's locals live in its coroutine frame until the job is
// done): GCC 12 destroys the by-value captures of such a lambda twice (a
// double free that took the daemon down in testing); scripts/check-coawait-
// lambdas refuses them.

http::Handler webfinger_handler(ApRoutes& routes);
http::Handler host_meta_handler(ApRoutes& routes);
http::Handler host_meta_json_handler(ApRoutes& routes);
http::Handler nodeinfo_discovery_handler(ApRoutes& routes);
http::Handler nodeinfo_handler(ApRoutes& routes, std::string version);

http::Handler instance_actor_handler(ApRoutes& routes);
http::Handler instance_actor_outbox_handler(ApRoutes& routes);
http::Handler actor_handler(ApRoutes& routes);

http::Handler outbox_handler(ApRoutes& routes);
http::Handler followers_handler(ApRoutes& routes);
http::Handler following_handler(ApRoutes& routes);
http::Handler featured_handler(ApRoutes& routes);

http::Handler status_handler(ApRoutes& routes);

// POST /inbox, /users/:name/inbox, /actor/inbox (inbox_routes.cpp).
enum class InboxKind { shared, user, instance_actor };
http::Handler inbox_handler(ApRoutes& routes, InboxKind kind);
http::Handler status_activity_handler(ApRoutes& routes);

}  // namespace kith::ap
