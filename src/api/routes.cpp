// The api module's routes, registered in one place so the whole surface can
// be read at a glance.
#include "routes_internal.hpp"

namespace kith::api {

std::shared_ptr<ApiRoutes> add_api_routes(http::Router& router, ApiContext context) {
  auto routes = std::make_shared<ApiRoutes>(context);
  router.add("GET", "/api/v1/instance", instance_handler(*routes));
  router.add("POST", "/api/v1/apps", create_app_handler(*routes), http::kDefaultBodyLimit);
  return routes;
}

}  // namespace kith::api
