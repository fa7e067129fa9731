// Which IP addresses kith's outgoing client may connect to.
//
// A remote server chooses the URLs kith fetches (actor ids, inboxes, key ids,
// attachments), so without a check it could make kith request the admin page
// of a router on the operator's LAN, a cloud metadata service, or the
// database port on loopback (server-side request forgery). The one idea: the
// check is made on the address actually connected to, after DNS resolution
// and for every redirect, and it is a positive test: an address is allowed
// when it is globally routable unicast, and every special-purpose range in
// the IANA IPv4 and IPv6 registries is refused, including the IPv6 forms
// that carry an IPv4 address inside (IPv4-mapped and 6to4 are judged by the
// address they carry; IPv4-compatible, NAT64 and Teredo are refused
// outright). The only way past it is an allowlist of exact (address, port)
// pairs from the configuration, which tests use to reach the peers they start
// on loopback; everything else on loopback stays refused. What it must never
// do: allow a non-global address that is not listed, or match a listed
// address on another port.
#pragma once

#include <boost/asio/ip/address.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::http {

enum class AddressClass {
  global,           // globally routable unicast: allowed
  unspecified,      // 0.0.0.0/8, ::/128
  loopback,         // 127.0.0.0/8, ::1/128
  private_network,  // 10/8, 172.16/12, 192.168/16, fc00::/7 (unique local)
  shared_address,   // 100.64.0.0/10 (carrier-grade NAT, RFC 6598)
  link_local,       // 169.254.0.0/16, fe80::/10
  site_local,       // fec0::/10 (deprecated by RFC 3879, still routable on some LANs)
  multicast,        // 224.0.0.0/4, ff00::/8
  broadcast,        // 255.255.255.255
  documentation,    // 192.0.2/24, 198.51.100/24, 203.0.113/24, 2001:db8::/32, 3fff::/20
  benchmarking,     // 198.18.0.0/15, 2001:2::/48
  reserved,         // 240.0.0.0/4, 192.0.0.0/24, 192.88.99.0/24, 2001::/23, outside 2000::/3
  ipv4_compatible,  // ::a.b.c.d (deprecated by RFC 4291 2.5.5.1)
  nat64,            // 64:ff9b::/96 (RFC 6052), 64:ff9b:1::/48 (RFC 8215)
  teredo,           // 2001::/32 (RFC 4380)
  discard_only,     // 100::/64 (RFC 6666)
};

// "loopback", "private network"...: for logs and error messages.
std::string_view describe(AddressClass kind);

struct AddressClassification {
  AddressClass kind = AddressClass::reserved;
  // Set when `kind` is that of an IPv4 address carried inside an IPv6 one:
  // "IPv4-mapped" (::ffff:a.b.c.d) or "6to4" (2002:AABB:CCDD::/48).
  std::string_view carried_by;
  boost::asio::ip::address_v4 carried;
};

AddressClassification classify(const boost::asio::ip::address& address);
AddressClassification classify(const boost::asio::ip::address_v4& address);
AddressClassification classify(const boost::asio::ip::address_v6& address);

// An exact address and port that the configuration allows even though the
// address is not global. An IPv4-mapped IPv6 address is stored as IPv4.
struct AllowedEndpoint {
  boost::asio::ip::address address;
  std::uint16_t port = 0;
  bool operator==(const AllowedEndpoint&) const = default;
};

struct AllowlistEntryResult {
  std::optional<AllowedEndpoint> endpoint;
  std::string error;  // names the entry, for start-up errors
  explicit operator bool() const { return endpoint.has_value(); }
};

// Parses "127.0.0.1:8443" or "[::1]:8443": an IP address in its usual text
// form (IPv6 in brackets, no zone) and a port from 1 to 65535. Host names
// are refused: the allowlist is about where kith connects, after DNS.
AllowlistEntryResult parse_allowlist_entry(std::string_view text);

struct AddressDecision {
  bool allowed = false;
  AddressClass kind = AddressClass::reserved;
  bool allowlisted = false;  // allowed only because the pair is listed
  std::string reason;        // e.g. "127.0.0.1 is loopback", for logs and errors
  explicit operator bool() const { return allowed; }
};

class AddressGuard {
 public:
  AddressGuard() = default;
  explicit AddressGuard(std::vector<AllowedEndpoint> allowlist);

  // From configuration entries; throws std::invalid_argument whose message
  // names the first bad entry (bad configuration fails fast at start-up).
  static AddressGuard from_config(const std::vector<std::string>& entries);

  // Allowed when the address is global, or when (address, port) is listed.
  AddressDecision check(const boost::asio::ip::address& address, std::uint16_t port) const;

  const std::vector<AllowedEndpoint>& allowlist() const { return allowlist_; }

 private:
  std::vector<AllowedEndpoint> allowlist_;
};

}  // namespace kith::http
