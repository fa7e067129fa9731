// (being written) the scheduled statuses endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_scheduled_status_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
