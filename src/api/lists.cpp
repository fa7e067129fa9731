// (being written) the lists endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_list_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
