// OAuth's pure parts: the scope hierarchy (granular scopes under read and
// write, admin scopes under admin:read/admin:write, the legacy follow
// scope), PKCE S256 with RFC 7636's own example, the sealed authorization
// ticket (tampering, expiry, another key), and the login throttle's window
// and memory bound.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/api/login_throttle.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/web/ticket.hpp"

using namespace kith;

TEST_CASE("scopes: the hierarchy Mastodon defines", "[oauth]") {
  using V = std::vector<std::string>;
  CHECK(api::scope_allows(V{"read"}, "read:statuses"));
  CHECK(api::scope_allows(V{"write"}, "write:statuses"));
  CHECK_FALSE(api::scope_allows(V{"read"}, "write:statuses"));
  CHECK_FALSE(api::scope_allows(V{"read:accounts"}, "read:statuses"));
  CHECK(api::scope_allows(V{"admin:read"}, "admin:read:accounts"));
  CHECK_FALSE(api::scope_allows(V{"read"}, "admin:read:accounts"));
  CHECK_FALSE(api::scope_allows(V{"admin:read"}, "admin:write:accounts"));
  for (const char* scope : {"read:follows", "write:follows", "read:blocks", "write:blocks",
                            "read:mutes", "write:mutes"})
    CHECK(api::scope_allows(V{"follow"}, scope));
  CHECK_FALSE(api::scope_allows(V{"follow"}, "write:statuses"));
  CHECK_FALSE(api::scope_allows(V{"follow"}, "read:statuses"));
  // An application registered for read write follow push may grant what
  // Mastodon.py asks; one registered for read may not grant write.
  CHECK(api::scopes_within(V{"read", "write", "follow", "push"},
                           V{"read", "write", "follow", "push"}));
  CHECK(api::scopes_within(V{"read:accounts", "write:media"}, V{"read", "write"}));
  CHECK_FALSE(api::scopes_within(V{"write"}, V{"read"}));
  CHECK_FALSE(api::scopes_within(V{"push"}, V{"read", "write"}));
}

TEST_CASE("scopes: every documented scope is known, nothing else", "[oauth]") {
  for (const char* scope :
       {"read", "write", "follow", "push", "profile", "admin:read", "admin:write",
        "read:notifications", "write:conversations", "admin:write:canonical_email_blocks"})
    CHECK(api::scope_known(scope));
  for (const char* scope : {"", "reading", "read:", "write:everything", "admin", "crypto"})
    CHECK_FALSE(api::scope_known(scope));
  CHECK(api::known_scopes().size() == 45);
  CHECK(api::split_scopes("read+write  follow read") ==
        std::vector<std::string>{"read", "write", "follow"});
  CHECK(api::join_scopes({"read", "push"}) == "read push");
}

TEST_CASE("PKCE: RFC 7636 appendix B's example, and bad verifiers", "[oauth]") {
  const std::string verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
  const std::string challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  CHECK(api::valid_code_challenge(challenge));
  CHECK(api::pkce_s256_matches(verifier, challenge));
  CHECK_FALSE(api::pkce_s256_matches(verifier + "x", challenge));
  CHECK_FALSE(api::pkce_s256_matches(challenge, challenge));
  CHECK_FALSE(api::pkce_s256_matches("short", challenge));
  CHECK_FALSE(api::pkce_s256_matches(std::string(129, 'a'), challenge));
  CHECK_FALSE(api::pkce_s256_matches(verifier.substr(0, 42) + "=", challenge));
  CHECK_FALSE(api::valid_code_challenge(challenge.substr(1)));
  CHECK_FALSE(api::valid_code_challenge(challenge.substr(1) + "="));
}

TEST_CASE("ticket: sealed, bound, expiring", "[oauth]") {
  web::AuthorizationTicket ticket;
  ticket.user_id = 42;
  ticket.client_id = "client";
  ticket.redirect_uri = "myapp://callback?x=1";
  ticket.scope = "read write";
  ticket.state = "st\"ate<&>";
  ticket.code_challenge = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM";
  ticket.csrf_binding = web::csrf_binding("token");
  ticket.expires_at = 1000;
  const std::string key = "k1";
  const std::string sealed = web::seal_ticket(ticket, key);

  auto opened = web::open_ticket(sealed, key, 999);
  REQUIRE(opened);
  CHECK(opened->user_id == 42);
  CHECK(opened->redirect_uri == ticket.redirect_uri);
  CHECK(opened->state == ticket.state);
  CHECK(opened->scope == "read write");
  CHECK(opened->code_challenge == ticket.code_challenge);
  CHECK(opened->csrf_binding == web::csrf_binding("token"));

  CHECK_FALSE(web::open_ticket(sealed, key, 1000));  // expired
  CHECK_FALSE(web::open_ticket(sealed, "k2", 999));  // another key
  CHECK_FALSE(web::open_ticket("", key, 999));
  CHECK_FALSE(web::open_ticket(".", key, 999));
  CHECK_FALSE(web::open_ticket(std::string(web::kMaxTicketLength + 1, 'a'), key, 999));
  // Any changed character of the payload or the MAC is refused.
  for (std::size_t i = 0; i < sealed.size(); i += 7) {
    std::string changed = sealed;
    changed[i] = changed[i] == 'A' ? 'B' : 'A';
    CHECK_FALSE(web::open_ticket(changed, key, 999));
  }
  // A payload of another user with the old MAC.
  ticket.user_id = 43;
  const std::string other = web::seal_ticket(ticket, key);
  const std::string spliced = other.substr(0, other.find('.')) + sealed.substr(sealed.find('.'));
  CHECK_FALSE(web::open_ticket(spliced, key, 999));
}

TEST_CASE("login throttle: five failures in the window, then refused", "[oauth]") {
  api::LoginThrottle throttle;
  const auto t0 = api::LoginThrottle::Clock::now();
  for (int i = 0; i < api::LoginThrottle::kMaxFailures; ++i) {
    CHECK_FALSE(throttle.address_blocked("192.0.2.1", t0));
    throttle.record_failure("192.0.2.1", 7, t0);
  }
  auto wait = throttle.address_blocked("192.0.2.1", t0 + std::chrono::seconds(10));
  REQUIRE(wait);
  CHECK(wait->count() == 290);
  CHECK(throttle.account_blocked(7, t0));
  CHECK_FALSE(throttle.account_blocked(8, t0));
  CHECK_FALSE(throttle.address_blocked("192.0.2.2", t0));
  // After the window, both may try again.
  CHECK_FALSE(throttle.address_blocked("192.0.2.1", t0 + api::LoginThrottle::kWindow));
  CHECK_FALSE(throttle.account_blocked(7, t0 + api::LoginThrottle::kWindow));
}

TEST_CASE("login throttle: IPv6 addresses count by their /64", "[oauth]") {
  using api::LoginThrottle;
  CHECK(LoginThrottle::address_key("2001:db8:1:2:aaaa:bbbb:cccc:dddd") == "2001:db8:1:2::/64");
  CHECK(LoginThrottle::address_key("[2001:db8:1:2::1]") == "2001:db8:1:2::/64");
  CHECK(LoginThrottle::address_key("::ffff:192.0.2.7") == "192.0.2.7");
  CHECK(LoginThrottle::address_key("192.0.2.7") == "192.0.2.7");
  CHECK(LoginThrottle::address_key("not an address") == "not an address");
  LoginThrottle throttle;
  const auto t0 = LoginThrottle::Clock::now();
  // Each failure from another address of the same /64.
  for (int i = 0; i < LoginThrottle::kMaxFailures; ++i)
    throttle.record_failure("2001:db8:1:2::" + std::to_string(i + 1), std::nullopt, t0);
  CHECK(throttle.address_blocked("2001:db8:1:2:ffff::9", t0));
  CHECK_FALSE(throttle.address_blocked("2001:db8:1:3::1", t0));
}

TEST_CASE("login throttle: memory stays bounded", "[oauth]") {
  api::LoginThrottle throttle;
  const auto t0 = api::LoginThrottle::Clock::now();
  for (int i = 0; i < api::LoginThrottle::kMaxFailures; ++i)
    throttle.record_failure("198.51.100.1", std::nullopt, t0);
  // Many more addresses than the table holds: the oldest entry goes.
  for (std::size_t i = 0; i < api::LoginThrottle::kMaxTrackedAddresses; ++i)
    throttle.record_failure("a" + std::to_string(i), std::nullopt,
                            t0 + std::chrono::milliseconds(1 + i));
  CHECK_FALSE(throttle.address_blocked("198.51.100.1", t0 + std::chrono::seconds(20)));
}
