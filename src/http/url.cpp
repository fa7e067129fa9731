// URL parsing and host normalisation: Boost.URL for the RFC 3986 grammar,
// libidn2 for IDNA, and kith's own rules for what a host may be.
#include "kith/http/url.hpp"

#include <idn2.h>

#include <algorithm>
#include <boost/url/ipv4_address.hpp>
#include <boost/url/ipv6_address.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>
#include <memory>

namespace kith::http {

namespace {

namespace urls = boost::urls;

bool is_ascii_digit(char c) {
  return c >= '0' && c <= '9';
}
bool is_ascii_hex(char c) {
  return is_ascii_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}
char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string_view to_std(urls::string_view s) {
  return {s.data(), s.size()};
}

bool has_non_ascii(std::string_view text) {
  return std::any_of(text.begin(), text.end(),
                     [](char c) { return static_cast<unsigned char>(c) >= 0x80; });
}

// Bytes above 0x7F become %XX, as a browser does for a path typed with
// non-ASCII characters (WHATWG URL "UTF-8 percent-encode").
void append_percent_encoding_non_ascii(std::string& out, std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x80) {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
}

// WHATWG URL "ends in a number checker": a last label of digits only, or
// "0x" followed by hex digits, makes browsers (and inet_aton) read the whole
// host as an IPv4 address ("2130706433", "0x7f.1", "127.1").
bool ends_in_number(std::string_view host) {
  const auto dot = host.rfind('.');
  const std::string_view last = dot == std::string_view::npos ? host : host.substr(dot + 1);
  if (last.empty()) return false;
  if (std::all_of(last.begin(), last.end(), is_ascii_digit)) return true;
  if (last.size() >= 2 && last[0] == '0' && (last[1] == 'x' || last[1] == 'X'))
    return std::all_of(last.begin() + 2, last.end(), is_ascii_hex);
  return false;
}

bool has_alabel(std::string_view lowered_host) {
  std::size_t start = 0;
  while (start <= lowered_host.size()) {
    if (lowered_host.substr(start, 4) == "xn--") return true;
    const auto dot = lowered_host.find('.', start);
    if (dot == std::string_view::npos) break;
    start = dot + 1;
  }
  return false;
}

struct Idn2Free {
  void operator()(char* p) const { idn2_free(p); }
};

// UTS #46 processing (non-transitional, as browsers do) and ToASCII.
std::optional<std::string> idna_to_ascii(const std::string& host) {
  char* out = nullptr;
  const int rc =
      idn2_lookup_u8(reinterpret_cast<const uint8_t*>(host.c_str()),
                     reinterpret_cast<uint8_t**>(&out), IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
  std::unique_ptr<char, Idn2Free> owned(out);
  if (rc != IDN2_OK || !owned) return std::nullopt;
  return std::string(owned.get());
}

// RFC 1123 2.1 host names, plus '_' (found in real names, accepted by
// resolvers and browsers): labels of 1 to 63 letters, digits, '-' and '_',
// not starting or ending with '-', at most 253 characters in all.
UrlError check_ascii_name(std::string_view host) {
  if (host.size() > kMaxHostLength) return UrlError::host_too_long;
  std::size_t start = 0;
  while (true) {
    const auto dot = host.find('.', start);
    const std::string_view label =
        host.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start);
    if (label.empty() || label.size() > kMaxLabelLength) return UrlError::bad_host;
    if (label.front() == '-' || label.back() == '-') return UrlError::bad_host;
    for (char c : label) {
      const bool ok = (c >= 'a' && c <= 'z') || is_ascii_digit(c) || c == '-' || c == '_';
      if (!ok) return UrlError::bad_host;
    }
    if (dot == std::string_view::npos) return UrlError::none;
    start = dot + 1;
  }
}

std::uint16_t default_port_of(std::string_view scheme) {
  return scheme == "https" ? 443 : 80;
}

// RFC 3986 3.2.3: port = *DIGIT; an empty port means the default. kith also
// refuses 0, which no server listens on.
std::optional<std::uint16_t> parse_port(std::string_view text, std::string_view scheme) {
  if (text.empty()) return default_port_of(scheme);
  std::uint32_t value = 0;
  for (char c : text) {
    if (!is_ascii_digit(c)) return std::nullopt;
    value = value * 10 + static_cast<std::uint32_t>(c - '0');
    if (value > 65535) return std::nullopt;
  }
  if (value == 0) return std::nullopt;
  return static_cast<std::uint16_t>(value);
}

// For input with non-ASCII bytes, which RFC 3986 does not allow: converts an
// internationalised host to punycode and percent-encodes the rest, so that
// Boost.URL can then parse the result like any other URL. The authority ends
// at the first '/', '?' or '#' (RFC 3986 3.2).
std::optional<std::string> asciify(std::string_view text, UrlError& error) {
  const auto colon = text.find(':');
  const bool has_authority = colon != std::string_view::npos && text.substr(colon + 1, 2) == "//" &&
                             !has_non_ascii(text.substr(0, colon));
  std::string out;
  std::string_view rest = text;
  if (has_authority) {
    const std::size_t start = colon + 3;
    const std::size_t end = std::min(text.find_first_of("/?#", start), text.size());
    std::string_view authority = text.substr(start, end - start);
    out.append(text.substr(0, start));
    if (has_non_ascii(authority)) {
      if (authority.find('@') != std::string_view::npos) {
        error = UrlError::userinfo;
        return std::nullopt;
      }
      std::string_view port;
      if (const auto port_colon = authority.rfind(':'); port_colon != std::string_view::npos) {
        port = authority.substr(port_colon);
        authority = authority.substr(0, port_colon);
      }
      const HostResult host = normalize_host(authority);
      if (!host) {
        error = host.error;
        return std::nullopt;
      }
      out += host.host;
      append_percent_encoding_non_ascii(out, port);  // Boost.URL rejects any left
    } else {
      out.append(authority);
    }
    rest = text.substr(end);
  } else {
    rest = text;
  }
  append_percent_encoding_non_ascii(out, rest);
  return out;
}

// Boost.URL 1.81 can end an authority early and read the rest as a rootless
// path: "http://1.2.3.4.5/" comes out as host 1.2.3.4 and path ".5/", and
// "https://example.com:-1/" as host example.com and path "-1/". RFC 3986 3.3
// says a path after an authority is empty or begins with "/", and the parts
// must add up to the whole input; anything else is refused.
bool split_is_faithful(const urls::url_view& u, std::string_view input) {
  const std::string_view path = to_std(u.encoded_path());
  if (u.has_authority() && !path.empty() && path.front() != '/') return false;
  std::string rebuilt(to_std(u.scheme()));
  rebuilt += ':';
  if (u.has_authority()) {
    rebuilt += "//";
    rebuilt += to_std(u.encoded_authority());
  }
  rebuilt += path;
  if (u.has_query()) rebuilt += "?" + std::string(to_std(u.encoded_query()));
  if (u.has_fragment()) rebuilt += "#" + std::string(to_std(u.encoded_fragment()));
  return rebuilt == input;
}

}  // namespace

std::string_view describe(UrlError error) {
  switch (error) {
    case UrlError::none:
      return "no error";
    case UrlError::too_long:
      return "URL too long";
    case UrlError::malformed:
      return "malformed URL";
    case UrlError::unsupported_scheme:
      return "URL scheme is not http or https";
    case UrlError::userinfo:
      return "URL has user information";
    case UrlError::empty_host:
      return "URL has no host";
    case UrlError::bad_host:
      return "URL host is not a valid host name or address";
    case UrlError::host_too_long:
      return "URL host too long";
    case UrlError::bad_port:
      return "URL port out of range";
  }
  return "unknown URL error";
}

bool Origin::default_port() const {
  return port == default_port_of(scheme);
}

std::string Origin::authority() const {
  std::string out = host_kind == HostKind::ipv6 ? "[" + host + "]" : host;
  if (!default_port()) out += ":" + std::to_string(port);
  return out;
}

std::string Origin::serialize() const {
  return scheme + "://" + authority();
}

bool same_origin(const Origin& a, const Origin& b) {
  return a == b;
}

std::string Url::request_target() const {
  return has_query ? path + "?" + query : path;
}

std::string Url::text_without_fragment() const {
  return origin.serialize() + request_target();
}

std::string Url::text() const {
  std::string out = text_without_fragment();
  if (has_fragment) out += "#" + fragment;
  return out;
}

HostResult normalize_host(std::string_view host) {
  HostResult result;
  auto fail = [&](UrlError error) {
    result.host.clear();
    result.error = error;
    return result;
  };
  if (host.empty()) return fail(UrlError::empty_host);
  if (host.size() > kMaxUrlLength) return fail(UrlError::host_too_long);

  // RFC 3986 3.2.2: IP-literal = "[" ( IPv6address / IPvFuture ) "]". Zone
  // identifiers (RFC 6874) and IPvFuture have no use here and are refused.
  if (host.front() == '[') {
    if (host.size() < 2 || host.back() != ']') return fail(UrlError::bad_host);
    auto v6 = urls::parse_ipv6_address(urls::string_view(host.data() + 1, host.size() - 2));
    if (!v6) return fail(UrlError::bad_host);
    result.kind = HostKind::ipv6;
    result.host = v6->to_string();
    return result;
  }
  // IPv4address = dec-octet "." dec-octet "." dec-octet "." dec-octet, in
  // its only canonical form (no leading zeros, four parts).
  if (auto v4 = urls::parse_ipv4_address(urls::string_view(host.data(), host.size()))) {
    result.kind = HostKind::ipv4;
    result.host = v4->to_string();
    return result;
  }

  // A registered name. Controls, spaces and percent-escapes are refused
  // before IDNA sees them (libidn2 takes a NUL-terminated string).
  for (char c : host) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte <= 0x20 || byte == 0x7F || c == '%') return fail(UrlError::bad_host);
  }
  if (!valid_utf8(host)) return fail(UrlError::bad_host);
  std::string name(host);
  // A fully qualified name may end with a dot ("example.com."); it names
  // the same host, so exactly one is removed. "example.com.." stays invalid.
  if (name.back() == '.') name.pop_back();
  if (name.empty()) return fail(UrlError::empty_host);
  for (char& c : name) c = ascii_lower(c);
  if (has_non_ascii(name) || has_alabel(name)) {
    auto ascii = idna_to_ascii(name);
    if (!ascii) return fail(UrlError::bad_host);
    name = std::move(*ascii);
  }
  if (const UrlError error = check_ascii_name(name); error != UrlError::none) return fail(error);
  if (ends_in_number(name)) return fail(UrlError::bad_host);
  result.kind = HostKind::name;
  result.host = std::move(name);
  return result;
}

UrlResult parse_url(std::string_view text) {
  UrlResult result;
  auto fail = [&](UrlError error) {
    result.url.reset();
    result.error = error;
    return result;
  };
  if (text.size() > kMaxUrlLength) return fail(UrlError::too_long);
  if (!valid_utf8(text)) return fail(UrlError::malformed);

  std::string ascii;
  if (has_non_ascii(text)) {
    UrlError error = UrlError::malformed;
    auto converted = asciify(text, error);
    if (!converted) return fail(error);
    ascii = std::move(*converted);
  } else {
    ascii = std::string(text);
  }

  // RFC 3986 3: URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ]
  auto parsed = urls::parse_uri(urls::string_view(ascii.data(), ascii.size()));
  if (!parsed) return fail(UrlError::malformed);
  const urls::url_view& u = *parsed;
  if (!split_is_faithful(u, ascii)) return fail(UrlError::malformed);

  Url url;
  if (u.scheme_id() == urls::scheme::https) {
    url.origin.scheme = "https";
  } else if (u.scheme_id() == urls::scheme::http) {
    url.origin.scheme = "http";
  } else {
    return fail(UrlError::unsupported_scheme);
  }
  if (!u.has_authority()) return fail(UrlError::empty_host);
  if (u.has_userinfo()) return fail(UrlError::userinfo);
  if (u.host_type() == urls::host_type::ipvfuture) return fail(UrlError::bad_host);
  if (u.host_type() == urls::host_type::none) return fail(UrlError::empty_host);

  const HostResult host = normalize_host(to_std(u.encoded_host()));
  if (!host) return fail(host.error);
  url.origin.host = host.host;
  url.origin.host_kind = host.kind;

  if (u.has_port()) {
    auto port = parse_port(to_std(u.port()), url.origin.scheme);
    if (!port) return fail(UrlError::bad_port);
    url.origin.port = *port;
  } else {
    url.origin.port = default_port_of(url.origin.scheme);
  }

  // RFC 9110 4.2.3: an empty path is equivalent to "/".
  url.path = std::string(to_std(u.encoded_path()));
  if (url.path.empty()) url.path = "/";
  url.has_query = u.has_query();
  url.query = std::string(to_std(u.encoded_query()));
  url.has_fragment = u.has_fragment();
  url.fragment = std::string(to_std(u.encoded_fragment()));

  // Punycode and percent-encoding can make the normal form longer than the
  // input; it must fit the limit too, so that parsing it again succeeds.
  if (url.text().size() > kMaxUrlLength) return fail(UrlError::too_long);
  result.url = std::move(url);
  return result;
}

// RFC 3629 4: well-formed UTF-8 (no overlong forms, no surrogates, nothing
// above U+10FFFF).
bool valid_utf8(std::string_view text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const auto* end = p + text.size();
  while (p < end) {
    const unsigned char c = *p;
    std::size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // allowed range of the second byte
    if (c < 0x80) {
      ++p;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      length = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      length = 3;
      if (c == 0xE0) low = 0xA0;   // overlong
      if (c == 0xED) high = 0x9F;  // surrogates
    } else if (c >= 0xF0 && c <= 0xF4) {
      length = 4;
      if (c == 0xF0) low = 0x90;   // overlong
      if (c == 0xF4) high = 0x8F;  // above U+10FFFF
    } else {
      return false;
    }
    if (static_cast<std::size_t>(end - p) < length) return false;
    if (p[1] < low || p[1] > high) return false;
    for (std::size_t i = 2; i < length; ++i)
      if (p[i] < 0x80 || p[i] > 0xBF) return false;
    p += length;
  }
  return true;
}

}  // namespace kith::http
