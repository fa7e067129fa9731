// Absolute http(s) URLs from the network, parsed once into one normal form.
//
// Federation decides trust by comparing URLs: an object's id with the URL it
// was fetched from, a key's owner with an activity's actor, an object's host
// with its author's. Other servers were fooled because two spellings of one
// host compared unequal, or two different hosts compared equal (Mastodon
// CVE-2023-42451). The one idea here: every URL goes through parse_url, which
// lets Boost.URL apply the RFC 3986 grammar and then puts the host in a single
// normal form (lowercase, IDNA to punycode with libidn2, one trailing dot
// stripped, default port made explicit), so that comparing two parsed URLs,
// or their Origins, is a plain equality. What it must never do: accept a URL
// it cannot normalise (userinfo, empty or odd hosts, numbers that some
// resolvers read as IPv4 addresses, ports out of range), or change a path,
// query or fragment other than by percent-encoding non-ASCII bytes.
//
// Fragments. A fragment is kept apart from the rest and is never part of a
// request target. Fragments are legitimate in ids (key ids such as
// https://host/users/alice#main-key, and Mastodon's activity ids such as
// .../statuses/1#likes/2), so parse_url accepts them; code that compares a
// fetched document's id with the URL it fetched must require that id to have
// no fragment (a document served at a URL is that URL, not a part of it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kith::http {

// Longer URLs are refused before any parsing (ids, inboxes and key ids are
// far shorter; 2048 is also what most servers accept in a request line).
inline constexpr std::size_t kMaxUrlLength = 2048;
// RFC 1035 2.3.4: a name is at most 255 octets on the wire, so at most 253
// characters in text without the trailing dot; a label at most 63.
inline constexpr std::size_t kMaxHostLength = 253;
inline constexpr std::size_t kMaxLabelLength = 63;

enum class HostKind { name, ipv4, ipv6 };

// The origin of a URL (RFC 6454 4): scheme, host and port, all normalised,
// so that two origins are the same exactly when they compare equal.
struct Origin {
  std::string scheme;      // "https" or "http"
  std::string host;        // normalised; an IPv6 address without brackets
  std::uint16_t port = 0;  // always explicit: 443 or 80 when the URL had none
  HostKind host_kind = HostKind::name;

  bool operator==(const Origin&) const = default;

  // "https://example.com", "https://localhost:8443", "http://[::1]:8080":
  // the default port is omitted.
  std::string serialize() const;
  // host[:port] with the default port omitted, IPv6 in brackets: the value
  // of a Host header and of RFC 9421's @authority.
  std::string authority() const;
  bool default_port() const;
};

// Same scheme, same normalised host, same port.
bool same_origin(const Origin& a, const Origin& b);

struct Url {
  Origin origin;
  std::string path;   // as received (percent-encoded), "/" when empty
  std::string query;  // after '?', as received
  bool has_query = false;
  std::string fragment;  // after '#', as received
  bool has_fragment = false;

  bool operator==(const Url&) const = default;

  // The normal form: scheme://authority path [?query] [#fragment]. Parsing
  // it again gives the same Url.
  std::string text() const;
  // The same without the fragment: what is fetched, and what a fetched
  // document's id must equal.
  std::string text_without_fragment() const;
  // path [?query]: the origin-form request target (RFC 9112 3.2.1).
  std::string request_target() const;
};

enum class UrlError {
  none,
  too_long,            // over kMaxUrlLength
  malformed,           // not an RFC 3986 URI (spaces, controls, bad escapes...)
  unsupported_scheme,  // not http or https
  userinfo,            // user:password@ is never accepted
  empty_host,
  bad_host,  // characters outside a host name, bad IDNA, number-like
  host_too_long,
  bad_port,  // 0, over 65535
};

// A short English description of the error, for logs and error bodies.
std::string_view describe(UrlError error);

struct UrlResult {
  std::optional<Url> url;
  UrlError error = UrlError::none;
  explicit operator bool() const { return url.has_value(); }
};

// Parses an absolute http or https URL and normalises it as described above.
// Input that is not valid UTF-8, or is longer than kMaxUrlLength, is refused.
UrlResult parse_url(std::string_view text);

struct HostResult {
  std::string host;  // normalised; IPv6 without brackets
  HostKind kind = HostKind::name;
  UrlError error = UrlError::none;
  explicit operator bool() const { return error == UrlError::none; }
};

// Normalises a host as it appears in a URL's authority or an acct: handle
// ("Example.COM.", "bücher.example", "127.0.0.1", "[::1]"): IP literals are
// put in their canonical text form (RFC 5952 for IPv6); names are mapped with
// UTS #46 (non-transitional) and converted to punycode, lowercased, and lose
// one trailing dot. A name must then consist of labels of letters, digits,
// '-' and '_' (1 to 63 each, 253 in all); a name whose last label is a
// number (2130706433, 0x7f.1, 127.1) is refused, because resolvers read such
// names as IPv4 addresses in forms that compare unequal to the real one.
HostResult normalize_host(std::string_view host);

// RFC 3629 4: whether `text` is well-formed UTF-8 (no overlong forms, no
// surrogates, nothing above U+10FFFF).
bool valid_utf8(std::string_view text);

}  // namespace kith::http
