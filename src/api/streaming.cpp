// (being written) the streaming endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_streaming_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
