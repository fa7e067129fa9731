// (being written) the push endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_push_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
