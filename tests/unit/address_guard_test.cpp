// The outgoing client's address check: every special-purpose range of the
// IANA IPv4 and IPv6 registries is refused with its name, IPv6 forms that
// carry an IPv4 address are judged by it (mapped, 6to4) or refused (NAT64,
// Teredo, IPv4-compatible), global unicast is allowed, and the allowlist
// opens exactly one address and port, nothing near it.
#include <catch2/catch.hpp>

#include <boost/asio/ip/address.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "kith/http/address_guard.hpp"

using boost::asio::ip::make_address;
using kith::http::AddressClass;
using kith::http::AddressGuard;
using kith::http::AllowedEndpoint;
using kith::http::classify;
using kith::http::parse_allowlist_entry;

namespace {

struct Case {
  std::string address;
  AddressClass kind;
};

void check_cases(const std::vector<Case>& cases) {
  const AddressGuard guard;
  for (const auto& c : cases) {
    INFO(c.address);
    const auto address = make_address(c.address);
    CHECK(classify(address).kind == c.kind);
    const auto decision = guard.check(address, 443);
    CHECK(decision.allowed == (c.kind == AddressClass::global));
    CHECK(decision.kind == c.kind);
    CHECK_FALSE(decision.allowlisted);
    CHECK(decision.reason.find(std::string(describe(c.kind))) != std::string::npos);
  }
}

}  // namespace

TEST_CASE("address guard: IPv4 special-purpose ranges", "[address_guard]") {
  check_cases({
      {"0.0.0.0", AddressClass::unspecified},
      {"0.255.255.255", AddressClass::unspecified},
      {"10.0.0.1", AddressClass::private_network},
      {"10.255.255.255", AddressClass::private_network},
      {"100.64.0.0", AddressClass::shared_address},
      {"100.127.255.255", AddressClass::shared_address},
      {"127.0.0.1", AddressClass::loopback},
      {"127.255.255.254", AddressClass::loopback},
      {"169.254.169.254", AddressClass::link_local},  // cloud metadata
      {"172.16.0.1", AddressClass::private_network},
      {"172.31.255.255", AddressClass::private_network},
      {"192.0.0.8", AddressClass::reserved},
      {"192.0.2.1", AddressClass::documentation},
      {"192.88.99.1", AddressClass::reserved},
      {"192.168.1.1", AddressClass::private_network},
      {"198.18.0.1", AddressClass::benchmarking},
      {"198.19.255.255", AddressClass::benchmarking},
      {"198.51.100.7", AddressClass::documentation},
      {"203.0.113.9", AddressClass::documentation},
      {"224.0.0.1", AddressClass::multicast},
      {"239.255.255.255", AddressClass::multicast},
      {"240.0.0.1", AddressClass::reserved},
      {"254.255.255.255", AddressClass::reserved},
      {"255.255.255.255", AddressClass::broadcast},
  });
}

TEST_CASE("address guard: IPv4 neighbours of special ranges are global", "[address_guard]") {
  check_cases({
      {"1.1.1.1", AddressClass::global},         {"8.8.8.8", AddressClass::global},
      {"9.255.255.255", AddressClass::global},   {"11.0.0.0", AddressClass::global},
      {"100.63.255.255", AddressClass::global},  {"100.128.0.0", AddressClass::global},
      {"126.255.255.255", AddressClass::global}, {"128.0.0.0", AddressClass::global},
      {"169.253.255.255", AddressClass::global}, {"169.255.0.0", AddressClass::global},
      {"172.15.255.255", AddressClass::global},  {"172.32.0.0", AddressClass::global},
      {"192.0.1.1", AddressClass::global},       {"192.0.3.1", AddressClass::global},
      {"192.167.255.255", AddressClass::global}, {"192.169.0.0", AddressClass::global},
      {"198.17.255.255", AddressClass::global},  {"198.20.0.0", AddressClass::global},
      {"203.0.112.255", AddressClass::global},   {"223.255.255.255", AddressClass::global},
  });
}

TEST_CASE("address guard: IPv6 special-purpose ranges", "[address_guard]") {
  check_cases({
      {"::", AddressClass::unspecified},
      {"::1", AddressClass::loopback},
      {"::2", AddressClass::ipv4_compatible},
      {"::127.0.0.1", AddressClass::ipv4_compatible},
      {"::8.8.8.8", AddressClass::ipv4_compatible},
      {"64:ff9b::7f00:1", AddressClass::nat64},
      {"64:ff9b::8.8.8.8", AddressClass::nat64},
      {"64:ff9b:1::1", AddressClass::nat64},
      {"64:ff9b:1:ffff::1", AddressClass::nat64},
      {"100::1", AddressClass::discard_only},
      {"100::ffff:ffff:ffff:ffff", AddressClass::discard_only},
      {"2001::1", AddressClass::teredo},
      {"2001:0:4136:e378:8000:63bf:3fff:fdd2", AddressClass::teredo},
      {"2001:2::1", AddressClass::benchmarking},
      {"2001:db8::1", AddressClass::documentation},
      {"2001:10::1", AddressClass::reserved},  // ORCHID
      {"2001:1ff::1", AddressClass::reserved},
      {"3fff::1", AddressClass::documentation},
      {"3fff:fff::1", AddressClass::documentation},
      {"fc00::1", AddressClass::private_network},
      {"fd12:3456:789a::1", AddressClass::private_network},
      {"fe80::1", AddressClass::link_local},
      {"febf::1", AddressClass::link_local},
      {"fec0::1", AddressClass::site_local},
      {"feff::1", AddressClass::site_local},
      {"ff02::1", AddressClass::multicast},
      {"ff0e::1", AddressClass::multicast},
      {"4000::1", AddressClass::reserved},  // outside 2000::/3
      {"1::1", AddressClass::reserved},
      {"e000::1", AddressClass::reserved},
      {"::1:0:0:1", AddressClass::reserved},
  });
}

TEST_CASE("address guard: IPv6 global unicast is allowed", "[address_guard]") {
  check_cases({
      {"2a00:1450:4001:80b::200e", AddressClass::global},
      {"2606:4700:4700::1111", AddressClass::global},
      {"2001:200::1", AddressClass::global},  // just past 2001::/23
      {"2001:db9::1", AddressClass::global},
      {"2003::1", AddressClass::global},
      {"3ffe::1", AddressClass::global},
      {"3fff:1000::1", AddressClass::global},  // just past 3fff::/20
      {"64:ff9b:2::1", AddressClass::reserved},
  });
}

TEST_CASE("address guard: IPv4-mapped and 6to4 are judged by the IPv4 they carry",
          "[address_guard]") {
  const AddressGuard guard;
  struct Carried {
    std::string address;
    AddressClass kind;
    std::string via;
  };
  const std::vector<Carried> cases = {
      {"::ffff:127.0.0.1", AddressClass::loopback, "IPv4-mapped"},
      {"::ffff:7f00:1", AddressClass::loopback, "IPv4-mapped"},
      {"::ffff:10.1.2.3", AddressClass::private_network, "IPv4-mapped"},
      {"::ffff:169.254.169.254", AddressClass::link_local, "IPv4-mapped"},
      {"::ffff:0.0.0.0", AddressClass::unspecified, "IPv4-mapped"},
      {"::ffff:8.8.8.8", AddressClass::global, "IPv4-mapped"},
      {"2002:7f00:1::1", AddressClass::loopback, "6to4"},
      {"2002:c0a8:101::1", AddressClass::private_network, "6to4"},
      {"2002:a9fe:a9fe::", AddressClass::link_local, "6to4"},
      {"2002:808:808::1", AddressClass::global, "6to4"},
  };
  for (const auto& c : cases) {
    INFO(c.address);
    const auto address = make_address(c.address);
    const auto classification = classify(address);
    CHECK(classification.kind == c.kind);
    CHECK(classification.carried_by == c.via);
    const auto decision = guard.check(address, 443);
    CHECK(decision.allowed == (c.kind == AddressClass::global));
    CHECK(decision.reason.find(c.via) != std::string::npos);
  }
}

TEST_CASE("address guard: the allowlist opens exactly the listed address and port",
          "[address_guard]") {
  const auto guard = AddressGuard::from_config({"127.0.0.1:8443", "[::1]:9443"});
  auto allowed = [&](std::string_view address, std::uint16_t port) {
    return guard.check(make_address(address), port).allowed;
  };
  CHECK(allowed("127.0.0.1", 8443));
  CHECK(guard.check(make_address("127.0.0.1"), 8443).allowlisted);
  CHECK(allowed("::ffff:127.0.0.1", 8443));  // the same endpoint
  CHECK(allowed("::1", 9443));

  CHECK_FALSE(allowed("127.0.0.1", 8444));
  CHECK_FALSE(allowed("127.0.0.1", 443));
  CHECK_FALSE(allowed("127.0.0.2", 8443));
  CHECK_FALSE(allowed("127.0.0.1", 9443));
  CHECK_FALSE(allowed("::1", 8443));
  CHECK_FALSE(allowed("::ffff:127.0.0.1", 9443));
  CHECK_FALSE(allowed("0.0.0.0", 8443));
  CHECK_FALSE(allowed("::", 9443));
  CHECK_FALSE(allowed("10.0.0.1", 8443));
  CHECK_FALSE(allowed("169.254.169.254", 80));
  // Global addresses need no listing.
  CHECK(allowed("8.8.8.8", 53));
  CHECK_FALSE(guard.check(make_address("8.8.8.8"), 53).allowlisted);

  const auto refused = guard.check(make_address("127.0.0.1"), 8444);
  CHECK(refused.kind == AddressClass::loopback);
  CHECK(refused.reason == "127.0.0.1 is loopback");
  const auto listed = guard.check(make_address("127.0.0.1"), 8443);
  CHECK(listed.reason == "127.0.0.1 is loopback, allowed for 127.0.0.1:8443");
}

TEST_CASE("address guard: an empty allowlist refuses all of loopback", "[address_guard]") {
  const AddressGuard guard;
  for (std::uint16_t port : {1, 80, 443, 5432, 8443, 65535})
    CHECK_FALSE(guard.check(make_address("127.0.0.1"), port).allowed);
}

TEST_CASE("address guard: allowlist entries", "[address_guard]") {
  struct Good {
    std::string text;
    std::string address;
    std::uint16_t port;
  };
  const std::vector<Good> good = {
      {"127.0.0.1:8443", "127.0.0.1", 8443},
      {"[::1]:8443", "::1", 8443},
      {"10.0.0.5:1", "10.0.0.5", 1},
      {"[fd00::1]:65535", "fd00::1", 65535},
      {"[::ffff:127.0.0.1]:8443", "127.0.0.1", 8443},  // stored as IPv4
  };
  for (const auto& c : good) {
    INFO(c.text);
    const auto entry = parse_allowlist_entry(c.text);
    REQUIRE(entry);
    CHECK(entry.endpoint->address == make_address(c.address));
    CHECK(entry.endpoint->port == c.port);
  }
  const std::vector<std::string> bad = {
      "",
      "127.0.0.1",
      "127.0.0.1:",
      "127.0.0.1:0",
      "127.0.0.1:65536",
      "127.0.0.1:99999",
      "127.0.0.1:84a3",
      "127.0.0.1:+843",
      "127.0.0.1:-1",
      ":8443",
      "localhost:8443",
      "example.com:443",
      "127.1:8443",
      "0x7f.0.0.1:8443",
      "127.0.0.01:8443",
      "::1:8443",
      "[::1]",
      "[::1]8443",
      "[::1:8443",
      "[127.0.0.1]:8443",
      "[fe80::1%eth0]:8443",
      " 127.0.0.1:8443",
      "127.0.0.1:8443 ",
  };
  for (const auto& text : bad) {
    INFO(text);
    const auto entry = parse_allowlist_entry(text);
    CHECK_FALSE(entry);
    CHECK(entry.error.find("\"" + text + "\"") != std::string::npos);
  }
}

TEST_CASE("address guard: a bad configuration entry fails with its name", "[address_guard]") {
  CHECK_THROWS_WITH(AddressGuard::from_config({"127.0.0.1:8443", "localhost:8443"}),
                    Catch::Contains("\"localhost:8443\""));
  CHECK_NOTHROW(AddressGuard::from_config({}));
  const AddressGuard guard({AllowedEndpoint{make_address("::ffff:10.0.0.1"), 80}});
  CHECK(guard.check(make_address("10.0.0.1"), 80).allowed);
}
