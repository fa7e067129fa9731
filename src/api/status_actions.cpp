// (being written) the status actions endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_status_action_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
