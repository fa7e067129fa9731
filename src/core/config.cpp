// Configuration loading: TOML file, then environment overrides, then
// validation. Each key is read by exactly one line in `apply_keys` below, so
// the list of keys, their types and their checks can be read in one place;
// config/kith.example.toml documents the same list for operators.
#include "kith/core/config.hpp"

#include <arpa/inet.h>
#include <toml++/toml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

namespace kith::core {
namespace {

std::string env_name(const std::string& key) {
  std::string name = "KITH_";
  for (char c : key) name += c == '.' ? '_' : static_cast<char>(std::toupper(c));
  return name;
}

[[noreturn]] void fail(const std::string& key, const std::string& why) {
  throw ConfigError(key + ": " + why);
}

// Reads each key from the TOML table or, taking precedence, the environment,
// and remembers which keys it knows so that unknown ones can be refused.
class KeyReader {
 public:
  KeyReader(const toml::table& table, const EnvLookup& env) : table_(table), env_(env) {}

  std::optional<std::string> string(const std::string& key) {
    known_.insert(key);
    if (auto value = env_(env_name(key))) return value;
    auto node = table_.at_path(key);
    if (!node) return std::nullopt;
    if (auto s = node.value<std::string>()) return s;
    fail(key, "must be a string");
  }

  std::optional<std::int64_t> integer(const std::string& key) {
    known_.insert(key);
    if (auto value = env_(env_name(key))) {
      std::int64_t parsed = 0;
      auto [end, ec] = std::from_chars(value->data(), value->data() + value->size(), parsed);
      if (ec != std::errc() || end != value->data() + value->size())
        fail(key, "must be an integer (from " + env_name(key) + ")");
      return parsed;
    }
    auto node = table_.at_path(key);
    if (!node) return std::nullopt;
    if (auto i = node.value_exact<std::int64_t>()) return i;
    fail(key, "must be an integer");
  }

  std::optional<bool> boolean(const std::string& key) {
    known_.insert(key);
    if (auto value = env_(env_name(key))) {
      if (*value == "true" || *value == "1") return true;
      if (*value == "false" || *value == "0") return false;
      fail(key, "must be true or false (from " + env_name(key) + ")");
    }
    auto node = table_.at_path(key);
    if (!node) return std::nullopt;
    if (auto b = node.value_exact<bool>()) return b;
    fail(key, "must be true or false");
  }

  // Sizes may be written as a number of bytes or as a string with a unit.
  std::optional<std::size_t> byte_size(const std::string& key) {
    known_.insert(key);
    std::optional<std::string> text = env_(env_name(key));
    if (!text) {
      auto node = table_.at_path(key);
      if (!node) return std::nullopt;
      if (auto i = node.value_exact<std::int64_t>()) {
        if (*i <= 0) fail(key, "must be positive");
        return static_cast<std::size_t>(*i);
      }
      text = node.value<std::string>();
      if (!text) fail(key, "must be a size such as \"64MiB\"");
    }
    auto bytes = parse_byte_size(*text);
    if (!bytes || *bytes == 0) fail(key, "must be a size such as \"64MiB\", got \"" + *text + "\"");
    return bytes;
  }

  // A TOML array of strings; in the environment, entries separated by
  // commas (spaces around them ignored; an empty variable is an empty list).
  std::optional<std::vector<std::string>> string_array(const std::string& key) {
    known_.insert(key);
    if (auto value = env_(env_name(key))) {
      std::vector<std::string> entries;
      std::string_view rest = *value;
      while (!rest.empty()) {
        const auto comma = rest.find(',');
        std::string_view entry = rest.substr(0, comma);
        rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
        while (!entry.empty() && entry.front() == ' ') entry.remove_prefix(1);
        while (!entry.empty() && entry.back() == ' ') entry.remove_suffix(1);
        if (entry.empty()) fail(key, "empty entry (from " + env_name(key) + ")");
        entries.emplace_back(entry);
      }
      return entries;
    }
    auto node = table_.at_path(key);
    if (!node) return std::nullopt;
    const toml::array* array = node.as_array();
    if (!array) fail(key, "must be an array of strings");
    std::vector<std::string> entries;
    for (const auto& element : *array) {
      auto s = element.value<std::string>();
      if (!s || !element.is_string()) fail(key, "must be an array of strings");
      entries.push_back(*s);
    }
    return entries;
  }

  std::optional<std::chrono::milliseconds> duration(const std::string& key) {
    auto text = string(key);
    if (!text) return std::nullopt;
    auto ms = parse_duration(*text);
    if (!ms || ms->count() <= 0) fail(key, "must be a duration such as \"10s\" or \"500ms\"");
    return ms;
  }

  // Every key present in the file must be one we read.
  void refuse_unknown_keys() const { check_table(table_, ""); }

 private:
  void check_table(const toml::table& table, const std::string& prefix) const {
    for (auto&& [name, node] : table) {
      std::string key = prefix + std::string(name.str());
      if (auto sub = node.as_table()) {
        check_table(*sub, key + ".");
      } else if (!known_.count(key)) {
        fail(key, "unknown key (see config/kith.example.toml)");
      }
    }
  }

  const toml::table& table_;
  const EnvLookup& env_;
  std::set<std::string> known_;
};

template <class T>
T positive(const std::string& key, std::optional<std::int64_t> value, T fallback,
           std::int64_t max) {
  if (!value) return fallback;
  if (*value <= 0 || *value > max)
    fail(key, "must be a positive integer no larger than " + std::to_string(max));
  return static_cast<T>(*value);
}

// `listen` is "address:port", with IPv6 addresses in brackets.
void parse_listen(const std::string& text, Config& config) {
  auto colon = text.rfind(':');
  if (colon == std::string::npos || colon + 1 == text.size())
    fail("listen", "must be address:port, e.g. \"127.0.0.1:8080\"");
  std::string address = text.substr(0, colon);
  if (address.size() >= 2 && address.front() == '[' && address.back() == ']')
    address = address.substr(1, address.size() - 2);
  if (address.empty()) fail("listen", "must name an address, e.g. \"0.0.0.0:8080\"");
  // The server binds exactly this address and does not resolve names.
  in_addr ipv4{};
  in6_addr ipv6{};
  if (inet_pton(AF_INET, address.c_str(), &ipv4) != 1 &&
      inet_pton(AF_INET6, address.c_str(), &ipv6) != 1)
    fail("listen",
         "address must be an IP address such as 127.0.0.1 or [::1], not \"" + address + "\"");
  unsigned port = 0;
  std::string_view port_text(text.data() + colon + 1, text.size() - colon - 1);
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (ec != std::errc() || end != port_text.data() + port_text.size() || port == 0 || port > 65535)
    fail("listen", "port must be a number from 1 to 65535");
  config.listen_address = address;
  config.listen_port = static_cast<std::uint16_t>(port);
}

// `host` is the public authority clients and other servers use: a DNS name or
// address, lower case, with an optional port. No scheme, path or user info.
void check_host(const std::string& host) {
  if (host.empty()) fail("host", "must be the public domain, e.g. \"social.example.org\"");
  for (char c : host) {
    bool ok = std::islower(static_cast<unsigned char>(c)) ||
              std::isdigit(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' ||
              c == '[' || c == ']';
    if (!ok)
      fail("host",
           "must be a lower-case domain with an optional port, without scheme or path, got \"" +
               host + "\"");
  }
}

// One entry of federation.allowed_private_addresses: "127.0.0.1:8443" or
// "[::1]:8443", an IP address (never a name: the check happens after DNS)
// and a port. kith::http::parse_allowlist_entry reads the same form.
void check_allowed_address(const std::string& key, const std::string& entry) {
  auto bad = [&](const std::string& why) { fail(key, "entry \"" + entry + "\": " + why); };
  std::string address, port;
  if (!entry.empty() && entry.front() == '[') {
    const auto close = entry.find("]:");
    if (close == std::string::npos) bad("expected [IPv6 address]:port, e.g. \"[::1]:8443\"");
    address = entry.substr(1, close - 1);
    port = entry.substr(close + 2);
    in6_addr ipv6{};
    if (inet_pton(AF_INET6, address.c_str(), &ipv6) != 1)
      bad("not an IPv6 address (zone identifiers and host names are not accepted)");
  } else {
    const auto colon = entry.rfind(':');
    if (colon == std::string::npos) bad("expected address:port, e.g. \"127.0.0.1:8443\"");
    address = entry.substr(0, colon);
    port = entry.substr(colon + 1);
    if (address.find(':') != std::string::npos)
      bad("an IPv6 address must be in brackets, e.g. \"[::1]:8443\"");
    in_addr ipv4{};
    if (inet_pton(AF_INET, address.c_str(), &ipv4) != 1)
      bad("not an IPv4 address such as 127.0.0.1 (host names are not accepted)");
  }
  unsigned number = 0;
  auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || ec != std::errc() || end != port.data() + port.size() || number == 0 ||
      number > 65535)
    bad("port must be a number from 1 to 65535");
}

void apply_keys(KeyReader& keys, Config& c) {
  if (auto v = keys.string("host")) c.host = *v;
  check_host(c.host);
  if (auto v = keys.string("listen")) parse_listen(*v, c);
  if (auto v = keys.string("data_dir")) c.data_dir = *v;
  if (c.data_dir.empty()) fail("data_dir", "must not be empty");
  if (auto v = keys.string("database_url")) c.database_url = *v;
  if (auto v = keys.byte_size("memory_budget")) c.memory_budget = *v;
  if (auto v = keys.string("log_level")) {
    static const std::set<std::string> kLevels = {"trace", "debug",    "info", "warn",
                                                  "error", "critical", "off"};
    if (!kLevels.contains(*v))
      fail("log_level", "must be one of trace, debug, info, warn, error, critical, off");
    c.log_level = *v;
  }

  c.http.threads =
      positive<unsigned>("http.threads", keys.integer("http.threads"), c.http.threads, 64);
  c.http.max_connections =
      positive<std::size_t>("http.max_connections", keys.integer("http.max_connections"),
                            c.http.max_connections, 1'000'000);
  if (auto v = keys.duration("http.header_timeout")) c.http.header_timeout = *v;
  if (auto v = keys.duration("http.body_timeout")) c.http.body_timeout = *v;
  if (auto v = keys.duration("http.idle_timeout")) c.http.idle_timeout = *v;
  if (auto v = keys.duration("http.drain_timeout")) c.http.drain_timeout = *v;
  if (auto v = keys.boolean("http.trust_proxy")) c.http.trust_proxy = *v;

  c.database.pool_size = positive<unsigned>(
      "database.pool_size", keys.integer("database.pool_size"), c.database.pool_size, 256);
  if (auto v = keys.duration("database.acquire_timeout")) c.database.acquire_timeout = *v;

  if (auto v = keys.string("embedded_postgres.shared_buffers")) {
    // Handed to PostgreSQL in kB, a unit it reads the same way we do; its
    // own floor is 128 kB.
    auto bytes = parse_byte_size(*v);
    if (!bytes) fail("embedded_postgres.shared_buffers", "must be a size such as \"16MiB\"");
    if (*bytes < 128 * 1024 || *bytes > (std::uint64_t{1} << 40))
      fail("embedded_postgres.shared_buffers", "must be between 128KiB and 1TiB");
    c.embedded_postgres.shared_buffers = std::to_string(*bytes / 1024) + "kB";
  }
  if (auto v = keys.string("embedded_postgres.bin_dir")) c.embedded_postgres.bin_dir = *v;

  if (auto v = keys.string_array("federation.allowed_private_addresses")) {
    for (const auto& entry : *v)
      check_allowed_address("federation.allowed_private_addresses", entry);
    c.federation.allowed_private_addresses = std::move(*v);
  }
  if (auto v = keys.string("federation.extra_ca_file")) {
    c.federation.extra_ca_file = *v;
    std::error_code ec;
    if (!v->empty()) {
      if (!std::filesystem::is_regular_file(*v, ec))
        fail("federation.extra_ca_file", "\"" + *v + "\" is not a readable file");
      std::ifstream probe(*v);
      if (!probe) fail("federation.extra_ca_file", "\"" + *v + "\" cannot be read");
    }
  }
  if (auto v = keys.duration("federation.connect_timeout")) c.federation.connect_timeout = *v;
  if (auto v = keys.duration("federation.request_timeout")) c.federation.request_timeout = *v;
  if (auto v = keys.byte_size("federation.max_response_size")) {
    if (*v < 1024 || *v > (std::size_t{1} << 30))
      fail("federation.max_response_size", "must be between 1KiB and 1GiB");
    c.federation.max_response_size = *v;
  }
  if (auto v = keys.boolean("federation.authorized_fetch")) c.federation.authorized_fetch = *v;

  if (auto v = keys.integer("delivery.workers")) {
    if (*v < 0 || *v > 256) fail("delivery.workers", "must be an integer from 0 to 256");
    c.delivery.workers = static_cast<unsigned>(*v);
  }
  if (auto v = keys.duration("delivery.give_up_after")) {
    if (*v > std::chrono::hours(24 * 30)) fail("delivery.give_up_after", "must be at most 30 days");
    c.delivery.give_up_after = *v;
  }
  if (auto v = keys.duration("delivery.lease")) c.delivery.lease = *v;
  if (auto v = keys.integer("inbox.workers")) {
    if (*v < 0 || *v > 256) fail("inbox.workers", "must be an integer from 0 to 256");
    c.inbox.workers = static_cast<unsigned>(*v);
  }
  if (auto v = keys.string("media.directory")) c.media.directory = *v;
  if (c.media.directory.empty()) c.media.directory = c.data_dir / "media";
  if (auto v = keys.byte_size("media.max_image_bytes")) {
    if (*v < 1024 || *v > (std::size_t{1} << 30))
      fail("media.max_image_bytes", "must be between 1KiB and 1GiB");
    c.media.max_image_bytes = *v;
  }
  if (auto v = keys.boolean("api.password_grant")) c.api.password_grant = *v;
  if (auto v = keys.integer("api.rate_limit.authenticated")) {
    if (*v < 0 || *v > 1'000'000) fail("api.rate_limit.authenticated", "must be from 0 to 1000000");
    c.api.rate_limit_authenticated = static_cast<unsigned>(*v);
  }
  if (auto v = keys.integer("api.rate_limit.anonymous")) {
    if (*v < 0 || *v > 1'000'000) fail("api.rate_limit.anonymous", "must be from 0 to 1000000");
    c.api.rate_limit_anonymous = static_cast<unsigned>(*v);
  }
  if (auto v = keys.duration("moderation.refit_interval")) {
    if (*v < std::chrono::seconds(1) || *v > std::chrono::hours(1))
      fail("moderation.refit_interval", "must be from 1s to 1h");
    c.moderation.refit_interval = *v;
  }
  if (auto v = keys.duration("moderation.exposure_retention")) {
    if (*v < std::chrono::hours(1) || *v > std::chrono::hours(24 * 3650))
      fail("moderation.exposure_retention", "must be from 1h to 87600h (10 years)");
    c.moderation.exposure_retention = *v;
  }
  if (auto v = keys.integer("moderation.max_exposures")) {
    if (*v < 0 || *v > 2'000'000'000)
      fail("moderation.max_exposures", "must be from 0 to 2000000000");
    c.moderation.max_exposures = static_cast<std::size_t>(*v);
  }
  // A lease that can run out while its attempt is still going lets a second
  // worker deliver the same job at the same time.
  const auto longest_attempt = c.federation.request_timeout + c.database.acquire_timeout;
  if (c.delivery.lease <= longest_attempt || c.delivery.lease > std::chrono::hours(24))
    fail("delivery.lease",
         "must be longer than federation.request_timeout + "
         "database.acquire_timeout (" +
             std::to_string(longest_attempt.count()) + " ms) and at most 24h");
}

}  // namespace

EnvLookup process_environment() {
  return [](const std::string& name) -> std::optional<std::string> {
    if (const char* value = std::getenv(name.c_str())) return std::string(value);
    return std::nullopt;
  };
}

Config load_config_from_string(std::string_view text, const std::string& origin,
                               const EnvLookup& env) {
  toml::table table;
  try {
    table = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream message;
    message << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": "
            << e.description();
    throw ConfigError(message.str());
  }
  Config config;
  KeyReader keys(table, env);
  apply_keys(keys, config);
  keys.refuse_unknown_keys();
  return config;
}

Config load_config(const std::optional<std::filesystem::path>& file, const EnvLookup& env) {
  if (!file) return load_config_from_string("", "(defaults)", env);
  std::ifstream in(*file, std::ios::binary);
  if (!in) throw ConfigError(file->string() + ": cannot be read");
  std::stringstream buffer;
  buffer << in.rdbuf();
  return load_config_from_string(buffer.str(), file->string(), env);
}

std::optional<std::size_t> parse_byte_size(std::string_view text) {
  std::size_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data()) return std::nullopt;
  std::string unit(end, text.data() + text.size());
  std::erase(unit, ' ');
  // Units are binary, as in PostgreSQL's own settings: 1MB = 1MiB = 2^20 bytes.
  static const std::pair<const char*, std::size_t> units[] = {
      {"", 1},          {"B", 1},          {"kB", 1u << 10}, {"KB", 1u << 10}, {"KiB", 1u << 10},
      {"MB", 1u << 20}, {"MiB", 1u << 20}, {"GB", 1u << 30}, {"GiB", 1u << 30}};
  for (auto [name, factor] : units) {
    if (unit == name) {
      if (number > SIZE_MAX / factor) return std::nullopt;
      return number * factor;
    }
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_duration(std::string_view text) {
  std::int64_t number = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), number);
  if (ec != std::errc() || end == text.data() || number < 0) return std::nullopt;
  std::string_view unit(end, text.data() + text.size() - end);
  std::int64_t factor = 0;
  if (unit == "ms")
    factor = 1;
  else if (unit == "s" || unit.empty())
    factor = 1000;
  else if (unit == "m")
    factor = 60'000;
  else if (unit == "h")
    factor = 3'600'000;
  else
    return std::nullopt;
  if (number > INT64_MAX / factor) return std::nullopt;
  return std::chrono::milliseconds(number * factor);
}

}  // namespace kith::core
