// acct: URIs and account handles (acct.hpp): split at the one '@', decode
// and check the user part, normalise the host with kith::http.
#include "kith/ap/acct.hpp"

#include <charconv>

namespace kith::ap {
namespace {

constexpr std::string_view kScheme = "acct:";
constexpr int kDefaultPort = 443;  // WebFinger is https

bool is_alpha(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
bool is_digit(char c) {
  return c >= '0' && c <= '9';
}
int hex_value(char c) {
  if (is_digit(c)) return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// RFC 3986 2.3: unreserved = ALPHA / DIGIT / "-" / "." / "_" / "~"
// RFC 3986 2.2: sub-delims = "!" / "$" / "&" / "'" / "(" / ")" / "*" / "+" /
//                            "," / ";" / "="
// and ':' (see parse_acct_uri in acct.hpp).
bool is_user_char(char c) {
  if (is_alpha(c) || is_digit(c)) return true;
  switch (c) {
    case '-':
    case '.':
    case '_':
    case '~':
    case '!':
    case '$':
    case '&':
    case '\'':
    case '(':
    case ')':
    case '*':
    case '+':
    case ',':
    case ';':
    case '=':
    case ':':
      return true;
    default:
      return false;
  }
}

// The user part: RFC 7565 characters and percent-escapes; in the handle and
// bare forms (typed by people, not URIs) raw UTF-8 too. The decoded user
// must be valid UTF-8 without controls, NUL or '/'.
AcctError decode_user(std::string_view raw, bool allow_raw_utf8, std::string& out) {
  if (raw.empty()) return AcctError::empty_user;
  out.clear();
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const char c = raw[i];
    if (c == '%') {
      if (i + 2 >= raw.size()) return AcctError::bad_user;  // needs two hex digits
      const int high = hex_value(raw[i + 1]), low = hex_value(raw[i + 2]);
      if (high < 0 || low < 0) return AcctError::bad_user;
      out += static_cast<char>(high * 16 + low);
      i += 2;
    } else if (is_user_char(c) || (allow_raw_utf8 && static_cast<unsigned char>(c) >= 0x80)) {
      out += c;
    } else {
      return AcctError::bad_user;
    }
    if (out.size() > kMaxAcctUserBytes) return AcctError::user_too_long;
  }
  for (char c : out) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte == 0x7F || c == '/') return AcctError::bad_user;
  }
  if (!http::valid_utf8(out)) return AcctError::bad_user;
  return AcctError::none;
}

AcctResult fail(AcctError error) {
  return AcctResult{std::nullopt, error};
}

// `text` without its form's prefix: user "@" host, exactly one '@'.
AcctResult parse_parts(std::string_view text, AcctForm form) {
  const auto at = text.find('@');
  if (at == std::string_view::npos || text.find('@', at + 1) != std::string_view::npos)
    return fail(AcctError::missing_at);
  Acct acct;
  acct.form = form;
  if (AcctError e = decode_user(text.substr(0, at), form != AcctForm::uri, acct.user);
      e != AcctError::none)
    return fail(e);
  AuthorityResult host = normalize_authority(text.substr(at + 1));
  if (!host) return fail(host.error);
  acct.host = std::move(host.authority);
  return AcctResult{std::move(acct), AcctError::none};
}

bool starts_with_scheme(std::string_view text) {
  if (text.size() < kScheme.size()) return false;
  for (std::size_t i = 0; i < kScheme.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != kScheme[i]) return false;
  }
  return true;
}

}  // namespace

std::string_view describe(AcctError error) {
  switch (error) {
    case AcctError::none:
      return "no error";
    case AcctError::too_long:
      return "account handle too long";
    case AcctError::not_acct:
      return "not an acct: URI";
    case AcctError::missing_at:
      return "account handle needs exactly one '@' between user and host";
    case AcctError::empty_user:
      return "account handle has no user";
    case AcctError::bad_user:
      return "account handle has a malformed user part";
    case AcctError::user_too_long:
      return "account handle's user part is too long";
    case AcctError::empty_host:
      return "account handle has no host";
    case AcctError::bad_host:
      return "account handle's host is not a valid host name or address";
    case AcctError::bad_port:
      return "account handle's port is out of range";
  }
  return "unknown error";
}

std::string Acct::text() const {
  return user + "@" + host;
}

std::string Acct::uri() const {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out(kScheme);
  for (char c : user) {
    if (is_user_char(c)) {
      out += c;
    } else {
      const auto byte = static_cast<unsigned char>(c);
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  out += '@';
  out += host;
  return out;
}

AuthorityResult normalize_authority(std::string_view authority) {
  AuthorityResult result;
  if (authority.empty()) {
    result.error = AcctError::empty_host;
    return result;
  }
  // RFC 3986 3.2: authority = host [ ":" port ]; an IPv6 host is bracketed,
  // so the port separator is the last ':' outside the brackets.
  std::string_view host = authority, port;
  bool has_port = false;
  if (authority.front() == '[') {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) {
      result.error = AcctError::bad_host;
      return result;
    }
    host = authority.substr(0, close + 1);
    std::string_view rest = authority.substr(close + 1);
    if (!rest.empty()) {
      if (rest.front() != ':') {
        result.error = AcctError::bad_host;
        return result;
      }
      has_port = true;
      port = rest.substr(1);
    }
  } else if (const auto colon = authority.rfind(':'); colon != std::string_view::npos) {
    host = authority.substr(0, colon);
    port = authority.substr(colon + 1);
    has_port = true;
  }
  int port_number = kDefaultPort;
  if (has_port) {
    // port = 1*5DIGIT, 1..65535 (0 names no port anyone listens on).
    const bool digits_only = !port.empty() && port.size() <= 5 &&
                             port.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits_only) {
      result.error = AcctError::bad_port;
      return result;
    }
    std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (port_number < 1 || port_number > 65535) {
      result.error = AcctError::bad_port;
      return result;
    }
  }
  if (host.empty()) {
    result.error = AcctError::empty_host;
    return result;
  }
  const http::HostResult normal = http::normalize_host(host);
  if (!normal) {
    result.error =
        normal.error == http::UrlError::empty_host ? AcctError::empty_host : AcctError::bad_host;
    return result;
  }
  result.authority = normal.kind == http::HostKind::ipv6 ? "[" + normal.host + "]" : normal.host;
  if (port_number != kDefaultPort) result.authority += ":" + std::to_string(port_number);
  return result;
}

AcctResult parse_acct_uri(std::string_view text) {
  if (text.size() > kMaxAcctBytes) return fail(AcctError::too_long);
  if (!starts_with_scheme(text)) return fail(AcctError::not_acct);
  return parse_parts(text.substr(kScheme.size()), AcctForm::uri);
}

AcctResult parse_acct(std::string_view text) {
  if (text.size() > kMaxAcctBytes) return fail(AcctError::too_long);
  if (starts_with_scheme(text)) return parse_parts(text.substr(kScheme.size()), AcctForm::uri);
  if (!text.empty() && text.front() == '@') return parse_parts(text.substr(1), AcctForm::handle);
  return parse_parts(text, AcctForm::bare);
}

}  // namespace kith::ap
