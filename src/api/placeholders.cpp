// (being written) the placeholders endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_placeholder_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
