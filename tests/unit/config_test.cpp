// Configuration: every key from TOML, environment overrides, refusal of
// unknown keys and bad values (with the key named), and the size and
// duration parsers the keys use.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>

#include "kith/core/config.hpp"

using namespace std::chrono_literals;
using kith::core::Config;
using kith::core::ConfigError;
using kith::core::EnvLookup;
using kith::core::load_config;
using kith::core::load_config_from_string;
using kith::core::parse_byte_size;
using kith::core::parse_duration;

namespace {

EnvLookup env_from(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

const EnvLookup kNoEnv = env_from({});

Config load(std::string_view toml, const EnvLookup& env = kNoEnv) {
  return load_config_from_string(toml, "test.toml", env);
}

// The message of the ConfigError that loading `toml` throws, or "" if none.
std::string load_error(std::string_view toml, const EnvLookup& env = kNoEnv) {
  try {
    load(toml, env);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST_CASE("config: an empty file gives the documented defaults", "[config]") {
  const Config c = load("");
  CHECK(c.host == "localhost:8080");
  CHECK(c.listen_address == "127.0.0.1");
  CHECK(c.listen_port == 8080);
  CHECK(c.data_dir == "/var/lib/kith");
  CHECK(c.database_url.empty());
  CHECK(c.memory_budget == 32u << 20);
  CHECK(c.log_level == "info");
  CHECK(c.http.threads == 1);
  CHECK(c.http.max_connections == 4096);
  CHECK(c.http.header_timeout == 10s);
  CHECK(c.http.body_timeout == 30s);
  CHECK(c.http.idle_timeout == 60s);
  CHECK(c.http.drain_timeout == 10s);
  CHECK_FALSE(c.http.trust_proxy);
  CHECK(c.database.pool_size == 4);
  CHECK(c.database.acquire_timeout == 5s);
  CHECK(parse_byte_size(c.embedded_postgres.shared_buffers) == 16u << 20);
  CHECK(c.embedded_postgres.bin_dir.empty());
  CHECK(c.inbox.workers == 4);
}

TEST_CASE("config: every key is read from TOML", "[config]") {
  const Config c = load(R"(
host = "social.localhost:8443"
listen = "0.0.0.0:9000"
data_dir = "/srv/kith"
database_url = "postgresql:///kith"
memory_budget = "48MiB"
log_level = "debug"

[http]
threads = 4
max_connections = 100
header_timeout = "5s"
body_timeout = "2m"
idle_timeout = "1h"
drain_timeout = "250ms"
trust_proxy = true

[database]
pool_size = 8
acquire_timeout = "3s"

[embedded_postgres]
shared_buffers = "32MB"
bin_dir = "/usr/lib/postgresql/15/bin"
)");
  CHECK(c.host == "social.localhost:8443");
  CHECK(c.listen_address == "0.0.0.0");
  CHECK(c.listen_port == 9000);
  CHECK(c.data_dir == "/srv/kith");
  CHECK(c.database_url == "postgresql:///kith");
  CHECK(c.memory_budget == 48u << 20);
  CHECK(c.log_level == "debug");
  CHECK(c.http.threads == 4);
  CHECK(c.http.max_connections == 100);
  CHECK(c.http.header_timeout == 5s);
  CHECK(c.http.body_timeout == 2min);
  CHECK(c.http.idle_timeout == 1h);
  CHECK(c.http.drain_timeout == 250ms);
  CHECK(c.http.trust_proxy);
  CHECK(c.database.pool_size == 8);
  CHECK(c.database.acquire_timeout == 3s);
  CHECK(parse_byte_size(c.embedded_postgres.shared_buffers) == 32u << 20);
  CHECK(c.embedded_postgres.bin_dir == "/usr/lib/postgresql/15/bin");
}

TEST_CASE(
    "config: federation.authorized_fetch is off by default, read from TOML and the environment",
    "[config]") {
  CHECK_FALSE(load("").federation.authorized_fetch);
  CHECK(load("[federation]\nauthorized_fetch = true").federation.authorized_fetch);
  CHECK_FALSE(load("federation.authorized_fetch = false").federation.authorized_fetch);
  auto env = [](const char* value) {
    return [value](const std::string& name) -> std::optional<std::string> {
      if (name == "KITH_FEDERATION_AUTHORIZED_FETCH") return std::string(value);
      return std::nullopt;
    };
  };
  CHECK(load_config_from_string("", "test", env("true")).federation.authorized_fetch);
  CHECK(load_config_from_string("federation.authorized_fetch = true", "test", env("0"))
            .federation.authorized_fetch == false);
  CHECK_THROWS_AS(load_config_from_string("", "test", env("yes")), ConfigError);
  CHECK_THROWS_AS(load("federation.authorized_fetch = \"yes\""), ConfigError);
}

TEST_CASE("config: inbox.workers is read from TOML and the environment", "[config]") {
  CHECK(load("[inbox]\nworkers = 0").inbox.workers == 0);
  CHECK(load("inbox.workers = 256").inbox.workers == 256);
  CHECK(load_config_from_string("", "test",
                                [](const std::string& name) -> std::optional<std::string> {
                                  if (name == "KITH_INBOX_WORKERS") return "7";
                                  return std::nullopt;
                                })
            .inbox.workers == 7);
}

TEST_CASE("config: dotted keys and inline tables mean the same as sections", "[config]") {
  CHECK(load("http.threads = 3").http.threads == 3);
  CHECK(load("http = { threads = 5 }").http.threads == 5);
}

TEST_CASE("config: memory_budget may be a plain number of bytes", "[config]") {
  CHECK(load("memory_budget = 1048576").memory_budget == 1048576);
  CHECK(load("memory_budget = \"1048576\"").memory_budget == 1048576);
}

TEST_CASE("config: listen accepts IPv4 and bracketed IPv6 addresses", "[config]") {
  struct Case {
    std::string listen, address;
    std::uint16_t port;
  };
  const std::vector<Case> cases = {
      {"127.0.0.1:8080", "127.0.0.1", 8080},
      {"0.0.0.0:1", "0.0.0.0", 1},
      {"[::1]:8443", "::1", 8443},
      {"[::]:65535", "::", 65535},
      {"[::ffff:127.0.0.1]:80", "::ffff:127.0.0.1", 80},
  };
  for (const auto& c : cases) {
    INFO(c.listen);
    const Config config = load("listen = \"" + c.listen + "\"");
    CHECK(config.listen_address == c.address);
    CHECK(config.listen_port == c.port);
  }
}

TEST_CASE("config: environment variables override the file", "[config]") {
  const auto env = env_from({
      {"KITH_HOST", "env.localhost"},
      {"KITH_LISTEN", "[::1]:7000"},
      {"KITH_DATA_DIR", "/tmp/kith-env"},
      {"KITH_DATABASE_URL", "postgresql://localhost/env"},
      {"KITH_MEMORY_BUDGET", "8MiB"},
      {"KITH_LOG_LEVEL", "warn"},
      {"KITH_HTTP_THREADS", "2"},
      {"KITH_HTTP_MAX_CONNECTIONS", "50"},
      {"KITH_HTTP_HEADER_TIMEOUT", "1s"},
      {"KITH_HTTP_BODY_TIMEOUT", "2s"},
      {"KITH_HTTP_IDLE_TIMEOUT", "3s"},
      {"KITH_HTTP_DRAIN_TIMEOUT", "4s"},
      {"KITH_HTTP_TRUST_PROXY", "1"},
      {"KITH_DATABASE_POOL_SIZE", "16"},
      {"KITH_DATABASE_ACQUIRE_TIMEOUT", "100ms"},
      {"KITH_EMBEDDED_POSTGRES_SHARED_BUFFERS", "8MB"},
      {"KITH_EMBEDDED_POSTGRES_BIN_DIR", "/opt/pg/bin"},
  });
  // The file sets every key to something else; the environment wins.
  const Config c = load(R"(
host = "file.localhost"
listen = "127.0.0.1:1"
data_dir = "/file"
database_url = "file"
memory_budget = "1GiB"
log_level = "error"
[http]
threads = 9
max_connections = 9
header_timeout = "9s"
body_timeout = "9s"
idle_timeout = "9s"
drain_timeout = "9s"
trust_proxy = false
[database]
pool_size = 9
acquire_timeout = "9s"
[embedded_postgres]
shared_buffers = "9MB"
bin_dir = "/file/bin"
)",
                        env);
  CHECK(c.host == "env.localhost");
  CHECK(c.listen_address == "::1");
  CHECK(c.listen_port == 7000);
  CHECK(c.data_dir == "/tmp/kith-env");
  CHECK(c.database_url == "postgresql://localhost/env");
  CHECK(c.memory_budget == 8u << 20);
  CHECK(c.log_level == "warn");
  CHECK(c.http.threads == 2);
  CHECK(c.http.max_connections == 50);
  CHECK(c.http.header_timeout == 1s);
  CHECK(c.http.body_timeout == 2s);
  CHECK(c.http.idle_timeout == 3s);
  CHECK(c.http.drain_timeout == 4s);
  CHECK(c.http.trust_proxy);
  CHECK(c.database.pool_size == 16);
  CHECK(c.database.acquire_timeout == 100ms);
  CHECK(parse_byte_size(c.embedded_postgres.shared_buffers) == 8u << 20);
  CHECK(c.embedded_postgres.bin_dir == "/opt/pg/bin");
}

TEST_CASE("config: environment overrides apply without a file", "[config]") {
  const Config c = load_config(std::nullopt, env_from({{"KITH_HTTP_THREADS", "7"}}));
  CHECK(c.http.threads == 7);
  CHECK(c.host == "localhost:8080");
}

TEST_CASE("config: environment booleans", "[config]") {
  for (auto [text, expected] : std::vector<std::pair<std::string, bool>>{
           {"true", true}, {"1", true}, {"false", false}, {"0", false}}) {
    INFO(text);
    CHECK(load("", env_from({{"KITH_HTTP_TRUST_PROXY", text}})).http.trust_proxy == expected);
  }
}

TEST_CASE("config: bad environment values are refused, naming key and variable", "[config]") {
  struct Case {
    std::string variable, value, key;
  };
  const std::vector<Case> cases = {
      {"KITH_HTTP_THREADS", "two", "http.threads"},
      {"KITH_HTTP_THREADS", "2x", "http.threads"},
      {"KITH_HTTP_THREADS", " 2", "http.threads"},
      {"KITH_HTTP_THREADS", "", "http.threads"},
      {"KITH_HTTP_THREADS", "0", "http.threads"},
      {"KITH_HTTP_THREADS", "-1", "http.threads"},
      {"KITH_HTTP_THREADS", "99999999999999999999", "http.threads"},
      {"KITH_HTTP_TRUST_PROXY", "yes", "http.trust_proxy"},
      {"KITH_HTTP_TRUST_PROXY", "TRUE", "http.trust_proxy"},
      {"KITH_MEMORY_BUDGET", "-5", "memory_budget"},
      {"KITH_MEMORY_BUDGET", "0", "memory_budget"},
      {"KITH_MEMORY_BUDGET", "lots", "memory_budget"},
      {"KITH_HTTP_HEADER_TIMEOUT", "soon", "http.header_timeout"},
      {"KITH_LISTEN", "8080", "listen"},
      {"KITH_HOST", "Example.Localhost", "host"},
  };
  for (const auto& c : cases) {
    INFO(c.variable << "=" << c.value);
    const std::string message = load_error("", env_from({{c.variable, c.value}}));
    CHECK(message.starts_with(c.key + ":"));
  }
  CHECK_THAT(load_error("", env_from({{"KITH_HTTP_THREADS", "two"}})),
             Catch::Contains("KITH_HTTP_THREADS"));
}

TEST_CASE("config: unknown keys are refused by name", "[config]") {
  struct Case {
    std::string toml, key;
  };
  const std::vector<Case> cases = {
      {"hots = \"localhost\"", "hots"},
      {"[http]\nthread = 2", "http.thread"},
      {"[htp]\nthreads = 2", "htp.threads"},
      {"[http.tls]\ncert = \"x\"", "http.tls.cert"},
      {"http = 3", "http"},
      {"[[http]]\nthreads = 2", "http"},
      {"memory_budget = \"1MiB\"\n[database]\npool_size = 2\nurl = \"x\"", "database.url"},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    const std::string message = load_error(c.toml);
    CHECK(message.starts_with(c.key + ": unknown key"));
  }
}

TEST_CASE("config: bad values are refused and the error names the key", "[config]") {
  struct Case {
    std::string toml, key;
  };
  const std::vector<Case> cases = {
      // Types.
      {"host = 5", "host"},
      {"data_dir = []", "data_dir"},
      {"[host]\nname = \"x\"", "host"},
      {"[http]\nthreads = \"2\"", "http.threads"},
      {"[http]\nthreads = 2.0", "http.threads"},
      {"[http]\ntrust_proxy = \"true\"", "http.trust_proxy"},
      {"[http]\ntrust_proxy = 1", "http.trust_proxy"},
      {"[http]\nheader_timeout = 10", "http.header_timeout"},
      {"memory_budget = 1.5", "memory_budget"},
      {"memory_budget = true", "memory_budget"},
      // Ranges.
      {"[http]\nthreads = 0", "http.threads"},
      {"[http]\nthreads = -3", "http.threads"},
      {"[http]\nthreads = 65", "http.threads"},
      {"[http]\nmax_connections = 0", "http.max_connections"},
      {"[http]\nmax_connections = 1000001", "http.max_connections"},
      {"[database]\npool_size = 0", "database.pool_size"},
      {"[database]\npool_size = 257", "database.pool_size"},
      {"[database]\npool_size = 9223372036854775807", "database.pool_size"},
      {"memory_budget = 0", "memory_budget"},
      {"memory_budget = -1", "memory_budget"},
      {"memory_budget = \"0MiB\"", "memory_budget"},
      {"memory_budget = \"64 furlongs\"", "memory_budget"},
      {"memory_budget = \"99999999999GiB\"", "memory_budget"},
      // Durations.
      {"[http]\nheader_timeout = \"0s\"", "http.header_timeout"},
      {"[http]\nbody_timeout = \"-1s\"", "http.body_timeout"},
      {"[http]\nidle_timeout = \"1d\"", "http.idle_timeout"},
      {"[http]\ndrain_timeout = \"\"", "http.drain_timeout"},
      {"[database]\nacquire_timeout = \"1.5s\"", "database.acquire_timeout"},
      // listen.
      {"listen = \"8080\"", "listen"},
      {"listen = \"127.0.0.1:\"", "listen"},
      {"listen = \":8080\"", "listen"},
      {"listen = \"[]:8080\"", "listen"},
      {"listen = \"127.0.0.1:0\"", "listen"},
      {"listen = \"127.0.0.1:65536\"", "listen"},
      {"listen = \"127.0.0.1:99999999999999\"", "listen"},
      {"listen = \"127.0.0.1:80x\"", "listen"},
      {"listen = \"127.0.0.1:-1\"", "listen"},
      {"listen = \"localhost:8080\"", "listen"},  // an address, not a name
      {"listen = \"300.1.1.1:8080\"", "listen"},
      {"listen = \"[::g]:8080\"", "listen"},
      {"listen = \"[127.0.0.1:8080\"", "listen"},
      // host: an authority, lower case, no scheme or path.
      {"host = \"\"", "host"},
      {"host = \"Social.Localhost\"", "host"},
      {"host = \"https://localhost\"", "host"},
      {"host = \"localhost/users\"", "host"},
      {"host = \"user@localhost\"", "host"},
      {"host = \"local host\"", "host"},
      // Others.
      {"data_dir = \"\"", "data_dir"},
      {"[embedded_postgres]\nshared_buffers = \"lots\"", "embedded_postgres.shared_buffers"},
      {"[inbox]\nworkers = -1", "inbox.workers"},
      {"[inbox]\nworkers = 257", "inbox.workers"},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    const std::string message = load_error(c.toml);
    CHECK(message.starts_with(c.key + ": "));
  }
}

TEST_CASE("config: TOML syntax errors name the origin, line and column", "[config]") {
  struct Case {
    std::string toml, where;
  };
  const std::vector<Case> cases = {
      {"host = ", "test.toml:1:"},
      {"host = \"a\"\nhost = \"b\"", "test.toml:2:"},  // duplicate key
      {"[http]\n[http]", "test.toml:2:"},              // duplicate table
      {"\n\nhost = \"unterminated", "test.toml:3:"},
      {"host = \"\\x\"", "test.toml:1:"},
  };
  for (const auto& c : cases) {
    INFO(c.toml);
    CHECK(load_error(c.toml).starts_with(c.where));
  }
}

TEST_CASE("config: load_config reads a file, and names an unreadable one", "[config]") {
  const auto dir =
      std::filesystem::temp_directory_path() / ("kith-config-test-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  const auto file = dir / "kith.toml";
  {
    std::ofstream out(file);
    out << "[http]\nthreads = 6\n";
  }
  CHECK(load_config(file, kNoEnv).http.threads == 6);
  {
    std::ofstream out(file);
    out << "[http]\nthreads = 0\n";
  }
  try {
    load_config(file, kNoEnv);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK(std::string(e.what()).starts_with("http.threads:"));
  }
  const auto missing = dir / "missing.toml";
  try {
    load_config(missing, kNoEnv);
    FAIL("expected a ConfigError");
  } catch (const ConfigError& e) {
    CHECK_THAT(e.what(), Catch::Contains(missing.string()));
  }
  std::filesystem::remove_all(dir);
}

TEST_CASE("parse_byte_size: good inputs", "[config]") {
  struct Case {
    std::string text;
    std::size_t bytes;
  };
  const std::vector<Case> cases = {
      {"0", 0},
      {"1", 1},
      {"1048576", 1048576},
      {"10B", 10},
      {"1kB", 1024},
      {"1KB", 1024},
      {"512KiB", 512 * 1024},
      {"16MB", 16u << 20},
      {"64MiB", 64u << 20},
      {"64 MiB", 64u << 20},
      {"1GB", 1u << 30},
      {"1GiB", 1u << 30},
      {"4GiB", std::size_t{4} << 30},
      {"18446744073709551615", SIZE_MAX},
      {"17179869183GiB", std::size_t{17179869183} << 30},  // largest that fits
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_byte_size(c.text) == c.bytes);
  }
}

TEST_CASE("parse_byte_size: bad inputs, including overflow", "[config]") {
  const std::vector<std::string> cases = {
      "",
      "MiB",
      " 1MiB",
      "+1",
      "-1",
      "-1MiB",
      "1.5MiB",
      "1e6",
      "0x10",
      "1TiB",
      "1mb",
      "1 M",
      "1MiBs",
      "1MiB\n",
      std::string("1\0MiB", 5),
      "18446744073709551616",           // SIZE_MAX + 1
      "99999999999999999999999999999",  // far beyond
      "17179869184GiB",                 // 2^64 bytes
      "18014398509481984MiB",           // 2^64 bytes
      "18446744073709551615kB",
  };
  for (const auto& text : cases) {
    INFO(text);
    CHECK_FALSE(parse_byte_size(text).has_value());
  }
}

TEST_CASE("parse_duration: good inputs", "[config]") {
  struct Case {
    std::string text;
    std::chrono::milliseconds ms;
  };
  const std::vector<Case> cases = {
      {"0ms", 0ms},
      {"250ms", 250ms},
      {"10s", 10s},
      {"10", 10s},  // a bare number is seconds
      {"2m", 2min},
      {"1h", 1h},
      {"9223372036854775807ms", std::chrono::milliseconds(INT64_MAX)},
      {"2562047788015h", std::chrono::hours(2562047788015)},  // largest that fits
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(parse_duration(c.text) == c.ms);
  }
}

TEST_CASE("parse_duration: bad inputs, including overflow", "[config]") {
  const std::vector<std::string> cases = {
      "",
      "s",
      "ms",
      "-1s",
      "-1",
      "+1s",
      " 1s",
      "1 s",
      "1.5s",
      "1d",
      "1S",
      "1sec",
      "1us",
      "1ms ",
      "10ss",
      "9223372036854775808ms",    // INT64_MAX + 1
      "9223372036854775807s",     // overflows milliseconds
      "2562047788016h",           // just over
      "153722867280913m",         // just over
      "99999999999999999999999h"  // far beyond
  };
  for (const auto& text : cases) {
    INFO(text);
    CHECK_FALSE(parse_duration(text).has_value());
  }
}
