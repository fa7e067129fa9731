// The federation.* configuration keys and how they become ClientOptions:
// defaults equal to the client's constants, TOML and environment forms, and
// refusals that name the key and the entry.
#include <catch2/catch.hpp>

#include <fstream>
#include <map>
#include <string>

#include "kith/core/config.hpp"
#include "kith/http/client.hpp"
#include "loopback.hpp"

using namespace std::chrono_literals;
using kith::core::Config;
using kith::core::ConfigError;
using kith::core::EnvLookup;

namespace {

EnvLookup env_from(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

Config load(std::string_view toml, const EnvLookup& env = env_from({})) {
  return kith::core::load_config_from_string(toml, "test.toml", env);
}

std::string load_error(std::string_view toml, const EnvLookup& env = env_from({})) {
  try {
    load(toml, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("federation config: defaults are the client's constants", "[config][client]") {
  const Config c = load("");
  CHECK(c.federation.allowed_private_addresses.empty());
  CHECK(c.federation.extra_ca_file.empty());
  CHECK(c.federation.connect_timeout == kith::http::kDefaultConnectTimeout);
  CHECK(c.federation.request_timeout == kith::http::kDefaultRequestTimeout);
  CHECK(c.federation.max_response_size == kith::http::kDefaultMaxResponseBodyBytes);
}

TEST_CASE("federation config: every key from TOML and from the environment", "[config][client]") {
  const std::string ca = kith::test::pki().ca.string();
  const Config c = load(R"([federation]
allowed_private_addresses = ["127.0.0.1:8443", "[::1]:8443"]
extra_ca_file = ")" + ca +
                        R"("
connect_timeout = "2s"
request_timeout = "10s"
max_response_size = "4MiB"
)");
  CHECK(c.federation.allowed_private_addresses ==
        std::vector<std::string>{"127.0.0.1:8443", "[::1]:8443"});
  CHECK(c.federation.extra_ca_file == ca);
  CHECK(c.federation.connect_timeout == 2s);
  CHECK(c.federation.request_timeout == 10s);
  CHECK(c.federation.max_response_size == 4u << 20);

  const Config e =
      load("", env_from({
                   {"KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES", "127.0.0.1:1, [::1]:2"},
                   {"KITH_FEDERATION_CONNECT_TIMEOUT", "750ms"},
                   {"KITH_FEDERATION_MAX_RESPONSE_SIZE", "2MiB"},
               }));
  CHECK(e.federation.allowed_private_addresses ==
        std::vector<std::string>{"127.0.0.1:1", "[::1]:2"});
  CHECK(e.federation.connect_timeout == 750ms);
  CHECK(e.federation.max_response_size == 2u << 20);
  const Config empty = load("[federation]\nallowed_private_addresses = [\"127.0.0.1:1\"]\n",
                            env_from({{"KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES", ""}}));
  CHECK(empty.federation.allowed_private_addresses.empty());
}

TEST_CASE("federation config: the example file, every line uncommented, gives the defaults",
          "[config][client]") {
  std::ifstream in(KITH_SOURCE_DIR "/config/kith.example.toml");
  REQUIRE(in);
  std::string toml, line;
  while (std::getline(in, line)) {
    // "#key = value" lines show defaults; comments have a space after '#'.
    if (line.size() > 1 && line[0] == '#' && line[1] != ' ') line.erase(0, 1);
    toml += line + "\n";
  }
  const Config c = load(toml);
  const Config defaults = load("");
  CHECK(c.federation.allowed_private_addresses == defaults.federation.allowed_private_addresses);
  CHECK(c.federation.extra_ca_file == defaults.federation.extra_ca_file);
  CHECK(c.federation.connect_timeout == defaults.federation.connect_timeout);
  CHECK(c.federation.request_timeout == defaults.federation.request_timeout);
  CHECK(c.federation.max_response_size == defaults.federation.max_response_size);
}

TEST_CASE("federation config: bad values are refused, naming the key and the entry",
          "[config][client]") {
  const std::string key = "federation.allowed_private_addresses";
  struct Case {
    std::string toml;
    std::string expected;  // part of the message
  };
  const std::vector<Case> cases = {
      {R"(allowed_private_addresses = ["localhost:8443"])", "\"localhost:8443\""},
      {R"(allowed_private_addresses = ["127.0.0.1"])", "\"127.0.0.1\""},
      {R"(allowed_private_addresses = ["::1:8443"])", "brackets"},
      {R"(allowed_private_addresses = ["[fe80::1%eth0]:1"])", "zone"},
      {R"(allowed_private_addresses = ["127.0.0.1:0"])", "port"},
      {R"(allowed_private_addresses = ["127.0.0.1:65536"])", "port"},
      {R"(allowed_private_addresses = ["127.1:80"])", "not an IPv4 address"},
      {R"(allowed_private_addresses = "127.0.0.1:80")", "array of strings"},
      {R"(allowed_private_addresses = [8443])", "array of strings"},
  };
  for (const auto& c : cases) {
    const std::string error = load_error("[federation]\n" + c.toml + "\n");
    INFO(c.toml << " -> " << error);
    CHECK_THAT(error, Catch::StartsWith(key + ": "));
    CHECK_THAT(error, Catch::Contains(c.expected));
  }
  CHECK_THAT(
      load_error("", env_from({{"KITH_FEDERATION_ALLOWED_PRIVATE_ADDRESSES", "1.2.3.4:5,,"}})),
      Catch::StartsWith(key + ": empty entry"));
  CHECK_THAT(load_error("[federation]\nextra_ca_file = \"/nonexistent/ca.pem\"\n"),
             Catch::StartsWith("federation.extra_ca_file: "));
  CHECK_THAT(load_error("[federation]\nconnect_timeout = \"0s\"\n"),
             Catch::StartsWith("federation.connect_timeout: "));
  CHECK_THAT(load_error("[federation]\nrequest_timeout = 30\n"),
             Catch::StartsWith("federation.request_timeout: "));
  CHECK_THAT(load_error("[federation]\nmax_response_size = \"100\"\n"),
             Catch::StartsWith("federation.max_response_size: must be between"));
  CHECK_THAT(load_error("[federation]\nmax_retries = 3\n"),
             Catch::StartsWith("federation.max_retries: unknown key"));
}

TEST_CASE("federation config: becomes the client's options", "[config][client]") {
  Config c = load(R"(host = "social.example.org"
[federation]
allowed_private_addresses = ["127.0.0.1:8443", "[::ffff:127.0.0.2]:1"]
connect_timeout = "3s"
request_timeout = "20s"
max_response_size = "2MiB"
)");
  const kith::http::ClientOptions options = kith::http::client_options_from_config(c);
  CHECK(options.user_agent == "kith/" KITH_VERSION " (+https://social.example.org/)");
  CHECK(options.connect_timeout == 3s);
  CHECK(options.request_timeout == 20s);
  CHECK(options.max_body_bytes == 2u << 20);
  CHECK(options.read_timeout == kith::http::kDefaultReadTimeout);
  REQUIRE(options.guard.allowlist().size() == 2);
  const auto loopback = boost::asio::ip::make_address("127.0.0.1");
  CHECK(options.guard.check(loopback, 8443).allowed);
  CHECK_FALSE(options.guard.check(loopback, 8444).allowed);
  // Stored as IPv4: the mapped spelling and the plain one are the same.
  CHECK(options.guard.check(boost::asio::ip::make_address("127.0.0.2"), 1).allowed);
}

TEST_CASE("client: an extra CA file that is not PEM stops construction", "[config][client]") {
  kith::test::TempDir dir;
  const auto path = dir.path / "not-a-ca.pem";
  std::ofstream(path) << "this is not a certificate\n";
  kith::http::ClientOptions options;
  options.extra_ca_file = path.string();
  CHECK_THROWS_WITH(kith::http::Client(options), Catch::Contains("not-a-ca.pem"));
}
