// libFuzzer target: URLs and hosts from the network (kith::http::parse_url
// and normalize_host), plus the address guard's classification and
// allowlist-entry parser, which see addresses and configuration text.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks the promises
// of url.hpp: the normal form is within the size limit, parses again to the
// same Url (a fixed point, so comparing normal forms is comparing URLs), has
// an http(s) scheme, a non-zero port and a host made only of the characters
// a host may have; normalize_host is idempotent; and an IPv4-mapped address
// is classified exactly as the IPv4 address it carries.
#include <boost/asio/ip/address.hpp>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <string>
#include <string_view>

#include "kith/http/address_guard.hpp"
#include "kith/http/url.hpp"

namespace {

using namespace kith::http;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

bool host_characters_ok(const Origin& origin) {
  for (char c : origin.host) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
    switch (origin.host_kind) {
      case HostKind::name:
        if (!alnum && c != '-' && c != '_' && c != '.') return false;
        break;
      case HostKind::ipv4:
        if (!(c >= '0' && c <= '9') && c != '.') return false;
        break;
      case HostKind::ipv6:
        if (!alnum && c != ':' && c != '.') return false;
        break;
    }
  }
  return !origin.host.empty();
}

void check_url(std::string_view input) {
  const UrlResult result = parse_url(input);
  require(result.url.has_value() == (result.error == UrlError::none), "value or error");
  if (!result) {
    require(!describe(result.error).empty(), "errors are described");
    return;
  }
  const Url& url = *result.url;
  const std::string text = url.text();
  require(text.size() <= kMaxUrlLength, "normal form within kMaxUrlLength");
  require(url.origin.scheme == "https" || url.origin.scheme == "http", "http(s) only");
  require(url.origin.port != 0, "explicit non-zero port");
  require(host_characters_ok(url.origin), "host characters");
  require(url.origin.host.size() <= kMaxHostLength || url.origin.host_kind != HostKind::name,
          "host length");
  require(!url.path.empty() && url.path.front() == '/', "path starts with /");
  require(url.request_target().find('#') == std::string::npos, "no fragment in the target");
  require(same_origin(url.origin, url.origin), "same_origin is reflexive");
  require(text.starts_with(url.origin.serialize()), "text starts with the origin");

  const UrlResult again = parse_url(text);
  require(again.url.has_value(), "the normal form parses");
  require(*again.url == url, "the normal form is a fixed point");
  const UrlResult bare = parse_url(url.text_without_fragment());
  require(bare.url.has_value() && !bare.url->has_fragment, "text without fragment parses");
  require(same_origin(bare.url->origin, url.origin), "same origin without the fragment");
}

void check_host(std::string_view input) {
  const HostResult host = normalize_host(input);
  if (!host) return;
  const std::string text = host.kind == HostKind::ipv6 ? "[" + host.host + "]" : host.host;
  const HostResult again = normalize_host(text);
  require(static_cast<bool>(again), "a normalised host normalises");
  require(again.host == host.host && again.kind == host.kind, "normalize_host is idempotent");
}

void check_addresses(const std::uint8_t* data, std::size_t size) {
  if (size < 16) return;
  boost::asio::ip::address_v6::bytes_type bytes;
  std::memcpy(bytes.data(), data, 16);
  const boost::asio::ip::address_v6 v6(bytes);
  const auto c6 = classify(v6);
  require(!describe(c6.kind).empty(), "classes are described");
  const boost::asio::ip::address_v4 v4(
      boost::asio::ip::address_v4::bytes_type{data[12], data[13], data[14], data[15]});
  boost::asio::ip::address_v6::bytes_type mapped{};
  mapped[10] = mapped[11] = 0xff;
  std::memcpy(mapped.data() + 12, data + 12, 4);
  const auto cm = classify(boost::asio::ip::address_v6(mapped));
  require(cm.kind == classify(v4).kind, "IPv4-mapped is judged by its IPv4 address");
  const AddressGuard guard;
  const auto decision = guard.check(boost::asio::ip::address(v6), 443);
  require(decision.allowed == (c6.kind == AddressClass::global), "allowed exactly when global");
}

void check_allowlist_entry(std::string_view input) {
  const auto entry = parse_allowlist_entry(input);
  if (!entry) {
    require(!entry.error.empty(), "refusals explain themselves");
    return;
  }
  require(entry.endpoint->port != 0, "allowlisted port is not 0");
  const AddressGuard guard({*entry.endpoint});
  require(guard.check(entry.endpoint->address, entry.endpoint->port).allowed,
          "a listed endpoint is allowed");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    check_url(input);
    check_host(input);
    check_addresses(data, size);
    check_allowlist_entry(input);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
