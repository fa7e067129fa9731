// (being written) the media endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_media_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
