// (being written) the preferences endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_preference_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
