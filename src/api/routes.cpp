// The api module's routes: OAuth and the small endpoints here, then each
// resource's file (accounts.cpp, statuses.cpp, lists.cpp, ...) registers
// its own, listed at the end of that file.
#include "moderation_service.hpp"
#include "routes_internal.hpp"
#include "streaming_hub.hpp"

namespace kith::api {

std::shared_ptr<ApiRoutes> add_api_routes(http::Router& router, ApiContext context) {
  auto routes = std::make_shared<ApiRoutes>(context);
  // Streamed statuses carry the moderation engine's verdicts too, and are
  // exposures of the viewer they are sent to. The hub is stopped before
  // the routes go.
  if (context.streaming != nullptr)
    context.streaming->set_moderation(
        StreamModeration{context.moderation,
                         [api = routes.get()](std::int64_t viewer, const nlohmann::json& status) {
                           record_exposures(*api, viewer, status);
                         }});
  router.add("GET", "/api/v1/instance", instance_handler(*routes));
  router.add("GET", "/api/v2/instance", instance_v2_handler(*routes));
  router.add("POST", "/api/v1/apps", create_app_handler(*routes), http::kDefaultBodyLimit);
  router.add("GET", "/api/v1/apps/verify_credentials", verify_app_handler(*routes));
  router.add("POST", "/oauth/token", token_handler(*routes));
  router.add("POST", "/oauth/revoke", revoke_handler(*routes));
  router.add("GET", "/.well-known/oauth-authorization-server", oauth_metadata_handler(*routes));
  add_account_routes(router, *routes);
  add_account_move_routes(router, *routes);
  add_follow_routes(router, *routes);
  add_status_routes(router, *routes);
  add_timeline_routes(router, *routes);
  add_report_routes(router, *routes);
  add_search_routes(router, *routes);
  add_media_routes(router, *routes);
  add_notification_routes(router, *routes);
  add_marker_routes(router, *routes);
  add_conversation_routes(router, *routes);
  add_poll_routes(router, *routes);
  add_relationship_routes(router, *routes);
  add_preference_routes(router, *routes);
  add_status_action_routes(router, *routes);
  add_scheduled_status_routes(router, *routes);
  add_list_routes(router, *routes);
  add_filter_routes(router, *routes);
  add_tag_routes(router, *routes);
  add_placeholder_routes(router, *routes);
  add_streaming_routes(router, *routes);
  add_push_routes(router, *routes);
  add_moderation_admin_routes(router, *routes);
  add_moderation_user_routes(router, *routes);
  add_rate_limits(router, *routes);  // last: covers every /api/ and /oauth/ route above
  return routes;
}

}  // namespace kith::api
