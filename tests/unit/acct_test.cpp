// Account handles: the three forms, what the user part may hold and how it
// is decoded, hosts normalised as URL hosts are (case, IDNA, trailing dot,
// ports, IPv6), and a block of refused inputs, each with its reason.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/ap/acct.hpp"

using kith::ap::Acct;
using kith::ap::AcctError;
using kith::ap::AcctForm;
using kith::ap::kMaxAcctBytes;
using kith::ap::kMaxAcctUserBytes;
using kith::ap::normalize_authority;
using kith::ap::parse_acct;
using kith::ap::parse_acct_uri;

TEST_CASE("acct: accepted handles and their normal form", "[acct]") {
  struct Case {
    std::string input;
    std::string user, host;
    AcctForm form;
  };
  const std::vector<Case> cases = {
      {"acct:alice@example.com", "alice", "example.com", AcctForm::uri},
      {"ACCT:alice@example.com", "alice", "example.com", AcctForm::uri},  // scheme in any case
      {"@alice@example.com", "alice", "example.com", AcctForm::handle},
      {"alice@example.com", "alice", "example.com", AcctForm::bare},
      // The user part keeps its case; the host is normalised.
      {"acct:Alice@Example.COM", "Alice", "example.com", AcctForm::uri},
      {"acct:alice@example.com.", "alice", "example.com", AcctForm::uri},
      {"acct:alice@b\xC3\xBC"
       "cher.example",
       "alice", "xn--bcher-kva.example", AcctForm::uri},
      // Ports: kept, except https's default.
      {"acct:alice@localhost:8443", "alice", "localhost:8443", AcctForm::uri},
      {"acct:alice@localhost:443", "alice", "localhost", AcctForm::uri},
      {"acct:alice@localhost:08443", "alice", "localhost:8443", AcctForm::uri},
      {"acct:alice@127.0.0.1:8443", "alice", "127.0.0.1:8443", AcctForm::uri},
      {"acct:alice@[::1]:8443", "alice", "[::1]:8443", AcctForm::uri},
      {"acct:alice@[0:0::1]", "alice", "[::1]", AcctForm::uri},
      // RFC 7565 user characters, escapes (an email address as user), and
      // ':' for an instance actor named after a host with a port.
      {"acct:a.b-c_d~e!$&'()*+,;=@example.com", "a.b-c_d~e!$&'()*+,;=", "example.com",
       AcctForm::uri},
      {"acct:juliet%40example.com@shoppingsite.example", "juliet@example.com",
       "shoppingsite.example", AcctForm::uri},
      {"acct:%61lice@example.com", "alice", "example.com", AcctForm::uri},
      {"acct:localhost:8443@localhost:8443", "localhost:8443", "localhost:8443", AcctForm::uri},
      // Typed handles may carry UTF-8 as it is; URIs must escape it.
      {"@jos\xC3\xA9@example.com", "jos\xC3\xA9", "example.com", AcctForm::handle},
      {"acct:jos%C3%A9@example.com", "jos\xC3\xA9", "example.com", AcctForm::uri},
  };
  for (const Case& c : cases) {
    INFO(c.input);
    const auto result = parse_acct(c.input);
    REQUIRE(result);
    CHECK(result.error == AcctError::none);
    CHECK(result.acct->user == c.user);
    CHECK(result.acct->host == c.host);
    CHECK(result.acct->form == c.form);
    if (c.form == AcctForm::uri) {
      const auto strict = parse_acct_uri(c.input);
      REQUIRE(strict);
      CHECK(*strict.acct == *result.acct);
    }
    // uri() is an acct: URI that reads back to the same user and host.
    const auto again = parse_acct_uri(result.acct->uri());
    REQUIRE(again);
    CHECK(again.acct->user == c.user);
    CHECK(again.acct->host == c.host);
  }
}

TEST_CASE("acct: text and uri", "[acct]") {
  const Acct acct{"alice", "localhost:8443", AcctForm::handle};
  CHECK(acct.text() == "alice@localhost:8443");
  CHECK(acct.uri() == "acct:alice@localhost:8443");
  CHECK(Acct{"juliet@example.com", "shop.example", AcctForm::uri}.uri() ==
        "acct:juliet%40example.com@shop.example");
  CHECK(Acct{"jos\xC3\xA9", "example.com", AcctForm::uri}.uri() == "acct:jos%C3%A9@example.com");
}

TEST_CASE("acct: refused inputs say why", "[acct]") {
  struct Case {
    std::string input;
    AcctError error;
  };
  const std::vector<Case> cases = {
      {"", AcctError::missing_at},
      {"alice", AcctError::missing_at},
      {"acct:alice", AcctError::missing_at},
      {"acct:alice@bob@example.com", AcctError::missing_at},
      {"@@example.com", AcctError::empty_user},
      {"acct:@example.com", AcctError::empty_user},
      {"@", AcctError::missing_at},
      {"acct:alice@", AcctError::empty_host},
      {"alice@", AcctError::empty_host},
      {"acct:alice@:8443", AcctError::empty_host},
      // User parts: characters outside RFC 7565, bad escapes, decoded
      // controls, NUL, '/' and invalid UTF-8.
      {"acct:al ice@example.com", AcctError::bad_user},
      {"acct:al/ice@example.com", AcctError::bad_user},
      {"acct:al%2Fice@example.com", AcctError::bad_user},
      {"acct:al%00ice@example.com", AcctError::bad_user},
      {"acct:al%0Aice@example.com", AcctError::bad_user},
      {"acct:al%7Fice@example.com", AcctError::bad_user},
      {"acct:al%ZZice@example.com", AcctError::bad_user},
      {"acct:alice%4@example.com", AcctError::bad_user},
      {"acct:alice%@example.com", AcctError::bad_user},
      {"acct:%C3%28@example.com", AcctError::bad_user},
      {"acct:jos\xC3\xA9@example.com", AcctError::bad_user},  // URIs escape non-ASCII
      {"@jos\xC3\x28@example.com", AcctError::bad_user},      // invalid UTF-8
      {"acct:<script>@example.com", AcctError::bad_user},
      {"acct:alice\"@example.com", AcctError::bad_user},
      // Hosts: what kith::http::normalize_host refuses, and bad ports.
      {"acct:alice@exa mple.com", AcctError::bad_host},
      {"acct:alice@example..com", AcctError::bad_host},
      {"acct:alice@exa%6Dple.com", AcctError::bad_host},
      {"acct:alice@example.com/path", AcctError::bad_host},
      {"acct:alice@2130706433", AcctError::bad_host},
      {"acct:alice@[::1", AcctError::bad_host},
      {"acct:alice@[::1]x", AcctError::bad_host},
      {"acct:alice@[fe80::1%25eth0]", AcctError::bad_host},
      {"acct:alice@example.com:", AcctError::bad_port},
      {"acct:alice@example.com:0", AcctError::bad_port},
      {"acct:alice@example.com:65536", AcctError::bad_port},
      {"acct:alice@example.com:123456", AcctError::bad_port},
      {"acct:alice@example.com:-1", AcctError::bad_port},
      {"acct:alice@example.com:80a", AcctError::bad_port},
      {"acct:alice@example.com:8443:1", AcctError::bad_host},
  };
  for (const Case& c : cases) {
    INFO(c.input);
    const auto result = parse_acct(c.input);
    CHECK_FALSE(result);
    CHECK_FALSE(result.acct.has_value());
    CHECK(result.error == c.error);
    CHECK_FALSE(kith::ap::describe(result.error).empty());
  }
}

TEST_CASE("acct: parse_acct_uri takes acct: URIs only", "[acct]") {
  for (const char* input :
       {"alice@example.com", "@alice@example.com", "https://example.com/users/alice",
        "mailto:alice@example.com", "acct", "ac:alice@example.com", " acct:alice@example.com"}) {
    INFO(input);
    const auto result = parse_acct_uri(input);
    CHECK_FALSE(result);
    CHECK(result.error == AcctError::not_acct);
  }
}

TEST_CASE("acct: size limits", "[acct]") {
  const std::string host = "@example.com";
  const std::string user(kMaxAcctUserBytes, 'a');
  CHECK(parse_acct("acct:" + user + host));
  CHECK(parse_acct("acct:" + user + "a" + host).error == AcctError::user_too_long);
  // Escapes count once decoded.
  std::string escaped;
  for (std::size_t i = 0; i < kMaxAcctUserBytes / 3; ++i) escaped += "%61";
  CHECK(parse_acct("acct:" + escaped + host));
  CHECK(parse_acct(std::string(kMaxAcctBytes + 1, 'a')).error == AcctError::too_long);
  CHECK(parse_acct_uri("acct:" + std::string(kMaxAcctBytes, 'a')).error == AcctError::too_long);
}

TEST_CASE("acct: normalize_authority is what handles are compared with", "[acct]") {
  CHECK(normalize_authority("localhost:8080").authority == "localhost:8080");
  CHECK(normalize_authority("Social.Example.ORG.").authority == "social.example.org");
  CHECK(normalize_authority("social.example.org:443").authority == "social.example.org");
  CHECK(normalize_authority("[::1]:8443").authority == "[::1]:8443");
  CHECK(normalize_authority("").error == AcctError::empty_host);
  CHECK(normalize_authority("example.com:0").error == AcctError::bad_port);
  // Normalising a normal form changes nothing.
  for (const char* host : {"localhost:8080", "xn--bcher-kva.example", "[::1]", "127.0.0.1:9"}) {
    INFO(host);
    CHECK(normalize_authority(host).authority == host);
  }
}
