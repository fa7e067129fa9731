// Statuses: /users/<name>/statuses/<id> (the Note, or a page for people),
// /@<name>/<id> (the same), and /users/<name>/statuses/<id>/activity (the
// Create that published it).
//
// Whether a status may be served is visibility.hpp's may_fetch and nothing
// else. A status that may not be served is answered exactly like one that
// does not exist (404, never cached), so that a fetch cannot tell a private
// status from a missing one.
#include <charconv>
#include <pqxx/pqxx>

#include "html_pages.hpp"
#include "kith/ap/activity_writer.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/to_activitystreams.hpp"
#include "kith/ap/visibility.hpp"
#include "kith/db/signed_fetch.hpp"
#include "kith/db/statuses.hpp"
#include "routes_internal.hpp"

namespace kith::ap {
namespace {

std::optional<std::int64_t> parse_status_id(std::string_view text) {
  std::int64_t value = 0;
  if (text.empty() || text.size() > 19 ||
      text.find_first_not_of("0123456789") != std::string_view::npos)
    return std::nullopt;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

struct StatusLookup {
  std::optional<db::LocalAccount> account;
  std::optional<db::StatusRecord> status;  // only when it may be fetched
};

// The account and, when the account may be shown and the status may be
// fetched by `signer`, the status.
// `who`'s follows_author is filled in for the status's author.
boost::asio::awaitable<StatusLookup> look_up(ApRoutes& routes, const std::string& name,
                                             std::int64_t id, std::optional<FetchSigner>& who) {
  StatusLookup found = co_await routes.context.pool.run([&](pqxx::connection& c) {
    StatusLookup lookup;
    lookup.account = db::find_local_account(c, name);
    if (!account_refusal(lookup.account)) {
      lookup.status = db::find_local_status(c, lookup.account->id, id);
      // Whether the signer follows the author matters only for a
      // followers-only status: asked only then.
      if (lookup.status && who && lookup.status->visibility == db::Visibility::private_)
        who->follows_author = db::accepted_follower(c, who->account_id, lookup.account->id);
      if (lookup.status && !may_fetch(*lookup.status, who ? &*who : nullptr)) lookup.status.reset();
    }
    return lookup;
  });
  co_return found;
}

}  // namespace

http::Handler status_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_representation(accept_header(request));
    if (!representation) co_return not_acceptable();
    const std::string name = request.params["name"];
    const std::optional<std::int64_t> id = parse_status_id(request.params["id"]);
    http::Response response = not_found();
    // Authorized fetch concerns ActivityStreams: a browser asking for the
    // page is served as ever (and, unsigned, sees public statuses only).
    const AuthorizedFetch rule = *representation == Representation::html
                                     ? AuthorizedFetch::exempt
                                     : AuthorizedFetch::required;
    GetSigner asked = co_await get_signer(routes, request, rule);
    if (asked.refusal) co_return std::move(*asked.refusal);
    if (urls::valid_username(name) && id) {
      StatusLookup found = co_await look_up(routes, name, *id, asked.signer);
      if (auto refusal = account_refusal(found.account)) {
        response = std::move(*refusal);
      } else if (found.status && *representation == Representation::html) {
        response = html_response(render_status_page(*found.account, *found.status, routes.host),
                                 found.status->uri);
        cache_for_signer(routes, response, asked.get(), kStatusMaxAge);
      } else if (found.status) {
        response =
            activity_streams_response(write_object(status_note(*found.status)), *representation);
        cache_for_signer(routes, response, asked.get(), kStatusMaxAge);
      }
    }
    if (!response.header("Vary")) response.set_header("Vary", "Accept, Signature");
    co_return response;
  };
}

http::Handler status_activity_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_activity_streams(accept_header(request));
    if (!representation) co_return not_acceptable();
    const std::string name = request.params["name"];
    const std::optional<std::int64_t> id = parse_status_id(request.params["id"]);
    http::Response response = not_found();
    GetSigner asked = co_await get_signer(routes, request, AuthorizedFetch::required);
    if (asked.refusal) co_return std::move(*asked.refusal);
    if (urls::valid_username(name) && id) {
      StatusLookup found = co_await look_up(routes, name, *id, asked.signer);
      if (auto refusal = account_refusal(found.account)) {
        response = std::move(*refusal);
      } else if (found.status) {
        response = activity_streams_response(write_activity(status_create(*found.status)),
                                             *representation);
        cache_for_signer(routes, response, asked.get(), kStatusMaxAge);
      }
    }
    if (!response.header("Vary")) response.set_header("Vary", "Accept, Signature");
    co_return response;
  };
}

}  // namespace kith::ap
