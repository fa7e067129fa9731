// (being written) the polls endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_poll_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
