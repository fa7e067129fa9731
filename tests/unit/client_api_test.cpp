// The client API's pure parts: mentions and hashtags read from a status's
// text and the HTML made of it (escaped, links only where recognised),
// OAuth scope rules, and the Mastodon entities' shapes (every field the
// documentation lists, nulls where empty, ids as strings, local-only shown
// the glitch-soc way).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "kith/api/entities.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/api/status_text.hpp"

using namespace kith;

TEST_CASE("status text: mentions, local and remote, with ports", "[client_api]") {
  auto parsed = api::parse_status_text(
      "hi @alice and @Bob@Remote.Example, @carol@localhost:8443! mail me@example.com "
      "or see https://x.example/@dave, @alice again");
  REQUIRE(parsed.mentions.size() == 3);
  CHECK(parsed.mentions[0].username == "alice");
  CHECK(parsed.mentions[0].domain == "");
  CHECK(parsed.mentions[1].username == "Bob");
  CHECK(parsed.mentions[1].domain == "remote.example");
  CHECK(parsed.mentions[2].username == "carol");
  CHECK(parsed.mentions[2].domain == "localhost:8443");
}

TEST_CASE("status text: hashtags", "[client_api]") {
  auto parsed = api::parse_status_text(
      "#Cats and #dogs, not#this, not https://x.example/#anchor, not #123, #cats again, "
      "#café");
  CHECK(parsed.hashtags == std::vector<std::string>{"cats", "dogs", "café"});
}

TEST_CASE("status text: limits on mentions and hashtags", "[client_api]") {
  std::string text;
  for (int i = 0; i < 80; ++i)
    text += "@user" + std::to_string(i) + " #tag" + "x" + std::to_string(i) + " ";
  auto parsed = api::parse_status_text(text);
  CHECK(parsed.mentions.size() == api::kMaxStatusMentions);
  CHECK(parsed.hashtags.size() == api::kMaxStatusHashtags);
}

TEST_CASE("status text: HTML is escaped, links only where recognised", "[client_api]") {
  const std::string html = api::render_status_html(
      "<script>alert(1)</script> & \"q\"\nline two\n\npara @bob@remote.test @nobody "
      "#Tag https://example.test/a?b=1&c=2.",
      {{"bob", "remote.test", "https://remote.test/@bob"}}, "local.test");
  CHECK(html.find("<script>") == std::string::npos);
  CHECK(html.find("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;q&quot;<br />line two"
                  "</p><p>para ") != std::string::npos);
  CHECK(html.find("<span class=\"h-card\" translate=\"no\"><a href=\"https://remote.test/@bob\" "
                  "class=\"u-url mention\">@<span>bob</span></a></span>") != std::string::npos);
  CHECK(html.find("@nobody") != std::string::npos);  // unresolved: text
  CHECK(html.find("<a href=\"https://local.test/tags/tag\" class=\"mention hashtag\" "
                  "rel=\"tag\">#<span>Tag</span></a>") != std::string::npos);
  CHECK(html.find("<a href=\"https://example.test/a?b=1&amp;c=2\"") != std::string::npos);
  CHECK(html.ends_with("</a>.</p>"));  // the full stop is not part of the URL
  CHECK(html.starts_with("<p>"));
  // A javascript: "URL" is text.
  CHECK(api::render_status_html("javascript:alert(1)", {}, "h").find("<a") == std::string::npos);
}

TEST_CASE("status text: characters are code points", "[client_api]") {
  CHECK(api::count_characters("héllo") == 5);
  CHECK(api::count_characters("") == 0);
}

TEST_CASE("scopes: top-level includes granular, follow is legacy", "[client_api]") {
  CHECK(api::scope_allows({"write"}, "write:statuses"));
  CHECK(api::scope_allows({"read", "write:statuses"}, "write:statuses"));
  CHECK_FALSE(api::scope_allows({"read"}, "write:statuses"));
  CHECK_FALSE(api::scope_allows({"write:favourites"}, "write:statuses"));
  CHECK(api::scope_allows({"follow"}, "write:follows"));
  CHECK(api::scope_allows({"follow"}, "write:blocks"));
  CHECK_FALSE(api::scope_allows({"follow"}, "write:statuses"));
  CHECK(api::scope_allows({"admin:read"}, "admin:read:accounts"));
  CHECK_FALSE(api::scope_allows({"admin"}, "admin:read:accounts"));
  CHECK(api::scopes_within({"read", "write:statuses"}, {"read", "write", "follow", "push"}));
  CHECK_FALSE(api::scopes_within({"push"}, {"read", "write"}));
  CHECK(api::split_scopes("read write+follow  push read") ==
        std::vector<std::string>{"read", "write", "follow", "push"});
}

namespace {

db::AccountView alice() {
  db::AccountView a;
  a.id = 7;
  a.username = "alice";
  a.display_name = "Alice";
  a.note = "<p>hi &amp; bye<br />line</p>";
  a.uri = "https://local.test/users/alice";
  a.url = "https://local.test/@alice";
  a.created_at = "2024-01-01T00:00:00.000Z";
  a.followers_count = 2;
  return a;
}

}  // namespace

TEST_CASE("entities: Account has every documented field", "[client_api]") {
  auto json = api::account_json(alice(), "local.test");
  for (const char* key : {"id",
                          "username",
                          "acct",
                          "display_name",
                          "locked",
                          "bot",
                          "discoverable",
                          "group",
                          "created_at",
                          "note",
                          "url",
                          "uri",
                          "avatar",
                          "avatar_static",
                          "header",
                          "header_static",
                          "followers_count",
                          "following_count",
                          "statuses_count",
                          "last_status_at",
                          "emojis",
                          "fields"})
    CHECK(json.contains(key));
  CHECK(json["id"] == "7");
  CHECK(json["acct"] == "alice");
  CHECK(json["last_status_at"].is_null());
  CHECK(json["avatar"] == "https://local.test/avatars/original/missing.png");
  db::AccountView bob = alice();
  bob.username = "bob";
  bob.domain = "remote.test:8443";
  CHECK(api::account_json(bob, "local.test")["acct"] == "bob@remote.test:8443");

  auto credential = api::credential_account_json(alice(), {}, "local.test");
  CHECK(credential["source"]["note"] == "hi & bye\nline");
  CHECK(credential["source"]["privacy"] == "public");
  CHECK(credential.contains("role"));
}

TEST_CASE("entities: Status always has reblog, in_reply_to_id, media, url, acct", "[client_api]") {
  db::StatusView s;
  s.id = 42;
  s.account_id = 7;
  s.uri = "https://local.test/users/alice/statuses/42";
  s.url = "https://local.test/@alice/42";
  s.visibility = "local";
  s.content = "<p>hi</p>";
  s.text = "hi";
  s.created_at = "2024-01-01T00:00:00.000Z";
  s.in_reply_to_id = 41;
  s.mentions = {{9, "bob", "remote.test", "https://remote.test/@bob", "https://remote.test/u/bob"}};
  s.tags = {"cats"};
  auto json = api::status_json(s, alice(), nullptr, "local.test", false);
  for (const char* key : {"id",
                          "uri",
                          "created_at",
                          "account",
                          "content",
                          "visibility",
                          "sensitive",
                          "spoiler_text",
                          "media_attachments",
                          "application",
                          "mentions",
                          "tags",
                          "emojis",
                          "reblogs_count",
                          "favourites_count",
                          "replies_count",
                          "url",
                          "in_reply_to_id",
                          "in_reply_to_account_id",
                          "reblog",
                          "poll",
                          "card",
                          "language",
                          "edited_at",
                          "favourited",
                          "reblogged",
                          "muted",
                          "bookmarked",
                          "filtered"})
    CHECK(json.contains(key));
  CHECK_FALSE(json.contains("scheduled_at"));
  CHECK_FALSE(json.contains("text"));
  CHECK(json["id"] == "42");
  CHECK(json["in_reply_to_id"] == "41");
  CHECK(json["in_reply_to_account_id"].is_null());
  CHECK(json["reblog"].is_null());
  CHECK(json["language"].is_null());
  CHECK(json["edited_at"].is_null());
  CHECK(json["media_attachments"].is_array());
  CHECK(json["account"]["acct"] == "alice");
  CHECK(json["url"] == "https://local.test/@alice/42");
  CHECK(json["visibility"] == "public");  // local-only, shown as glitch-soc does
  CHECK(json["local_only"] == true);
  CHECK(json["mentions"][0] == nlohmann::json{{"id", "9"},
                                              {"username", "bob"},
                                              {"url", "https://remote.test/@bob"},
                                              {"acct", "bob@remote.test"}});
  CHECK(json["tags"][0]["url"] == "https://local.test/tags/cats");
  CHECK(api::status_json(s, alice(), nullptr, "local.test", true)["text"] == "hi");

  db::StatusView boost;
  boost.id = 43;
  boost.account_id = 7;
  boost.uri = "https://local.test/users/alice/statuses/43";
  boost.visibility = "public";
  boost.reblog_of_id = 42;
  boost.created_at = "2024-01-01T00:00:01.000Z";
  auto wrapper = api::status_json(boost, alice(), &json, "local.test", false);
  CHECK(wrapper["reblog"]["id"] == "42");
  CHECK(wrapper["url"].is_null());
}

TEST_CASE("entities: Relationship", "[client_api]") {
  db::RelationshipView r;
  r.id = 9;
  r.requested = true;
  auto json = api::relationship_json(r);
  CHECK(json["id"] == "9");
  CHECK(json["requested"] == true);
  CHECK(json["following"] == false);
  for (const char* key :
       {"showing_reblogs", "notifying", "languages", "followed_by", "blocking", "blocked_by",
        "muting", "muting_notifications", "requested_by", "domain_blocking", "endorsed", "note"})
    CHECK(json.contains(key));
}

TEST_CASE("status text: random input never yields markup it did not write", "[client_api]") {
  // A cheap stand-in for a fuzz target: strings over an alphabet of the
  // characters the scanner cares about, and bytes that are not UTF-8.
  const std::string alphabet = "@#:/.-_ab<>\"'&\n\r hps\x80\xff\xc3\xa9t0";
  std::mt19937 random(12345);
  for (int round = 0; round < 5000; ++round) {
    std::string text;
    const std::size_t length = random() % 64;
    for (std::size_t i = 0; i < length; ++i) text += alphabet[random() % alphabet.size()];
    const auto parsed = api::parse_status_text(text);
    std::vector<api::ResolvedMention> resolved;
    for (const auto& m : parsed.mentions)
      resolved.push_back({m.username, m.domain, "https://x.test/@" + m.username});
    const std::string html = api::render_status_html(text, resolved, "h.test");
    INFO(text);
    // Every '<' in the output starts one of the elements the renderer writes.
    for (std::size_t at = html.find('<'); at != std::string::npos; at = html.find('<', at + 1)) {
      const std::string_view rest = std::string_view(html).substr(at);
      const bool known = rest.starts_with("<p>") || rest.starts_with("</p>") ||
                         rest.starts_with("<br />") || rest.starts_with("<a href=\"http") ||
                         rest.starts_with("</a>") || rest.starts_with("<span") ||
                         rest.starts_with("</span>");
      REQUIRE(known);
    }
  }
}
