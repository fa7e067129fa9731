// (being written) the conversations endpoints of the client API.
#include "routes_internal.hpp"

namespace kith::api {

void add_conversation_routes(http::Router& /*router*/, ApiRoutes& /*routes*/) {}

}  // namespace kith::api
