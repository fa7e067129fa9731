// The ap module's routes, registered in one place so that the whole
// federation surface can be read at a glance, and the response helpers they
// share.
#include <fmt/format.h>

#include "kith/ap/acct.hpp"
#include "kith/ap/inbox.hpp"
#include "kith/core/config.hpp"
#include "routes_internal.hpp"

namespace kith::ap {

http::Response error(int status, std::string_view message) {
  http::Response response = http::error_response(status, message);
  response.set_header("Cache-Control", "no-store");
  return response;
}

http::Response not_found() {
  return error(404, "not found");
}

http::Response not_acceptable() {
  http::Response response =
      error(406,
            "acceptable types here: application/activity+json, application/ld+json; "
            "profile=\"https://www.w3.org/ns/activitystreams\"");
  response.set_header("Vary", "Accept");
  return response;
}

void cache_publicly(http::Response& response, std::chrono::seconds max_age) {
  response.set_header("Cache-Control", fmt::format("public, max-age={}", max_age.count()));
}

void cache_privately(http::Response& response) {
  response.set_header("Cache-Control", "private");
}

http::Response activity_streams_response(std::string body, Representation representation) {
  return http::text_response(200, std::move(body),
                             std::string(content_type(representation == Representation::html
                                                          ? Representation::activity_json
                                                          : representation)));
}

std::optional<std::string> accept_header(const http::Request& request) {
  std::optional<std::string> joined;
  for (const http::Header& header : request.headers) {
    if (!http::iequals(header.name, "Accept")) continue;
    if (joined) {
      *joined += ", ";
      *joined += header.value;
    } else {
      joined = header.value;
    }
  }
  return joined;
}

std::optional<http::Response> account_refusal(const std::optional<db::LocalAccount>& account) {
  // Suspended: 410 Gone, as Mastodon answers for a permanently suspended
  // account, so that servers which cached the actor learn to drop it.
  // Disabled (the user may not sign in, an operator's decision about a
  // login, not about the account's content) and unknown: 404, the same
  // answer, so that neither is told apart from a name never taken.
  if (!account || account->disabled) return not_found();
  if (account->suspended) return error(410, "gone");
  return std::nullopt;
}

std::shared_ptr<ApRoutes> add_ap_routes(http::Router& router, ApContext context) {
  AuthorityResult host = normalize_authority(context.config.host);
  if (!host)
    throw core::ConfigError(
        fmt::format("host: \"{}\" is not a host name or address with an "
                    "optional port ({})",
                    context.config.host, describe(host.error)));
  auto routes = std::make_shared<ApRoutes>(context, std::move(host.authority));
  ApRoutes& r = *routes;

  router.add("GET", "/.well-known/webfinger", webfinger_handler(r));
  router.add("GET", "/.well-known/host-meta", host_meta_handler(r));
  router.add("GET", "/.well-known/host-meta.json", host_meta_json_handler(r));
  router.add("GET", "/.well-known/nodeinfo", nodeinfo_discovery_handler(r));
  router.add("GET", "/nodeinfo/2.0", nodeinfo_handler(r, "2.0"));
  router.add("GET", "/nodeinfo/2.1", nodeinfo_handler(r, "2.1"));

  router.add("GET", "/actor", instance_actor_handler(r));
  router.add("GET", "/actor/outbox", instance_actor_outbox_handler(r));

  router.add("GET", "/users/:name", actor_handler(r));
  router.add("GET", "/@:name", actor_handler(r));
  router.add("GET", "/users/:name/outbox", outbox_handler(r));
  router.add("GET", "/users/:name/followers", followers_handler(r));
  router.add("GET", "/users/:name/following", following_handler(r));
  router.add("GET", "/users/:name/collections/featured", featured_handler(r));
  router.add("GET", "/users/:name/statuses/:id", status_handler(r));
  router.add("GET", "/@:name/:id", status_handler(r));
  router.add("GET", "/users/:name/statuses/:id/activity", status_activity_handler(r));

  // The inbox (inbox_routes.cpp): verified, stored as a job, answered 202.
  router.add("POST", "/inbox", inbox_handler(r, InboxKind::shared), kMaxInboxBodyBytes);
  router.add("POST", "/users/:name/inbox", inbox_handler(r, InboxKind::user), kMaxInboxBodyBytes);
  router.add("POST", "/actor/inbox", inbox_handler(r, InboxKind::instance_actor),
             kMaxInboxBodyBytes);
  return routes;
}

}  // namespace kith::ap
