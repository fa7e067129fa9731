// Actors: each local user at /users/<name> (and /@<name>), and the
// instance actor at /actor.
//
// One URL, two audiences: servers get the actor document, browsers a
// profile page, chosen by the Accept header (content_negotiation.hpp) and
// marked Vary: Accept so that no cache hands one to the other. Compare
// Mastodon's ActivityPub::ActorSerializer and GoToSocial's AccountToAS.
#include <pqxx/pqxx>

#include "collection_documents.hpp"
#include "html_pages.hpp"
#include "kith/ap/activity_writer.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/to_activitystreams.hpp"
#include "kith/db/instance_actor.hpp"
#include "routes_internal.hpp"

namespace kith::ap {
namespace {

// The instance actor's document changes only with the configured host,
// that is never while the daemon runs; it is re-rendered now and then all
// the same, in case its row was replaced by hand.
constexpr auto kInstanceActorLifetime = std::chrono::minutes(10);

}  // namespace

http::Handler actor_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_representation(accept_header(request));
    if (!representation) co_return not_acceptable();
    const std::string name = request.params["name"];
    http::Response response;
    if (!urls::valid_username(name)) {
      response = not_found();
    } else {
      std::optional<db::LocalAccount> account = co_await routes.context.pool.run(
          [&name](pqxx::connection& c) { return db::find_local_account(c, name); });
      if (auto refusal = account_refusal(account)) {
        response = std::move(*refusal);
      } else if (*representation == Representation::html) {
        response = html_response(render_profile_page(*account, routes.host), account->uri);
        cache_publicly(response, kActorMaxAge);
      } else if (!routes.context.config.federation.authorized_fetch) {
        response = activity_streams_response(write_actor(local_actor(*account)), *representation);
        // The actor document is the same for everyone, signed or not.
        cache_publicly(response, kActorMaxAge);
      } else {
        // Authorized fetch: served unsigned too (keys are fetched from it),
        // but then with its technical attributes only, as Mastodon's secure
        // mode does; the profile (name, bio, fields, images) to signers.
        GetSigner asked = co_await get_signer(routes, request, AuthorizedFetch::exempt);
        Actor actor = local_actor(*account);
        if (!asked.signer) {
          actor.name.clear();
          actor.summary.clear();
          actor.fields.clear();
          actor.icon = {};
          actor.image = {};
          actor.emojis.clear();
        }
        response = activity_streams_response(write_actor(actor), *representation);
        cache_for_signer(routes, response, asked.get(), kActorMaxAge);
      }
    }
    if (!response.header("Vary")) response.set_header("Vary", "Accept");
    co_return response;
  };
}

http::Handler instance_actor_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_activity_streams(accept_header(request));
    if (!representation) co_return not_acceptable();
    const auto now = std::chrono::steady_clock::now();
    std::string body;
    if (auto cached = routes.documents.get("actor/instance"); cached && cached->expires > now) {
      body = cached->body;
    } else {
      // The key pair is made here on first use (db/instance_actor.hpp).
      const db::InstanceActorPublic keys = co_await routes.context.pool.run(
          [](pqxx::connection& c) { return db::ensure_instance_actor(c); });
      body = write_actor(instance_actor(routes.host, keys));
      routes.documents.put("actor/instance", CachedDocument{body, now + kInstanceActorLifetime});
    }
    http::Response response = activity_streams_response(std::move(body), *representation);
    cache_publicly(response, kInstanceActorMaxAge);
    response.set_header("Vary", "Accept");
    co_return response;
  };
}

http::Handler instance_actor_outbox_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<Representation> representation =
        choose_activity_streams(accept_header(request));
    if (!representation) co_return not_acceptable();
    // The instance actor publishes nothing.
    http::Response response = activity_streams_response(
        write_inline_collection(urls::outbox(urls::instance_actor(routes.host)),
                                nlohmann::ordered_json::array()),
        *representation);
    cache_publicly(response, kInstanceActorMaxAge);
    response.set_header("Vary", "Accept");
    co_return response;
  };
}

}  // namespace kith::ap
