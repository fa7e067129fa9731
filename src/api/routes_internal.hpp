// Shared between the api module's source files; not part of its interface.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

#include "kith/api/login_throttle.hpp"
#include "kith/api/routes.hpp"
#include "kith/core/lru_cache.hpp"
#include "kith/core/rate_limiter.hpp"

namespace kith::api {

// A rendered JSON document and when it stops being fresh.
struct CachedDocument {
  std::string body;
  std::chrono::steady_clock::time_point expires;
};

// Idempotency-Key of POST /api/v1/statuses: a retried request within an
// hour answers the status the first one made instead of posting twice.
// Kept in memory, per daemon (a retry that reaches another daemon behind
// a load balancer is not recognised), at most kMaxIdempotencyKeys.
class IdempotencyKeys {
 public:
  static constexpr std::size_t kMaxIdempotencyKeys = 10000;
  static constexpr std::size_t kMaxKeyLength = 256;
  static constexpr std::chrono::hours kLifetime{1};
  std::optional<std::int64_t> find(std::int64_t account_id, const std::string& key);
  void remember(std::int64_t account_id, const std::string& key, std::int64_t status_id);

 private:
  std::mutex mutex_;
  std::map<std::pair<std::int64_t, std::string>,
           std::pair<std::int64_t, std::chrono::steady_clock::time_point>>
      entries_;
};

class ModerationService;  // moderation_service.hpp

struct ApiRoutes {
  explicit ApiRoutes(ApiContext ctx)
      : context(ctx),
        documents(ctx.budget, "api_documents",
                  [](const std::string& key, const CachedDocument& d) {
                    return key.size() + d.body.size() + sizeof(CachedDocument);
                  }),
        token_accounts(ctx.budget, "api_token_accounts",
                       [](const std::string& key, std::int64_t) { return key.size() + 8; }) {}
  ApiContext context;
  core::LruCache<std::string, CachedDocument> documents;
  IdempotencyKeys idempotency;
  // Rate limits (rate_limits.cpp): counts per account or IP, and the
  // account behind each token seen (SHA-256 of the token -> account id).
  core::RateLimiter rate_limiter{std::chrono::minutes(5)};
  core::LruCache<std::string, std::int64_t> token_accounts;
  LoginThrottle login_throttle;  // failed sign-ins: oauth.cpp and the web pages
  // Feeds ApiContext::moderation; set by start_moderation_service() before
  // the I/O threads run, null until then and in tests without it.
  std::shared_ptr<ModerationService> moderation_service;
};

extern const char* const kMastodonVersion;

http::Handler instance_handler(ApiRoutes& routes);
http::Handler instance_v2_handler(ApiRoutes& routes);
http::Handler create_app_handler(ApiRoutes& routes);
http::Handler verify_app_handler(ApiRoutes& routes);  // apps.cpp

// oauth.cpp
http::Handler token_handler(ApiRoutes& routes);
http::Handler revoke_handler(ApiRoutes& routes);
http::Handler oauth_metadata_handler(ApiRoutes& routes);  // RFC 8414

// Each file registers its resource's routes.
void add_status_routes(http::Router& router, ApiRoutes& routes);         // statuses.cpp
void add_account_routes(http::Router& router, ApiRoutes& routes);        // accounts.cpp
void add_follow_routes(http::Router& router, ApiRoutes& routes);         // follows.cpp
void add_timeline_routes(http::Router& router, ApiRoutes& routes);       // timelines.cpp
void add_report_routes(http::Router& router, ApiRoutes& routes);         // reports.cpp
void add_search_routes(http::Router& router, ApiRoutes& routes);         // search.cpp
void add_account_move_routes(http::Router& router, ApiRoutes& routes);   // account_moves.cpp
void add_media_routes(http::Router& router, ApiRoutes& routes);          // media.cpp
void add_notification_routes(http::Router& router, ApiRoutes& routes);   // notifications.cpp
void add_marker_routes(http::Router& router, ApiRoutes& routes);         // markers.cpp
void add_conversation_routes(http::Router& router, ApiRoutes& routes);   // conversations.cpp
void add_poll_routes(http::Router& router, ApiRoutes& routes);           // polls.cpp
void add_relationship_routes(http::Router& router, ApiRoutes& routes);   // relationships.cpp
void add_preference_routes(http::Router& router, ApiRoutes& routes);     // preferences.cpp
void add_status_action_routes(http::Router& router, ApiRoutes& routes);  // status_actions.cpp
void add_scheduled_status_routes(http::Router& router,
                                 ApiRoutes& routes);                   // scheduled_statuses.cpp
void add_list_routes(http::Router& router, ApiRoutes& routes);         // lists.cpp
void add_filter_routes(http::Router& router, ApiRoutes& routes);       // filters.cpp
void add_tag_routes(http::Router& router, ApiRoutes& routes);          // tags.cpp
void add_placeholder_routes(http::Router& router, ApiRoutes& routes);  // placeholders.cpp
void add_streaming_routes(http::Router& router, ApiRoutes& routes);    // streaming.cpp
void add_push_routes(http::Router& router, ApiRoutes& routes);         // push.cpp
void add_moderation_admin_routes(http::Router& router,
                                 ApiRoutes& routes);  // moderation_admin.cpp
void add_moderation_user_routes(http::Router& router,
                                ApiRoutes& routes);  // moderation_preferences.cpp

// Wraps every /api/ and /oauth/ route registered so far in the rate limits
// (rate_limits.cpp).
void add_rate_limits(http::Router& router, ApiRoutes& routes);

// The bearer token of a request: the Authorization header's, or the
// access_token query parameter (as streaming clients send it); "" for
// another scheme, nullopt without one (client_support.cpp).
std::optional<std::string> bearer_token(const http::Request& request);
// Longest bearer token looked up (ours are 43 characters); anything longer
// is refused without a query.
inline constexpr std::size_t kMaxTokenLength = 512;

}  // namespace kith::api
