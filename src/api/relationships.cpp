// (being written) the relationships endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_relationship_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
