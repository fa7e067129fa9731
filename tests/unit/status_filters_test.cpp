// Matching filters against statuses (src/api/status_filters.hpp): keyword
// matching as Mastodon's CustomFilter (case-insensitive, word boundaries
// when whole_word), and the FilterResult entities a FilterSet gives.
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <string>

#include "../../src/api/status_filters.hpp"
#include "kith/mod/engine.hpp"

using kith::api::FilterContext;
using kith::api::FilterSet;
using kith::api::keyword_matches;

TEST_CASE("filter keywords match as Mastodon's whole_word rules say") {
  struct Case {
    const char* text;
    const char* keyword;
    bool whole_word;
    bool expected;
  };
  const Case cases[] = {
      {"I like cats", "cats", true, true},
      {"I like CATS!", "cats", true, true},
      {"Cats: the musical", "cats", true, true},
      {"pass the catsup", "cats", true, false},
      {"pass the catsup", "cats", false, true},
      {"bobcats", "cats", true, false},
      {"snake_case", "case", true, false},  // '_' is a word character
      {"a #cats tag", "#cats", true, true},
      {"a#cats", "#cats", true, true},  // starts with a non-word character: no boundary needed
      {"see https://t.co/x", "https://t.co/", false, true},
      {"Über alles", "über", true, true},    // Latin-1 capitals fold
      {"ПРИВЕТ мир", "привет", true, true},  // Cyrillic capitals fold
      {"naïveté", "na", true, false},        // non-ASCII letters are word characters
      {"end—cats—end", "cats", true, true},  // an em dash is not
      {"", "cats", false, false},
      {"cats", "", false, false},
  };
  for (const Case& c : cases) {
    INFO(c.text << " / " << c.keyword << " / " << c.whole_word);
    CHECK(keyword_matches(c.text, c.keyword, c.whole_word) == c.expected);
  }
}

TEST_CASE("a FilterSet reports keyword and status matches as FilterResult entities") {
  kith::db::FilterRow filter;
  filter.id = 7;
  filter.title = "Spoilers";
  filter.context = {"home"};
  filter.action = "hide";
  filter.keywords.push_back({1, 7, "finale", true});
  filter.statuses.push_back({2, 7, 42});
  FilterSet set;
  set.add(filter);

  kith::db::StatusView status;
  status.id = 10;
  status.local = true;
  status.text = "no spoilers here";
  auto none = set.apply(status, nullptr);
  CHECK(none.results.empty());

  status.spoiler_text = "The FINALE";
  auto verdict = set.apply(status, nullptr);
  REQUIRE(verdict.results.size() == 1);
  const nlohmann::json& result = verdict.results[0];
  CHECK(result["filter"]["id"] == "7");
  CHECK(result["filter"]["filter_action"] == "hide");
  CHECK_FALSE(result["filter"].contains("keywords"));  // left out of a FilterResult
  CHECK(result["keyword_matches"] == nlohmann::json::array({"finale"}));
  CHECK(result["status_matches"].is_null());
  CHECK_FALSE(verdict.hide);  // FilterContext::any never hides

  // A boost of status 42: the boosted status's id matches.
  kith::db::StatusView original;
  original.id = 42;
  original.content = "<p>plain</p>";
  kith::db::StatusView boost;
  boost.id = 43;
  boost.reblog_of_id = 42;
  auto boosted = set.apply(boost, &original);
  REQUIRE(boosted.results.size() == 1);
  CHECK(boosted.results[0]["status_matches"] == nlohmann::json::array({"42"}));
  CHECK(boosted.results[0]["keyword_matches"].is_null());
}

TEST_CASE("a FilterSet adds the moderation engine's verdict as a kith system filter") {
  kith::mod::Engine engine;
  constexpr std::int64_t alice = 1, bob = 2, carol = 3;
  kith::db::StatusView status;
  status.id = 10;
  status.account_id = bob;
  status.local = true;
  status.text = "reported by alice";
  engine.record({alice, status.id, bob, kith::mod::SignalKind::exposure, 100});
  engine.record({carol, status.id, bob, kith::mod::SignalKind::exposure, 100});
  engine.record({alice, status.id, bob, kith::mod::SignalKind::flag, 101});

  // alice's own flag hides it for her at once: removed in a context...
  FilterSet home(FilterContext::home);
  home.set_moderation(&engine, alice);
  CHECK_FALSE(home.empty());
  auto hidden = home.apply(status, nullptr);
  CHECK(hidden.hide);
  REQUIRE(hidden.results.size() == 1);
  const nlohmann::json& result = hidden.results[0];
  CHECK(result["filter"]["id"] == "kith-reported-by-you");
  CHECK(result["filter"]["filter_action"] == "hide");
  CHECK(result["filter"]["keywords"] == nlohmann::json::array());
  CHECK(result["filter"]["statuses"] == nlohmann::json::array());
  CHECK(result["filter"]["context"].size() == 5);
  CHECK(result["status_matches"] == nlohmann::json::array({"10"}));
  CHECK(result["keyword_matches"].is_null());

  // ...reported, not removed, with FilterContext::any (GET /statuses/:id).
  FilterSet any;
  any.set_moderation(&engine, alice);
  auto reported = any.apply(status, nullptr);
  CHECK_FALSE(reported.hide);
  CHECK(reported.results.size() == 1);

  // A boost carries the verdict on the boosted status.
  kith::db::StatusView boost;
  boost.id = 11;
  boost.account_id = carol;
  boost.reblog_of_id = status.id;
  auto boosted = home.apply(boost, &status);
  CHECK(boosted.hide);
  REQUIRE(boosted.results.size() == 1);
  CHECK(boosted.results[0]["status_matches"] == nlohmann::json::array({"10"}));

  // Not for carol, nor for the author, nor for anonymous viewers.
  for (std::int64_t viewer : {carol, bob, std::int64_t{0}}) {
    FilterSet other(FilterContext::public_timelines);
    other.set_moderation(&engine, viewer);
    auto verdict = other.apply(status, nullptr);
    CHECK_FALSE(verdict.hide);
    for (const auto& r : verdict.results) CHECK(r["filter"]["id"] != "kith-reported-by-you");
  }

  // A mute is left to kith's own visibility rules (the engine never hears
  // of an unmute): no filter for it.
  constexpr std::int64_t dave = 4;
  engine.record({dave, 0, bob, kith::mod::SignalKind::author_mute, 102});
  REQUIRE(engine.verdict(dave, status.id, bob).reason == kith::mod::Reason::muted_author);
  FilterSet muting(FilterContext::home);
  muting.set_moderation(&engine, dave);
  auto muted = muting.apply(status, nullptr);
  CHECK_FALSE(muted.hide);
  for (const auto& r : muted.results) CHECK(r["filter"]["id"] != "kith-muted-author");

  // No engine: nothing.
  FilterSet plain(FilterContext::home);
  plain.set_moderation(nullptr, alice);
  CHECK(plain.empty());
  CHECK(plain.apply(status, nullptr).results.empty());
}
