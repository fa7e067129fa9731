// Account handles: `acct:alice@example.com` (RFC 7565, what WebFinger's
// resource parameter holds), `@alice@example.com` (what people type and what
// mentions show) and `alice@example.com`.
//
// A handle names an account by user and host, and kith decides "is this one
// of ours?" and "is this the same account?" by comparing them. The one idea:
// every handle goes through one parser that splits it at its single '@',
// percent-decodes the user part and puts the host in the same normal form as
// URL hosts (kith::http::normalize_host: lower case, IDNA to punycode, one
// trailing dot stripped; the https default port 443 dropped), so that two
// handles name the same account exactly when their hosts are equal and their
// users equal ignoring ASCII case. What it must never do: accept a user part
// with controls, NUL, '/' or invalid UTF-8 after decoding, accept a host it
// cannot normalise, or read past kMaxAcctBytes.
//
// A pure function of its input, linked by the fuzz target
// (tests/fuzz/acct.cpp).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "kith/http/url.hpp"

namespace kith::ap {

// Longer inputs are refused before parsing.
inline constexpr std::size_t kMaxAcctBytes = 1024;
// The user part after percent-decoding.
inline constexpr std::size_t kMaxAcctUserBytes = 256;

enum class AcctForm {
  uri,     // acct:alice@example.com
  handle,  // @alice@example.com
  bare,    // alice@example.com
};

struct Acct {
  std::string user;  // percent-decoded, case as given
  // host[:port], normalised; IPv6 in brackets; no port when it is 443.
  std::string host;
  AcctForm form = AcctForm::uri;

  bool operator==(const Acct&) const = default;

  // "alice@example.com".
  std::string text() const;
  // "acct:alice@example.com", with the user part percent-encoded where
  // RFC 7565 needs it.
  std::string uri() const;
};

enum class AcctError {
  none,
  too_long,       // over kMaxAcctBytes
  not_acct,       // parse_acct_uri: not an acct: URI
  missing_at,     // no '@' between user and host, or more than one
  empty_user,     // nothing before the '@'
  bad_user,       // characters RFC 7565 does not allow, a bad escape, or a
                  // decoded control, NUL, '/' or invalid UTF-8
  user_too_long,  // over kMaxAcctUserBytes after decoding
  empty_host,
  bad_host,  // not a host name or address kith::http::normalize_host accepts
  bad_port,  // not 1..65535
};

// A short English description, for logs and error bodies.
std::string_view describe(AcctError error);

struct AcctResult {
  std::optional<Acct> acct;
  AcctError error = AcctError::none;
  explicit operator bool() const { return acct.has_value(); }
};

// RFC 7565 acct: URIs only (the scheme in any case). The grammar is the
// RFC's, with two widenings that real servers need: a percent-escape may
// start the user part, and ':' is allowed in it (RFC 3986 userinfo allows
// it, and an instance actor on a host with a port is named "host:port").
// The host may carry a port, as handles on non-default ports do.
AcctResult parse_acct_uri(std::string_view text);

// Any of the three forms, for handles that people type and that other
// servers write in mentions.
AcctResult parse_acct(std::string_view text);

struct AuthorityResult {
  std::string authority;  // host[:port] in the normal form of Acct::host
  AcctError error = AcctError::none;
  explicit operator bool() const { return error == AcctError::none; }
};

// Normalises "host[:port]" ("Example.COM.", "[::1]:8443", "localhost:8080")
// as Acct::host is normalised: for comparing a handle's host with the
// configured one.
AuthorityResult normalize_authority(std::string_view authority);

}  // namespace kith::ap
