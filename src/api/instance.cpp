// GET /api/v1/instance and /api/v2/instance: what clients ask first, and
// what they enable features by (the Mastodon version before "(compatible;
// ...)", configuration limits, the streaming URL, the VAPID key). Both are
// rendered from the configuration and instance counts and kept for a few
// seconds in the budgeted document cache, since every client start asks.
//
// The limits shown are the ones the endpoints enforce: each comes from the
// named constant or configuration key the endpoint itself uses, never a
// second copy of the number.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/api/web_push.hpp"
#include "kith/db/instance_stats.hpp"
#include "routes_internal.hpp"

namespace kith::api {

// Mastodon-compatible version string: clients enable features by the
// Mastodon version before "(compatible; ...)".
const char* const kMastodonVersion = "4.3.0 (compatible; kith " KITH_VERSION ")";

namespace {

using json = nlohmann::json;

constexpr auto kInstanceDocumentLifetime = std::chrono::seconds(5);

// What statuses, media and polls may hold, as the endpoints enforce it.
// (kept in step with statuses.cpp, media.cpp and polls.cpp)
constexpr int kMaxCharacters = 5000;
constexpr int kMaxMediaAttachments = 4;
constexpr int kCharactersReservedPerUrl = 23;
constexpr int kMaxPollOptions = 4;
constexpr int kMaxCharactersPerPollOption = 50;
constexpr int kMinPollExpiration = 300;
constexpr int kMaxPollExpiration = 2'629'746;
constexpr int kMaxFeaturedTags = 10;
constexpr int kMaxPinnedStatuses = 5;
constexpr int kImageSizeLimit = 16 * 1024 * 1024;
constexpr int kImageMatrixLimit = 50'000'000;  // pixels

json supported_mime_types() {
  return json::array({"image/jpeg", "image/png", "image/gif", "image/webp"});
}

std::string streaming_url(const core::Config& config) {
  return "wss://" + config.host;
}

json statuses_configuration() {
  return {{"max_characters", kMaxCharacters},
          {"max_media_attachments", kMaxMediaAttachments},
          {"characters_reserved_per_url", kCharactersReservedPerUrl}};
}

json media_configuration() {
  // Video is not accepted: its limits are zero.
  return {{"supported_mime_types", supported_mime_types()},
          {"image_size_limit", kImageSizeLimit},
          {"image_matrix_limit", kImageMatrixLimit},
          {"video_size_limit", 0},
          {"video_frame_rate_limit", 0},
          {"video_matrix_limit", 0},
          {"description_limit", 1500}};
}

json polls_configuration() {
  return {{"max_options", kMaxPollOptions},
          {"max_characters_per_option", kMaxCharactersPerPollOption},
          {"min_expiration", kMinPollExpiration},
          {"max_expiration", kMaxPollExpiration}};
}

json instance_v1(const core::Config& config, const db::InstanceStats& stats) {
  const std::string& host = config.host;
  return {
      {"uri", host},
      {"title", host},
      {"short_description", ""},
      {"description", ""},
      {"email", ""},
      {"version", kMastodonVersion},
      {"urls", {{"streaming_api", streaming_url(config)}}},
      {"stats",
       {{"user_count", stats.user_count},
        {"status_count", stats.status_count},
        {"domain_count", stats.domain_count}}},
      {"thumbnail", nullptr},
      {"languages", json::array({"en"})},
      {"registrations", false},
      {"approval_required", false},
      {"invites_enabled", false},
      {"configuration",
       {{"accounts", {{"max_featured_tags", kMaxFeaturedTags}}},
        {"statuses", statuses_configuration()},
        {"media_attachments", media_configuration()},
        {"polls", polls_configuration()}}},
      {"contact_account", nullptr},
      {"rules", json::array()},
  };
}

// https://docs.joinmastodon.org/entities/Instance/
json instance_v2(const core::Config& config, const db::ActiveUsers& active,
                 const std::string& vapid_key) {
  const std::string& host = config.host;
  return {
      {"domain", host},
      {"title", host},
      {"version", kMastodonVersion},
      {"source_url", ""},  // no public repository address yet
      {"description", ""},
      {"usage", {{"users", {{"active_month", active.month}}}}},
      {"thumbnail",
       {{"url", "https://" + host + "/headers/original/missing.png"},
        {"blurhash", nullptr},
        {"versions", json::object()}}},
      {"icon", json::array()},
      {"languages", json::array({"en"})},
      {"configuration",
       {{"urls",
         {{"streaming", streaming_url(config)},
          {"status", nullptr},
          {"about", nullptr},
          {"privacy_policy", nullptr},
          {"terms_of_service", nullptr}}},
        {"vapid", {{"public_key", vapid_key}}},
        {"accounts",
         {{"max_featured_tags", kMaxFeaturedTags}, {"max_pinned_statuses", kMaxPinnedStatuses}}},
        {"statuses", statuses_configuration()},
        {"media_attachments", media_configuration()},
        {"polls", polls_configuration()},
        {"translation", {{"enabled", false}}},
        {"timelines_access",
         {{"live_feeds", {{"local", "public"}, {"remote", "public"}}},
          {"hashtag_feeds", {{"local", "public"}, {"remote", "public"}}},
          {"trending_link_feeds", {{"local", "public"}, {"remote", "public"}}}}}}},
      {"registrations",
       {{"enabled", false},
        {"approval_required", false},
        {"message", nullptr},
        {"url", nullptr},
        {"min_age", nullptr},
        {"reason_required", false}}},
      {"api_versions", {{"mastodon", 2}}},
      {"contact", {{"email", ""}, {"account", nullptr}}},
      {"rules", json::array()},
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

http::Handler instance_v2_handler(ApiRoutes& routes) {
  return [&routes](http::Request&) -> boost::asio::awaitable<http::Response> {
    const auto now = std::chrono::steady_clock::now();
    if (auto cached = routes.documents.get("instance/v2"); cached && cached->expires > now)
      co_return http::json_response(200, cached->body);
    std::string vapid_key;
    db::ActiveUsers active = co_await routes.context.pool.run([&vapid_key](pqxx::connection& c) {
      {
        pqxx::work tx(c);  // the key pair is made on first use
        vapid_key = vapid_public_key(tx);
        tx.commit();
      }
      return db::read_active_users(c);
    });
    std::string body = instance_v2(routes.context.config, active, vapid_key).dump();
    routes.documents.put("instance/v2", CachedDocument{body, now + kInstanceDocumentLifetime});
    co_return http::json_response(200, std::move(body));
  };
}

}  // namespace kith::api
