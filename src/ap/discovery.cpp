// Discovery: how another server gets from "@alice@host" to an actor, and
// what it learns about the server itself.
//
//   WebFinger (RFC 7033) maps acct:alice@host, or the actor's URL, to the
//   actor id (rel=self) and the profile page;
//   host-meta (RFC 6415) points at WebFinger, for the older clients that
//   start there; NodeInfo (nodeinfo.diaspora.software, 2.0 and 2.1) says
//   which software this is and how many users and posts it has.
//
// Compare Mastodon's app/controllers/well_known/ and GoToSocial's
// internal/api/wellknown: unknown and foreign resources are 404, a missing
// or malformed one 400; handles are compared after normalising the host,
// usernames ignoring case (the database index does that).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <variant>

#include "kith/ap/acct.hpp"
#include "kith/ap/html_sanitizer.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/db/instance_stats.hpp"
#include "kith/http/url.hpp"
#include "routes_internal.hpp"

namespace kith::ap {
namespace {

using json = nlohmann::ordered_json;

constexpr std::string_view kJrdType = "application/jrd+json; charset=utf-8";
constexpr std::string_view kProfilePageRel = "http://webfinger.net/rel/profile-page";
constexpr std::string_view kNodeInfoSchema = "http://nodeinfo.diaspora.software/ns/schema/";
// How long a rendered NodeInfo document is reused: counts a few seconds old
// are fine, and crawlers ask often.
constexpr auto kNodeInfoLifetime = std::chrono::seconds(5);
// rel parameters of one WebFinger query beyond this are ignored.
constexpr std::size_t kMaxWebfingerRels = 16;

// Whom a WebFinger resource names.
struct WebfingerTarget {
  bool instance_actor = false;
  std::string username;  // when not the instance actor
};

// The resource parameter -> whom it names, or the response to give instead
// (400 malformed, 404 not ours or not an actor).
std::variant<WebfingerTarget, http::Response> resolve_resource(const ApRoutes& routes,
                                                               std::string_view resource) {
  const auto starts_with_ci = [&](std::string_view prefix) {
    return resource.size() >= prefix.size() &&
           http::iequals(resource.substr(0, prefix.size()), prefix);
  };
  if (starts_with_ci("https://") || starts_with_ci("http://")) {
    // The actor's URL (Mastodon accepts it too): https only, since that is
    // the only scheme kith's ids have.
    const http::UrlResult url = http::parse_url(resource);
    if (!url) return error(400, std::string("resource: ") + std::string(http::describe(url.error)));
    const http::UrlResult ours = http::parse_url(urls::origin(routes.host));
    if (!ours || url.url->origin != ours.url->origin || url.url->has_query || url.url->has_fragment)
      return not_found();
    const std::string& path = url.url->path;
    if (path == "/actor") return WebfingerTarget{true, ""};
    std::string_view name;
    if (path.starts_with("/users/"))
      name = std::string_view(path).substr(7);
    else if (path.starts_with("/@"))
      name = std::string_view(path).substr(2);
    else
      return not_found();
    auto decoded = http::percent_decode(name, false);
    if (!decoded || !urls::valid_username(*decoded)) return not_found();
    return WebfingerTarget{false, std::move(*decoded)};
  }
  AcctResult acct;
  if (starts_with_ci("acct:")) {
    acct = parse_acct_uri(resource);
  } else if (resource.find('@') != std::string_view::npos) {
    // A bare "alice@host" (or "@alice@host"): not a URI, but some clients
    // send it, and Mastodon answers it.
    acct = parse_acct(resource);
  } else {
    return error(400, "resource must be an acct: URI or an actor URL");
  }
  if (!acct) return error(400, std::string("resource: ") + std::string(describe(acct.error)));
  if (acct.acct->host != routes.normalized_host) return not_found();
  const std::string& user = acct.acct->user;
  // The instance actor's preferredUsername is the host.
  if (http::iequals(user, routes.host) || http::iequals(user, routes.normalized_host))
    return WebfingerTarget{true, ""};
  if (!urls::valid_username(user)) return not_found();
  return WebfingerTarget{false, user};
}

// RFC 7033 4.3: with rel parameters, only links of those relations.
std::vector<std::string> requested_rels(const http::Request& request) {
  std::vector<std::string> rels;
  for (auto& [key, value] : http::parse_query(request.query))
    if (key == "rel" && rels.size() < kMaxWebfingerRels) rels.push_back(value);
  return rels;
}

json link(std::string_view rel, std::string_view type, std::string_view href) {
  json out = json::object();
  out["rel"] = rel;
  out["type"] = type;
  out["href"] = href;
  return out;
}

http::Response jrd_response(const json& document) {
  http::Response response = http::text_response(200, document.dump(), std::string(kJrdType));
  cache_publicly(response, kDiscoveryMaxAge);
  // RFC 7033 5: browsers' scripts may ask too.
  response.set_header("Access-Control-Allow-Origin", "*");
  return response;
}

json jrd(std::string subject, std::vector<std::string> aliases, std::vector<json> links,
         const std::vector<std::string>& rels) {
  json out = json::object();
  out["subject"] = std::move(subject);
  out["aliases"] = std::move(aliases);
  json filtered = json::array();
  for (json& l : links) {
    if (!rels.empty() &&
        std::find(rels.begin(), rels.end(), l["rel"].get<std::string>()) == rels.end())
      continue;
    filtered.push_back(std::move(l));
  }
  out["links"] = std::move(filtered);
  return out;
}

std::string webfinger_template(const ApRoutes& routes) {
  return urls::origin(routes.host) + "/.well-known/webfinger?resource={uri}";
}

http::Response host_meta_xml(const ApRoutes& routes) {
  std::string body =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
      "<XRD xmlns=\"http://docs.oasis-open.org/ns/xri/xrd-1.0\">\n"
      "  <Link rel=\"lrdd\" type=\"application/jrd+json\" template=\"" +
      escape_html(webfinger_template(routes)) + "\"/>\n</XRD>\n";
  http::Response response =
      http::text_response(200, std::move(body), "application/xrd+xml; charset=utf-8");
  cache_publicly(response, kDiscoveryMaxAge);
  response.set_header("Access-Control-Allow-Origin", "*");
  return response;
}

http::Response host_meta_json(const ApRoutes& routes) {
  json lrdd = json::object();
  lrdd["rel"] = "lrdd";
  lrdd["type"] = "application/jrd+json";
  lrdd["template"] = webfinger_template(routes);
  json document = json::object();
  document["links"] = json::array({lrdd});
  http::Response response = http::json_response(200, document.dump());
  cache_publicly(response, kDiscoveryMaxAge);
  response.set_header("Access-Control-Allow-Origin", "*");
  return response;
}

json nodeinfo(const ApRoutes& routes, const std::string& version, const db::InstanceStats& stats,
              const db::ActiveUsers& active) {
  json software = json::object();
  software["name"] = "kith";  // schema: ^[a-z0-9-]+$
  software["version"] = KITH_VERSION;
  json users = json::object();
  users["total"] = stats.user_count;
  users["activeMonth"] = active.month;
  users["activeHalfyear"] = active.halfyear;
  json usage = json::object();
  usage["users"] = std::move(users);
  usage["localPosts"] = stats.status_count;
  json metadata = json::object();
  metadata["nodeName"] = routes.host;
  metadata["nodeDescription"] = "";
  json out = json::object();
  out["version"] = version;
  out["software"] = std::move(software);
  out["protocols"] = json::array({"activitypub"});
  out["services"] = {{"inbound", json::array()}, {"outbound", json::array()}};
  out["openRegistrations"] = false;
  out["usage"] = std::move(usage);
  out["metadata"] = std::move(metadata);
  return out;
}

http::Response nodeinfo_response(std::string body, const std::string& version) {
  http::Response response = http::text_response(
      200, std::move(body),
      "application/json; profile=\"" + std::string(kNodeInfoSchema) + version + "#\"");
  cache_publicly(response, kNodeInfoMaxAge);
  response.set_header("Access-Control-Allow-Origin", "*");
  return response;
}

}  // namespace

http::Handler webfinger_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    const std::optional<std::string> resource = request.query_param("resource");
    if (!resource || resource->empty()) co_return error(400, "resource parameter is required");
    auto resolved = resolve_resource(routes, *resource);
    if (auto* refusal = std::get_if<http::Response>(&resolved)) co_return std::move(*refusal);
    const WebfingerTarget target = std::get<WebfingerTarget>(std::move(resolved));
    const std::vector<std::string> rels = requested_rels(request);

    if (target.instance_actor) {
      const std::string actor = urls::instance_actor(routes.host);
      const Acct handle{routes.host, routes.normalized_host};
      co_return jrd_response(
          jrd(handle.uri(), {actor}, {link("self", kActivityJsonType, actor)}, rels));
    }
    std::optional<db::LocalAccount> account = co_await routes.context.pool.run(
        [&target](pqxx::connection& c) { return db::find_local_account(c, target.username); });
    if (auto refusal = account_refusal(account)) co_return std::move(*refusal);
    // The subject carries the account's own spelling of its name.
    const Acct handle{account->username, routes.normalized_host};
    co_return jrd_response(jrd(handle.uri(), {account->uri, account->url},
                               {link("self", kActivityJsonType, account->uri),
                                link(kProfilePageRel, "text/html", account->url)},
                               rels));
  };
}

http::Handler host_meta_handler(ApRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    // RFC 6415 2: XRD unless the client asks for JSON (as Mastodon does).
    static constexpr MediaOffer kOffers[] = {{"application", "xrd+xml", ""},
                                             {"application", "xml", ""},
                                             {"application", "jrd+json", ""},
                                             {"application", "json", ""}};
    const auto choice = negotiate(accept_header(request), kOffers).value_or(0);
    http::Response response = choice >= 2 ? host_meta_json(routes) : host_meta_xml(routes);
    response.set_header("Vary", "Accept");
    co_return response;
  };
}

http::Handler host_meta_json_handler(ApRoutes& routes) {
  return [&routes](http::Request&) -> boost::asio::awaitable<http::Response> {
    co_return host_meta_json(routes);
  };
}

http::Handler nodeinfo_discovery_handler(ApRoutes& routes) {
  return [&routes](http::Request&) -> boost::asio::awaitable<http::Response> {
    json links = json::array();
    for (const char* version : {"2.0", "2.1"}) {
      json entry = json::object();
      entry["rel"] = std::string(kNodeInfoSchema) + version;
      entry["href"] = urls::origin(routes.host) + "/nodeinfo/" + version;
      links.push_back(std::move(entry));
    }
    json document = json::object();
    document["links"] = std::move(links);
    http::Response response = http::json_response(200, document.dump());
    cache_publicly(response, kNodeInfoMaxAge);
    response.set_header("Access-Control-Allow-Origin", "*");
    co_return response;
  };
}

http::Handler nodeinfo_handler(ApRoutes& routes, std::string version) {
  return [&routes, version](http::Request&) -> boost::asio::awaitable<http::Response> {
    const std::string key = "nodeinfo/" + version;
    const auto now = std::chrono::steady_clock::now();
    if (auto cached = routes.documents.get(key); cached && cached->expires > now)
      co_return nodeinfo_response(cached->body, version);
    const auto counts = co_await routes.context.pool.run([](pqxx::connection& c) {
      return std::pair(db::read_instance_stats(c), db::read_active_users(c));
    });
    std::string body = nodeinfo(routes, version, counts.first, counts.second).dump();
    routes.documents.put(key, CachedDocument{body, now + kNodeInfoLifetime});
    co_return nodeinfo_response(std::move(body), version);
  };
}

}  // namespace kith::ap
