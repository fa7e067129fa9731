// (being written) the notifications endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_notification_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
