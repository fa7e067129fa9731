// GET /api/v1/instance: what clients ask first. The document is rendered
// from the configuration and instance counts, and kept for a few seconds in
// the budgeted document cache, since every client start asks for it.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/db/instance_stats.hpp"
#include "routes_internal.hpp"

namespace kith::api {

// Mastodon-compatible version string: clients enable features by the
// Mastodon version before "(compatible; ...)".
const char* const kMastodonVersion = "4.3.0 (compatible; kith " KITH_VERSION ")";

namespace {

constexpr auto kInstanceDocumentLifetime = std::chrono::seconds(5);

nlohmann::json instance_v1(const core::Config& config, const db::InstanceStats& stats) {
  const std::string& host = config.host;
  return {
      {"uri", host},
      {"title", host},
      {"short_description", ""},
      {"description", ""},
      {"email", ""},
      {"version", kMastodonVersion},
      {"urls", {{"streaming_api", "wss://" + host}}},
      {"stats",
       {{"user_count", stats.user_count},
        {"status_count", stats.status_count},
        {"domain_count", stats.domain_count}}},
      {"thumbnail", nullptr},
      {"languages", nlohmann::json::array({"en"})},
      {"registrations", false},
      {"approval_required", false},
      {"invites_enabled", false},
      {"configuration",
       {{"statuses", {{"max_characters", 5000}, {"max_media_attachments", 4}}},
        {"accounts", {{"max_featured_tags", 10}}}}},
      {"contact_account", nullptr},
      {"rules", nlohmann::json::array()},
  };
}

}  // namespace

http::Handler instance_handler(ApiRoutes& routes) {
  return [&routes](http::Request&) -> boost::asio::awaitable<http::Response> {
    const auto now = std::chrono::steady_clock::now();
    if (auto cached = routes.documents.get("instance/v1"); cached && cached->expires > now)
      co_return http::json_response(200, cached->body);
    db::InstanceStats stats = co_await routes.context.pool.run(
        [](pqxx::connection& c) { return db::read_instance_stats(c); });
    std::string body = instance_v1(routes.context.config, stats).dump();
    routes.documents.put("instance/v1", CachedDocument{body, now + kInstanceDocumentLifetime});
    co_return http::json_response(200, std::move(body));
  };
}

}  // namespace kith::api
