// (being written) the markers endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_marker_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
