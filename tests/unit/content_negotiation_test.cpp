// Content negotiation: Accept headers as servers, browsers and tools send
// them, the weights and parameters RFC 9110 defines, and which
// representation of an actor or object each one gets; malformed elements
// are skipped without changing the meaning of the rest.
#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <vector>

#include "kith/ap/content_negotiation.hpp"

using namespace kith::ap;

namespace {

std::string name(std::optional<Representation> r) {
  if (!r) return "406";
  switch (*r) {
    case Representation::activity_json:
      return "activity+json";
    case Representation::ld_json:
      return "ld+json";
    case Representation::html:
      return "html";
  }
  return "?";
}

}  // namespace

TEST_CASE("negotiation: what real clients get at an actor URL", "[negotiation]") {
  struct Case {
    std::optional<std::string> accept;
    std::string expected;
  };
  const std::vector<Case> cases = {
      // Servers.
      {"application/activity+json", "activity+json"},
      {"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"", "ld+json"},
      {"application/ld+json;profile=\"https://www.w3.org/ns/activitystreams\"", "ld+json"},
      // Mastodon's fetcher.
      {"application/activity+json, application/ld+json; "
       "profile=\"https://www.w3.org/ns/activitystreams\", text/html;q=0.1",
       "activity+json"},
      // Misskey, GoToSocial.
      {"application/activity+json, application/ld+json", "activity+json"},
      {"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\", "
       "application/activity+json",
       "activity+json"},  // equal weight and specificity: kith's order
      {"application/ld+json", "ld+json"},
      {"application/activity+json; charset=utf-8", "activity+json"},
      {"Application/Activity+JSON", "activity+json"},
      // A profile list (JSON-LD 1.1) that names ActivityStreams.
      {"application/ld+json; profile=\"https://example.com/p "
       "https://www.w3.org/ns/activitystreams\"",
       "ld+json"},
      // Browsers.
      {"text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8",
       "html"},
      {"text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "html"},
      {"text/html", "html"},
      {"text/html, */*", "html"},  // named beats a wildcard at equal weight
      {"text/*", "html"},
      // Tools and the undecided get ActivityStreams.
      {std::nullopt, "activity+json"},
      {"", "activity+json"},
      {"  ", "activity+json"},
      {"*/*", "activity+json"},
      {"application/*", "activity+json"},
      {"text/html, application/activity+json", "activity+json"},  // a tie: kith's order
      // Weights.
      {"application/activity+json;q=0.5, text/html", "html"},
      {"text/html;q=0.5, application/ld+json", "ld+json"},
      {"application/activity+json;q=0, */*", "ld+json"},
      {"application/activity+json;q=0, application/ld+json;q=0, */*", "html"},
      {"*/*;q=0.1, text/html;q=0.09", "activity+json"},
      {"application/activity+json;q=0.001, text/html;q=0", "activity+json"},
      {"text/html;q=1.000, application/activity+json;q=0.999", "html"},
      // The most specific range decides an offer's weight.
      {"application/ld+json;q=0.2, application/ld+json; "
       "profile=\"https://www.w3.org/ns/activitystreams\";q=0.9, text/html;q=0.5",
       "ld+json"},
      {"*/*;q=0.9, text/html;q=0", "activity+json"},
      {"text/*;q=0.9, text/html;q=0, application/json", "406"},
      // Nothing acceptable.
      {"image/png", "406"},
      {"application/json", "406"},
      {"application/ld+json; profile=\"https://example.com/other\"", "406"},
      {"text/html;q=0, application/*;q=0", "406"},
      {"*/*;q=0", "406"},
  };
  for (const Case& c : cases) {
    INFO(c.accept.value_or("(none)"));
    CHECK(name(choose_representation(c.accept)) == c.expected);
  }
}

TEST_CASE("negotiation: documents with only an ActivityStreams form", "[negotiation]") {
  CHECK(name(choose_activity_streams(std::nullopt)) == "activity+json");
  CHECK(name(choose_activity_streams("text/html,*/*;q=0.8")) == "activity+json");
  CHECK(name(choose_activity_streams("application/ld+json")) == "ld+json");
  CHECK(name(choose_activity_streams("text/html")) == "406");
}

TEST_CASE("negotiation: content types of the representations", "[negotiation]") {
  CHECK(content_type(Representation::activity_json) == "application/activity+json");
  CHECK(content_type(Representation::ld_json) ==
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"");
  CHECK(content_type(Representation::html) == "text/html; charset=utf-8");
}

TEST_CASE("parse_accept: ranges, parameters and weights", "[negotiation]") {
  const auto ranges = parse_accept(
      "Text/HTML;Level=1;q=0.5;ext=x, application/ld+json; profile=\"a \\\"b\\\"\" ,*/*;q=0.001");
  REQUIRE(ranges.size() == 3);
  CHECK(ranges[0].type == "text");
  CHECK(ranges[0].subtype == "html");
  CHECK(ranges[0].quality == 500);
  // Names are lower-cased, values kept; what follows q is an extension.
  REQUIRE(ranges[0].parameters.size() == 1);
  CHECK(ranges[0].parameters[0] == std::pair<std::string, std::string>{"level", "1"});
  CHECK(ranges[1].parameters.at(0).second == "a \"b\"");
  CHECK(ranges[1].quality == 1000);
  CHECK(ranges[2].type == "*");
  CHECK(ranges[2].quality == 1);
  // Empty list elements are ignored (RFC 9110 5.6.1).
  CHECK(parse_accept(" , ,text/html,,").size() == 1);
}

TEST_CASE("parse_accept: malformed elements are skipped, the rest kept", "[negotiation]") {
  struct Case {
    std::string accept;
    std::size_t kept;
  };
  const std::vector<Case> cases = {
      {"text/html;q=2, application/activity+json", 1},  // q above 1
      {"text/html;q=1.001, application/activity+json", 1},
      {"text/html;q=0.1234, application/activity+json", 1},  // four decimals
      {"text/html;q=.5, application/activity+json", 1},
      {"text/html;q=-1, application/activity+json", 1},
      {"text/html;q=, application/activity+json", 1},
      {"text/html;q = 0.5, application/activity+json", 1},
      {"text, application/activity+json", 1},
      {"text/, application/activity+json", 1},
      {"/html, application/activity+json", 1},
      {"*/html, application/activity+json", 1},   // "*/subtype" is not a range
      {"*; q=.2, application/activity+json", 1},  // Java's old default
      {"text/html junk, application/activity+json", 1},
      {"text/html;level, application/activity+json", 1},
      {"text/html;=1, application/activity+json", 1},
      // A comma inside a quoted string does not end the element.
      {"text/html;a=\"x, y\", application/activity+json", 2},
      {"text/html;a=\"x, image/png\", application/activity+json", 2},
      // An unterminated quote swallows the rest.
      {"text/html;a=\"x, application/activity+json", 0},
      // Controls are not allowed in quoted strings; the element goes and
      // its quoted comma does not split it.
      {"a/b;p=\"x\x01, text/html\", application/activity+json", 1},
  };
  for (const Case& c : cases) {
    INFO(c.accept);
    CHECK(parse_accept(c.accept).size() == c.kept);
  }
  // A bad element does not turn a refusal into acceptance or the reverse.
  CHECK(name(choose_representation("text/html;q=2, application/activity+json;q=0")) == "406");
  CHECK(name(choose_representation("text/html;q=0.5, garbage/, application/ld+json")) == "ld+json");
  // Nothing parses: as if there were no header.
  CHECK(name(choose_representation("garbage")) == "activity+json");
}

TEST_CASE("parse_accept: limits", "[negotiation]") {
  std::string many;
  for (std::size_t i = 0; i < kMaxMediaRanges + 10; ++i) many += "text/x" + std::to_string(i) + ",";
  CHECK(parse_accept(many).size() == kMaxMediaRanges);
  // Ranges beyond the limit are not seen.
  CHECK(name(choose_representation(many + "application/activity+json")) == "406");

  std::string params = "text/html";
  for (std::size_t i = 0; i <= kMaxMediaRangeParameters; ++i)
    params += ";p" + std::to_string(i) + "=1";
  CHECK(parse_accept(params).empty());

  // Only the first kMaxAcceptBytes are read.
  const std::string padding(kMaxAcceptBytes, ' ');
  CHECK(name(choose_representation(padding + "text/html")) == "activity+json");
}

TEST_CASE("negotiate: generic offers", "[negotiation]") {
  const MediaOffer offers[] = {{"application", "xrd+xml", ""}, {"application", "json", ""}};
  CHECK(negotiate(std::nullopt, offers) == 0u);
  CHECK(negotiate("application/json", offers) == 1u);
  CHECK(negotiate("application/xrd+xml;q=0.5, application/json", offers) == 1u);
  CHECK(negotiate("*/*", offers) == 0u);
  CHECK(negotiate("text/plain", offers) == std::nullopt);
  CHECK(negotiate("application/json", {}) == std::nullopt);
  // A profile on a range names an offer only if the offer has that profile.
  const MediaOffer profiled[] = {{"application", "json", "https://example.com/p"}};
  CHECK(negotiate("application/json;profile=\"https://example.com/p\"", profiled) == 0u);
  CHECK(negotiate("application/json;profile=\"https://example.com/q\"", profiled) == std::nullopt);
  CHECK(negotiate("application/json;profile=\"https://example.com/p\"", offers) == std::nullopt);
}
