// Address classification against the IANA special-purpose address registries
// (https://www.iana.org/assignments/iana-ipv4-special-registry and
// iana-ipv6-special-registry), most specific prefix first.
#include "kith/http/address_guard.hpp"

#include <array>
#include <span>
#include <stdexcept>

namespace kith::http {

namespace {

using boost::asio::ip::address;
using boost::asio::ip::address_v4;
using boost::asio::ip::address_v6;

struct Prefix4 {
  std::uint32_t network;
  int length;
  AddressClass kind;
};

constexpr std::uint32_t v4(unsigned a, unsigned b, unsigned c, unsigned d) {
  return (a << 24) | (b << 16) | (c << 8) | d;
}

// In order: a more specific prefix comes before a wider one that contains it
// (255.255.255.255 before 240.0.0.0/4).
constexpr std::array<Prefix4, 16> kIpv4Prefixes{{
    {v4(0, 0, 0, 0), 8, AddressClass::unspecified},           // "this network", RFC 791
    {v4(10, 0, 0, 0), 8, AddressClass::private_network},      // RFC 1918
    {v4(100, 64, 0, 0), 10, AddressClass::shared_address},    // RFC 6598
    {v4(127, 0, 0, 0), 8, AddressClass::loopback},            // RFC 1122
    {v4(169, 254, 0, 0), 16, AddressClass::link_local},       // RFC 3927
    {v4(172, 16, 0, 0), 12, AddressClass::private_network},   // RFC 1918
    {v4(192, 0, 0, 0), 24, AddressClass::reserved},           // IETF protocol assignments
    {v4(192, 0, 2, 0), 24, AddressClass::documentation},      // TEST-NET-1, RFC 5737
    {v4(192, 88, 99, 0), 24, AddressClass::reserved},         // 6to4 relay anycast, RFC 7526
    {v4(192, 168, 0, 0), 16, AddressClass::private_network},  // RFC 1918
    {v4(198, 18, 0, 0), 15, AddressClass::benchmarking},      // RFC 2544
    {v4(198, 51, 100, 0), 24, AddressClass::documentation},   // TEST-NET-2
    {v4(203, 0, 113, 0), 24, AddressClass::documentation},    // TEST-NET-3
    {v4(224, 0, 0, 0), 4, AddressClass::multicast},           // RFC 5771
    {v4(255, 255, 255, 255), 32, AddressClass::broadcast},    // RFC 919
    {v4(240, 0, 0, 0), 4, AddressClass::reserved},            // RFC 1112
}};

using Bytes16 = address_v6::bytes_type;

// True when the first `bits` bits of `bytes` equal those of `prefix`.
bool has_prefix(const Bytes16& bytes, std::span<const unsigned char> prefix, int bits) {
  for (int i = 0; i < bits; i += 8) {
    const int remaining = bits - i;
    const unsigned mask = remaining >= 8 ? 0xFFu : (0xFFu << (8 - remaining)) & 0xFFu;
    if ((bytes[static_cast<std::size_t>(i / 8)] & mask) !=
        (prefix[static_cast<std::size_t>(i / 8)] & mask))
      return false;
  }
  return true;
}

struct Prefix6 {
  std::array<unsigned char, 6> start;  // enough bytes for the longest prefix below
  int length;
  AddressClass kind;
};

// IPv6 ranges after the special cases handled in code (::, ::1, ::ffff:0:0/96,
// ::/96, 2002::/16), most specific first.
constexpr std::array<Prefix6, 11> kIpv6Prefixes{{
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x00}, 96, AddressClass::nat64},         // RFC 6052 (rest zero)
    {{0x00, 0x64, 0xff, 0x9b, 0x00, 0x01}, 48, AddressClass::nat64},         // RFC 8215
    {{0x01, 0x00, 0x00, 0x00, 0x00, 0x00}, 64, AddressClass::discard_only},  // RFC 6666
    {{0x20, 0x01, 0x00, 0x00, 0x00, 0x00}, 32, AddressClass::teredo},        // RFC 4380
    {{0x20, 0x01, 0x00, 0x02, 0x00, 0x00}, 48, AddressClass::benchmarking},  // RFC 5180
    {{0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00}, 32, AddressClass::documentation},  // RFC 3849
    {{0x20, 0x01, 0x00, 0x00, 0x00, 0x00},
     23,
     AddressClass::reserved},  // IETF protocol assignments
    {{0x3f, 0xff, 0x00, 0x00, 0x00, 0x00}, 20, AddressClass::documentation},   // RFC 9637
    {{0xfc, 0x00, 0x00, 0x00, 0x00, 0x00}, 7, AddressClass::private_network},  // RFC 4193
    {{0xfe, 0x80, 0x00, 0x00, 0x00, 0x00}, 10, AddressClass::link_local},      // RFC 4291
    {{0xfe, 0xc0, 0x00, 0x00, 0x00, 0x00}, 10, AddressClass::site_local},      // RFC 3879
}};

bool matches(const Bytes16& bytes, const Prefix6& prefix) {
  // 64:ff9b::/96 has zeros in bytes 6 to 11, beyond the stored start.
  if (prefix.length > 48) {
    for (int i = 6; i < prefix.length / 8; ++i)
      if (bytes[static_cast<std::size_t>(i)] != 0) return false;
    return has_prefix(bytes, prefix.start, 48);
  }
  return has_prefix(bytes, prefix.start, prefix.length);
}

address_v4 v4_from(const Bytes16& bytes, std::size_t at) {
  return address_v4(address_v4::bytes_type{bytes[at], bytes[at + 1], bytes[at + 2], bytes[at + 3]});
}

// An IPv4-mapped IPv6 address reaches the IPv4 address it carries; the
// allowlist compares the IPv4 form.
address canonical(const address& a) {
  if (a.is_v6() && a.to_v6().is_v4_mapped())
    return boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, a.to_v6());
  return a;
}

std::optional<std::uint16_t> parse_port(std::string_view text) {
  if (text.empty() || text.size() > 5) return std::nullopt;
  std::uint32_t value = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
  }
  if (value == 0 || value > 65535) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

std::string endpoint_text(const address& a, std::uint16_t port) {
  return (a.is_v6() ? "[" + a.to_string() + "]" : a.to_string()) + ":" + std::to_string(port);
}

}  // namespace

std::string_view describe(AddressClass kind) {
  switch (kind) {
    case AddressClass::global:
      return "global";
    case AddressClass::unspecified:
      return "unspecified";
    case AddressClass::loopback:
      return "loopback";
    case AddressClass::private_network:
      return "private network";
    case AddressClass::shared_address:
      return "shared address space (carrier-grade NAT)";
    case AddressClass::link_local:
      return "link-local";
    case AddressClass::site_local:
      return "site-local";
    case AddressClass::multicast:
      return "multicast";
    case AddressClass::broadcast:
      return "broadcast";
    case AddressClass::documentation:
      return "reserved for documentation";
    case AddressClass::benchmarking:
      return "reserved for benchmarking";
    case AddressClass::reserved:
      return "reserved";
    case AddressClass::ipv4_compatible:
      return "IPv4-compatible (deprecated)";
    case AddressClass::nat64:
      return "NAT64";
    case AddressClass::teredo:
      return "Teredo";
    case AddressClass::discard_only:
      return "discard-only";
  }
  return "unknown";
}

AddressClassification classify(const address_v4& a) {
  const std::uint32_t value = a.to_uint();
  for (const auto& prefix : kIpv4Prefixes) {
    const std::uint32_t mask = prefix.length == 0 ? 0 : ~std::uint32_t{0} << (32 - prefix.length);
    if ((value & mask) == prefix.network) return {prefix.kind, {}, {}};
  }
  return {AddressClass::global, {}, {}};
}

AddressClassification classify(const address_v6& a) {
  const Bytes16 bytes = a.to_bytes();
  static constexpr std::array<unsigned char, 12> kZeros{};
  static constexpr std::array<unsigned char, 12> kMapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

  if (a.is_unspecified()) return {AddressClass::unspecified, {}, {}};
  if (a.is_loopback()) return {AddressClass::loopback, {}, {}};
  // ::ffff:0:0/96 (RFC 4291 2.5.5.2): judged by the IPv4 address it carries.
  if (has_prefix(bytes, kMapped, 96)) {
    const address_v4 carried = v4_from(bytes, 12);
    return {classify(carried).kind, "IPv4-mapped", carried};
  }
  // ::/96 other than :: and ::1: IPv4-compatible, deprecated, never valid.
  if (has_prefix(bytes, kZeros, 96)) return {AddressClass::ipv4_compatible, {}, {}};
  // 2002::/16 (RFC 3056): 6to4, reaching the IPv4 address in bits 16 to 47.
  if (bytes[0] == 0x20 && bytes[1] == 0x02) {
    const address_v4 carried = v4_from(bytes, 2);
    return {classify(carried).kind, "6to4", carried};
  }
  for (const auto& prefix : kIpv6Prefixes)
    if (matches(bytes, prefix)) return {prefix.kind, {}, {}};
  if (bytes[0] == 0xff) return {AddressClass::multicast, {}, {}};  // ff00::/8
  // Global unicast is 2000::/3 (RFC 4291 2.4); everything else is reserved.
  if ((bytes[0] & 0xE0) != 0x20) return {AddressClass::reserved, {}, {}};
  return {AddressClass::global, {}, {}};
}

AddressClassification classify(const address& a) {
  return a.is_v4() ? classify(a.to_v4()) : classify(a.to_v6());
}

AllowlistEntryResult parse_allowlist_entry(std::string_view text) {
  AllowlistEntryResult result;
  auto fail = [&](std::string_view what) {
    result.error = "address allowlist entry \"" + std::string(text) + "\": " + std::string(what);
    return result;
  };
  std::string_view host, port;
  if (!text.empty() && text.front() == '[') {
    const auto close = text.find("]:");
    if (close == std::string_view::npos)
      return fail("expected [IPv6 address]:port, e.g. [::1]:8443");
    host = text.substr(1, close - 1);
    port = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return fail("expected address:port, e.g. 127.0.0.1:8443");
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
    if (host.find(':') != std::string_view::npos)
      return fail("an IPv6 address must be in brackets, e.g. [::1]:8443");
  }
  if (host.find('%') != std::string_view::npos) return fail("zone identifiers are not supported");
  boost::system::error_code ec;
  address parsed;
  if (!text.empty() && text.front() == '[') {
    parsed = boost::asio::ip::make_address_v6(std::string(host), ec);
  } else {
    parsed = boost::asio::ip::make_address_v4(std::string(host), ec);
  }
  if (ec) return fail("not an IP address (host names are not allowed here)");
  const auto port_number = parse_port(port);
  if (!port_number) return fail("port must be a number from 1 to 65535");
  result.endpoint = AllowedEndpoint{canonical(parsed), *port_number};
  return result;
}

AddressGuard::AddressGuard(std::vector<AllowedEndpoint> allowlist)
    : allowlist_(std::move(allowlist)) {
  for (auto& entry : allowlist_) entry.address = canonical(entry.address);
}

AddressGuard AddressGuard::from_config(const std::vector<std::string>& entries) {
  std::vector<AllowedEndpoint> allowlist;
  for (const auto& entry : entries) {
    auto parsed = parse_allowlist_entry(entry);
    if (!parsed) throw std::invalid_argument(parsed.error);
    allowlist.push_back(*parsed.endpoint);
  }
  return AddressGuard(std::move(allowlist));
}

AddressDecision AddressGuard::check(const address& a, std::uint16_t port) const {
  const AddressClassification c = classify(a);
  AddressDecision decision;
  decision.kind = c.kind;
  std::string what = a.to_string() + " is ";
  if (!c.carried_by.empty())
    what += std::string(c.carried_by) + " for " + c.carried.to_string() + ", which is ";
  what += describe(c.kind);

  if (c.kind == AddressClass::global) {
    decision.allowed = true;
    decision.reason = std::move(what);
    return decision;
  }
  const AllowedEndpoint wanted{canonical(a), port};
  for (const auto& entry : allowlist_) {
    if (entry == wanted) {
      decision.allowed = true;
      decision.allowlisted = true;
      decision.reason = what + ", allowed for " + endpoint_text(wanted.address, port);
      return decision;
    }
  }
  decision.reason = std::move(what);
  return decision;
}

}  // namespace kith::http
