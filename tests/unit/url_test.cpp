// URLs and hosts in their one normal form: what is accepted and how it is
// normalised (case, IDNA, trailing dot, default ports, IPv6 text), what is
// refused (userinfo, odd hosts, number-like hosts, bad ports, other schemes,
// oversize input), origins, and that the normal form parses to itself.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/http/url.hpp"

using kith::http::HostKind;
using kith::http::kMaxUrlLength;
using kith::http::normalize_host;
using kith::http::Origin;
using kith::http::parse_url;
using kith::http::same_origin;
using kith::http::UrlError;

TEST_CASE("parse_url: accepted URLs and their normal form", "[url]") {
  struct Case {
    std::string input;
    std::string text;  // normal form
    std::string host;
    int port;
  };
  const std::vector<Case> cases = {
      {"https://example.com/users/alice", "https://example.com/users/alice", "example.com", 443},
      {"https://example.com", "https://example.com/", "example.com", 443},
      {"http://example.com", "http://example.com/", "example.com", 80},
      {"HTTPS://EXAMPLE.com/Path/Kept", "https://example.com/Path/Kept", "example.com", 443},
      {"https://example.com:443/a", "https://example.com/a", "example.com", 443},
      {"http://example.com:80/a", "http://example.com/a", "example.com", 80},
      {"https://example.com:/a", "https://example.com/a", "example.com", 443},
      {"https://example.com:8443/a", "https://example.com:8443/a", "example.com", 8443},
      {"http://example.com:443/", "http://example.com:443/", "example.com", 443},
      {"https://example.com:00443/", "https://example.com/", "example.com", 443},
      {"https://localhost:8443/users/alice", "https://localhost:8443/users/alice", "localhost",
       8443},
      // RFC 1034 3.1: a trailing dot names the same host; exactly one is removed.
      {"https://example.com./a", "https://example.com/a", "example.com", 443},
      {"https://Example.COM.:8443", "https://example.com:8443/", "example.com", 8443},
      // IDNA: UTS #46 mapping, then punycode.
      {"https://bücher.example/", "https://xn--bcher-kva.example/", "xn--bcher-kva.example", 443},
      {"https://BÜCHER.example/", "https://xn--bcher-kva.example/", "xn--bcher-kva.example", 443},
      {"https://xn--bcher-kva.example/", "https://xn--bcher-kva.example/", "xn--bcher-kva.example",
       443},
      {"https://XN--BCHER-KVA.example/", "https://xn--bcher-kva.example/", "xn--bcher-kva.example",
       443},
      {"https://faß.example/", "https://xn--fa-hia.example/", "xn--fa-hia.example", 443},
      {"https://ｅｘａｍｐｌｅ.com/", "https://example.com/", "example.com", 443},
      {"https://example。com/", "https://example.com/", "example.com", 443},
      {"https://日本語.jp/", "https://xn--wgv71a119e.jp/", "xn--wgv71a119e.jp", 443},
      // Non-ASCII outside the host is percent-encoded, ASCII left alone.
      {"https://example.com/tags/日本", "https://example.com/tags/%E6%97%A5%E6%9C%AC",
       "example.com", 443},
      {"https://bücher.example/ü?q=ü#ü", "https://xn--bcher-kva.example/%C3%BC?q=%C3%BC#%C3%BC",
       "xn--bcher-kva.example", 443},
      // Path, query and fragment are kept exactly, escapes and all.
      {"https://example.com/a%2Fb/%7Ec?x=%20&y#frag", "https://example.com/a%2Fb/%7Ec?x=%20&y#frag",
       "example.com", 443},
      {"https://example.com/a/../b", "https://example.com/a/../b", "example.com", 443},
      {"https://example.com?", "https://example.com/?", "example.com", 443},
      {"https://example.com/#", "https://example.com/#", "example.com", 443},
      {"https://example.com/users/alice#main-key", "https://example.com/users/alice#main-key",
       "example.com", 443},
      // UTS #46 ignores a word joiner: the same host as "ab.example".
      {"https://a\xe2\x81\xa0"
       "b.example/",
       "https://ab.example/", "ab.example", 443},
      {"https://under_score.example.com/", "https://under_score.example.com/",
       "under_score.example.com", 443},
      {"https://a-b.c-d.example/", "https://a-b.c-d.example/", "a-b.c-d.example", 443},
      {"https://127.0.0.1:8443/x", "https://127.0.0.1:8443/x", "127.0.0.1", 8443},
      {"https://[::1]:8443/x", "https://[::1]:8443/x", "::1", 8443},
      {"https://[::FFFF:127.0.0.1]/", "https://[::ffff:127.0.0.1]/", "::ffff:127.0.0.1", 443},
      {"https://[2001:DB8:0:0:0:0:0:1]/", "https://[2001:db8::1]/", "2001:db8::1", 443},
      {"https://1.example/", "https://1.example/", "1.example", 443},
      {"https://example.123abc/", "https://example.123abc/", "example.123abc", 443},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    const auto result = parse_url(c.input);
    REQUIRE(result);
    CHECK(result.error == UrlError::none);
    CHECK(result.url->text() == c.text);
    CHECK(result.url->origin.host == c.host);
    CHECK(result.url->origin.port == c.port);
    // The normal form is a fixed point.
    const auto again = parse_url(result.url->text());
    REQUIRE(again);
    CHECK(*again.url == *result.url);
  }
}

TEST_CASE("parse_url: refused URLs say why", "[url]") {
  struct Case {
    std::string input;
    UrlError error;
  };
  const std::vector<Case> cases = {
      {"", UrlError::malformed},
      {"example.com/users/alice", UrlError::malformed},
      {"/users/alice", UrlError::malformed},
      {"//example.com/", UrlError::malformed},
      {"https://exa mple.com/", UrlError::malformed},
      {"https://example.com/a b", UrlError::malformed},
      {"https://example.com/a\nb", UrlError::malformed},
      {"https://example.com/%zz", UrlError::malformed},
      {"https://example.com\\@evil.example/", UrlError::malformed},
      {"https://example.com/\x01", UrlError::malformed},
      {"https://example.com/\xff", UrlError::malformed},          // not UTF-8
      {"https://example.com/\xc0\xaf", UrlError::malformed},      // overlong
      {"https://example.com/\xed\xa0\x80", UrlError::malformed},  // surrogate
      {"ftp://example.com/", UrlError::unsupported_scheme},
      {"javascript:alert(1)", UrlError::unsupported_scheme},
      {"data:text/html,hi", UrlError::unsupported_scheme},
      {"wss://example.com/", UrlError::unsupported_scheme},
      {"httpx://example.com/", UrlError::unsupported_scheme},
      {"https://user@example.com/", UrlError::userinfo},
      {"https://user:pass@example.com/", UrlError::userinfo},
      {"https://@example.com/", UrlError::userinfo},
      {"https://example.com:443@evil.example/", UrlError::userinfo},
      {"https://üser@bücher.example/", UrlError::userinfo},
      {"https:///path", UrlError::empty_host},
      {"https://", UrlError::empty_host},
      {"https://:443/", UrlError::empty_host},
      {"https:example.com", UrlError::empty_host},
      {"https:/example.com", UrlError::empty_host},
      {"https://./", UrlError::empty_host},
      {"https://example.com../", UrlError::bad_host},
      {"https://.example.com/", UrlError::bad_host},
      {"https://a..b/", UrlError::bad_host},
      {"https://ex%61mple.com/", UrlError::bad_host},
      {"https://exa!mple.com/", UrlError::bad_host},
      {"https://exa$mple.com/", UrlError::bad_host},
      {"https://exa'mple.com/", UrlError::bad_host},
      {"https://exa(mple).com/", UrlError::bad_host},
      {"https://exa*mple.com/", UrlError::bad_host},
      {"https://exa+mple.com/", UrlError::bad_host},
      {"https://exa,mple.com/", UrlError::bad_host},
      {"https://exa;mple.com/", UrlError::bad_host},
      {"https://exa=mple.com/", UrlError::bad_host},
      {"https://exa~mple.com/", UrlError::bad_host},
      {"https://xn--zz.example/", UrlError::bad_host},  // not valid punycode
      {"https://xn--a.example/", UrlError::bad_host},
      {"https://\xe2\x80\x8b.example/", UrlError::bad_host},     // zero width space only
      {"https://exa\xef\xbc\x85mple.com/", UrlError::bad_host},  // fullwidth percent
      {"https://[v1.x]/", UrlError::bad_host},
      {"https://[::1%25eth0]/", UrlError::malformed},
      {"https://[::1/", UrlError::malformed},
      {"https://[1.2.3.4]/", UrlError::malformed},
      // Numbers that resolvers would read as an IPv4 address.
      {"http://2130706433/", UrlError::bad_host},
      {"http://0x7f000001/", UrlError::bad_host},
      {"http://0x7f.0.0.1/", UrlError::bad_host},
      {"http://127.1/", UrlError::bad_host},
      {"http://127.0.0.01/", UrlError::bad_host},
      {"http://0177.0.0.1/", UrlError::bad_host},
      {"http://127.0.0.1./", UrlError::malformed},
      {"http://1.2.3.4.5/", UrlError::malformed},  // Boost.URL 1.81 misreads it (url.cpp)
      {"http://1.2.3.4.example/", UrlError::malformed},
      {"http://1.2.3.4:80.5/", UrlError::malformed},
      {"http://example.0x/", UrlError::bad_host},
      {"http://example.42/", UrlError::bad_host},
      {"http://０x7f.1/", UrlError::bad_host},  // fullwidth digits map to ASCII
      {"https://" + std::string(64, 'a') + ".example/", UrlError::bad_host},
      {"https://" + std::string(60, 'a') + "." + std::string(60, 'b') + "." + std::string(60, 'c') +
           "." + std::string(60, 'd') + "." + std::string(60, 'e') + "/",
       UrlError::host_too_long},
      {"https://example.com:0/", UrlError::bad_port},
      {"https://example.com:65536/", UrlError::bad_port},
      {"https://example.com:99999999999999999999/", UrlError::bad_port},
      {"https://example.com:-1/", UrlError::malformed},
      {"https://example.com:8a/", UrlError::malformed},
      {"https://example.com:١٢/", UrlError::malformed},  // Arabic-Indic digits
      {"https://example.com/" + std::string(kMaxUrlLength, 'a'), UrlError::too_long},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    const auto result = parse_url(c.input);
    CHECK_FALSE(result);
    CHECK(result.error == c.error);
    CHECK_FALSE(describe(result.error).empty());
  }
}

TEST_CASE("parse_url: the normal form must fit the size limit too", "[url]") {
  // 700 two-byte characters: 1400 bytes in, 4200 bytes once percent-encoded.
  std::string path;
  for (int i = 0; i < 700; ++i) path += "\xC3\xA9";
  const std::string input = "https://example.com/" + path;
  REQUIRE(input.size() <= kMaxUrlLength);
  const auto result = parse_url(input);
  CHECK_FALSE(result);
  CHECK(result.error == UrlError::too_long);
  // Exactly at the limit is fine.
  const std::string at_limit =
      "https://example.com/" +
      std::string(kMaxUrlLength - std::string("https://example.com/").size(), 'a');
  CHECK(parse_url(at_limit));
}

TEST_CASE("parse_url: request target and text without fragment", "[url]") {
  const auto url = parse_url("https://Example.com:8443/users/alice?page=2#main-key").url.value();
  CHECK(url.request_target() == "/users/alice?page=2");
  CHECK(url.text_without_fragment() == "https://example.com:8443/users/alice?page=2");
  CHECK(url.text() == "https://example.com:8443/users/alice?page=2#main-key");
  CHECK(url.has_fragment);
  CHECK(url.fragment == "main-key");
  CHECK(url.origin.authority() == "example.com:8443");
  CHECK(url.origin.serialize() == "https://example.com:8443");

  const auto v6 = parse_url("http://[::1]/inbox").url.value();
  CHECK(v6.origin.host_kind == HostKind::ipv6);
  CHECK(v6.origin.authority() == "[::1]");
  CHECK(v6.origin.serialize() == "http://[::1]");
  CHECK(v6.request_target() == "/inbox");
}

TEST_CASE("same_origin: scheme, normalised host and port", "[url]") {
  auto origin = [](std::string_view text) { return parse_url(text).url.value().origin; };
  const Origin a = origin("https://example.com/users/alice");
  CHECK(same_origin(a, origin("https://EXAMPLE.com./objects/1")));
  CHECK(same_origin(a, origin("https://example.com:443/")));
  CHECK(same_origin(origin("https://bücher.example/a"), origin("https://xn--bcher-kva.example/b")));
  CHECK(same_origin(origin("https://[::1]:8443/"), origin("https://[0:0::1]:8443/x")));

  CHECK_FALSE(same_origin(a, origin("http://example.com/")));
  CHECK_FALSE(same_origin(a, origin("https://example.com:8443/")));
  CHECK_FALSE(same_origin(a, origin("https://sub.example.com/")));
  CHECK_FALSE(same_origin(a, origin("https://example.com.evil.example/")));
  CHECK_FALSE(same_origin(a, origin("https://evilexample.com/")));
  CHECK_FALSE(same_origin(origin("https://127.0.0.1/"), origin("https://localhost/")));
  CHECK_FALSE(same_origin(origin("http://example.com:443/"), origin("https://example.com/")));
}

TEST_CASE("normalize_host: names, addresses and refusals", "[url]") {
  struct Good {
    std::string input;
    std::string host;
    HostKind kind;
  };
  const std::vector<Good> good = {
      {"Example.COM", "example.com", HostKind::name},
      {"example.com.", "example.com", HostKind::name},
      {"localhost", "localhost", HostKind::name},
      {"bücher.example", "xn--bcher-kva.example", HostKind::name},
      {"127.0.0.1", "127.0.0.1", HostKind::ipv4},
      {"[::1]", "::1", HostKind::ipv6},
      {"[2001:DB8::0:1]", "2001:db8::1", HostKind::ipv6},
  };
  for (const auto& c : good) {
    INFO(c.input);
    const auto result = normalize_host(c.input);
    REQUIRE(result);
    CHECK(result.host == c.host);
    CHECK(result.kind == c.kind);
  }
  const std::vector<std::string> bad = {
      "",           ".",
      "..",         "example.com..",
      "a b",        "a/b",
      "a:b",        "a@b",
      "[::1",       "::1",
      "[]",         "a\tb",
      "exa%41mple", "0x7f.1",
      "2130706433", "127.1",
      "[v7.abc]",   "\xff",
      "-a.b",       "a-.b",
      "a.-",        std::string("a\0b", 3),
  };
  for (const auto& input : bad) {
    INFO(input);
    CHECK_FALSE(normalize_host(input));
  }
}
