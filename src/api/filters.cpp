// (being written) the filters endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_filter_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
