// kith::core configuration: what an operator sets, in one TOML file.
//
// Every key has a default, is documented in config/kith.example.toml and can
// be overridden by an environment variable named KITH_ plus the key in
// capitals with dots as underscores (`http.max_connections` ->
// KITH_HTTP_MAX_CONNECTIONS). Loading validates everything up front: a bad
// value stops start-up with a ConfigError that names the key, so a daemon
// never runs half-configured.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace kith::core {

struct ConfigError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct HttpConfig {
  unsigned threads = 1;                              // http.threads
  std::size_t max_connections = 4096;                // http.max_connections
  std::chrono::milliseconds header_timeout{10'000};  // http.header_timeout
  std::chrono::milliseconds body_timeout{30'000};    // http.body_timeout
  std::chrono::milliseconds idle_timeout{60'000};    // http.idle_timeout
  std::chrono::milliseconds drain_timeout{10'000};   // http.drain_timeout
  bool trust_proxy = false;                          // http.trust_proxy (X-Forwarded-For)
};

struct DatabaseConfig {
  unsigned pool_size = 4;                            // database.pool_size
  std::chrono::milliseconds acquire_timeout{5'000};  // database.acquire_timeout
};

struct EmbeddedPostgresConfig {
  std::string shared_buffers = "16MB";  // embedded_postgres.shared_buffers
  std::string bin_dir;                  // embedded_postgres.bin_dir (empty: search)
};

// The outgoing HTTP client (kith::http::Client): every fetch and delivery.
// The defaults equal kith::http's kDefault* constants (a test checks it).
struct FederationConfig {
  // federation.allowed_private_addresses: exact "address:port" pairs that may
  // be reached although not global (loopback, private...), and the only
  // endpoints plain http may be used with. Empty in production.
  std::vector<std::string> allowed_private_addresses;
  std::filesystem::path extra_ca_file;                // federation.extra_ca_file (PEM)
  std::chrono::milliseconds connect_timeout{5'000};   // federation.connect_timeout
  std::chrono::milliseconds request_timeout{30'000};  // federation.request_timeout (total)
  std::size_t max_response_size = 1u << 20;           // federation.max_response_size (body)
  // federation.authorized_fetch (Mastodon's secure mode): GETs of statuses,
  // their activities and collections need a valid HTTP Signature (401
  // without); actor documents are still served, reduced to their technical
  // attributes when unsigned. kith signs its own fetches either way.
  bool authorized_fetch = false;
};

// Outgoing deliveries (kith::ap::DeliveryQueue).
struct DeliveryConfig {
  unsigned workers = 8;  // delivery.workers: deliveries in flight at once (0: none here)
  std::chrono::milliseconds give_up_after{48 * 3'600'000};  // delivery.give_up_after
  // delivery.lease: how long a claimed job is held before another worker may
  // take it; longer than federation.request_timeout + database.acquire_timeout.
  std::chrono::milliseconds lease{120'000};
};

// The Mastodon client API (kith::api).
struct ApiConfig {
  // api.password_grant: POST /oauth/token accepts grant_type=password
  // (username or e-mail and password), as command-line clients and
  // Mastodon.py use it. An operator who wants sign-in only through the
  // authorization pages switches it off.
  bool password_grant = true;
  // api.rate_limit.authenticated / api.rate_limit.anonymous: client API
  // requests per 5 minutes per account (signed in) and per IP address
  // (anonymous), as Mastodon counts them; 0 switches the limit off.
  unsigned rate_limit_authenticated = 300;
  unsigned rate_limit_anonymous = 300;
};

// Uploaded media (kith::media, the client API's media endpoints).
struct MediaConfig {
  // media.directory: where uploaded files are kept and served from; empty
  // means <data_dir>/media.
  std::filesystem::path directory;
  std::size_t max_image_bytes = 16u << 20;  // media.max_image_bytes (413 above)
};

// Applying other servers' activities (kith::ap::InboxWorker).
struct InboxConfig {
  unsigned workers = 4;  // inbox.workers: activities applied at once (0: none here)
};

// Community moderation (issue 5; api/moderation_service.hpp).
struct ModerationConfig {
  // moderation.refit_interval: a full refit runs at most this often, and
  // only when something changed; it bounds how long a new flag takes to
  // reach other users' predictions (1s to 1h). The default leaves room for
  // the refit itself (a few seconds) within the minute issue 5 promises.
  std::chrono::milliseconds refit_interval{50'000};
  // moderation.exposure_retention: how long "who was shown what" is kept
  // in mod_exposures (1h to 3650 days).
  std::chrono::milliseconds exposure_retention{std::chrono::hours(24 * 90)};
  // moderation.max_exposures: at most about this many rows in
  // mod_exposures; the oldest go first (0 keeps none).
  std::size_t max_exposures = 20'000'000;
};

struct Config {
  std::string host = "localhost:8080";  // public authority: domain[:port]
  std::string listen_address = "127.0.0.1";
  std::uint16_t listen_port = 8080;  // both from `listen`
  std::filesystem::path data_dir = "/var/lib/kith";
  std::string database_url;  // empty: embedded PostgreSQL under data_dir
  std::size_t memory_budget = 32u << 20;
  std::string log_level = "info";
  HttpConfig http;
  DatabaseConfig database;
  EmbeddedPostgresConfig embedded_postgres;
  FederationConfig federation;
  DeliveryConfig delivery;
  InboxConfig inbox;
  MediaConfig media;
  ApiConfig api;
  ModerationConfig moderation;
};

// Looks up an environment variable; injectable so tests need not touch the
// real environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string&)>;
EnvLookup process_environment();

// Reads `file` (if given) and applies environment overrides. Throws
// ConfigError naming the offending key (or the file) on any bad value or on
// an unknown key.
Config load_config(const std::optional<std::filesystem::path>& file, const EnvLookup& env);

// Parses the same TOML from a string; `origin` names it in error messages.
Config load_config_from_string(std::string_view toml, const std::string& origin,
                               const EnvLookup& env);

// "64MiB", "512KiB", "1GiB", "1048576" -> bytes; nullopt if malformed.
std::optional<std::size_t> parse_byte_size(std::string_view text);
// "10s", "250ms", "2m", "1h" -> milliseconds; nullopt if malformed.
std::optional<std::chrono::milliseconds> parse_duration(std::string_view text);

}  // namespace kith::core
