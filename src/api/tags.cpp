// (being written) the tags endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_tag_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
