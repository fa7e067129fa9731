// The `kith_mod` notification payloads of migrations 0016 and 0019, parsed
// for the moderation service (src/api/moderation_notice.hpp): each kind read
// right, and anything malformed refused (nullopt) rather than guessed, and
// the moderation.* configuration keys with their bounds.
#include <catch2/catch.hpp>
#include <string>

#include "../../src/api/moderation_notice.hpp"
#include "../../src/api/moderation_service.hpp"
#include "kith/core/config.hpp"

using kith::api::ModerationNotice;
using kith::api::parse_moderation_notice;
using kith::mod::SignalKind;

TEST_CASE("kith_mod notices: each kind is read", "[moderation]") {
  auto flag = parse_moderation_notice("f 11 22 33 1700000000123");
  REQUIRE(flag);
  CHECK(flag->kind == ModerationNotice::Kind::signal);
  CHECK(flag->signal.kind == SignalKind::flag);
  CHECK(flag->signal.rater == 11);
  CHECK(flag->signal.status == 22);
  CHECK(flag->signal.author == 33);
  CHECK(flag->signal.at == 1700000000);
  CHECK(flag->sent_at_ms == 1700000000123);

  CHECK(parse_moderation_notice("p 1 2 3 4")->signal.kind == SignalKind::positive);
  auto mute = parse_moderation_notice("m 1 0 3 4");
  REQUIRE(mute);
  CHECK(mute->signal.kind == SignalKind::author_mute);
  CHECK(mute->signal.status == 0);
  CHECK(parse_moderation_notice("b 1 0 3 4")->signal.kind == SignalKind::author_block);
  // Undoing: an unmute/unblock with none left, an unfavourite.
  CHECK(parse_moderation_notice("u 1 0 3 4")->signal.kind == SignalKind::author_unmute);
  CHECK(parse_moderation_notice("n 1 2 3 4")->signal.kind == SignalKind::unpositive);
  CHECK_FALSE(parse_moderation_notice("u 1 0 3"));

  auto domain = parse_moderation_notice("d 7 example.social 1700000000000");
  REQUIRE(domain);
  CHECK(domain->kind == ModerationNotice::Kind::domain_block);
  CHECK(domain->signal.rater == 7);
  CHECK(domain->domain == "example.social");
  auto lifted = parse_moderation_notice("D 7 example.social 1700000000000");
  REQUIRE(lifted);
  CHECK(lifted->kind == ModerationNotice::Kind::domain_unblock);
  CHECK(lifted->domain == "example.social");

  auto confirmed = parse_moderation_notice("c 42");
  REQUIRE(confirmed);
  CHECK(confirmed->kind == ModerationNotice::Kind::admin_decision);
  CHECK(confirmed->signal.status == 42);
  CHECK(confirmed->confirmed);
  CHECK_FALSE(parse_moderation_notice("o 42")->confirmed);

  auto preferences = parse_moderation_notice("P 5 1 0.25 hide");
  REQUIRE(preferences);
  CHECK(preferences->kind == ModerationNotice::Kind::preferences);
  CHECK(preferences->signal.rater == 5);
  CHECK(preferences->preferences.opt_out);
  CHECK(preferences->preferences.sensitivity == 0.25);
  CHECK(preferences->preferences.action == kith::mod::Action::hide);
  CHECK(parse_moderation_notice("P 5 0 1 warn")->preferences.action == kith::mod::Action::warn);

  auto deleted = parse_moderation_notice("x 99");
  REQUIRE(deleted);
  CHECK(deleted->kind == ModerationNotice::Kind::status_deleted);
  CHECK(deleted->signal.status == 99);

  auto facts = parse_moderation_notice("a 5 1600000000 1 0");
  REQUIRE(facts);
  CHECK(facts->kind == ModerationNotice::Kind::account_facts);
  CHECK(facts->signal.rater == 5);
  CHECK(facts->facts.created_at == 1600000000);
  CHECK(facts->facts.local);
  CHECK_FALSE(facts->facts.admin_vouched);
}

TEST_CASE("kith_mod notices: malformed ones are refused", "[moderation]") {
  const char* bad[] = {
      "",
      "f",
      "f 1 2 3",                       // too few fields
      "f 1 2 3 4 5",                   // too many
      "q 1 2 3 4",                     // unknown kind
      "ff 1 2 3 4",                    // kind of two letters
      "f -1 2 3 4",                    // negative id
      "f 0 2 3 4",                     // no rater
      "f 1 two 3 4",                   // not a number
      "f 1 2 3 4x",                    // trailing garbage
      "f 1  2 3 4",                    // two spaces
      "f 99999999999999999999 2 3 4",  // out of range
      "x",
      "x 0",
      "x 1 2",
      "a 5 1600000000 2 0",  // local must be 0 or 1
      "a 5 1600000000 1",
      "d 7  1700000000000",  // empty domain
      "D 7 example.social",  // no time
      "c",
      "c 0",
      "o 1 2",
      "P 5 1 0.25",       // no action
      "P 5 2 0.25 hide",  // opt_out must be 0 or 1
      "P 5 0 1.5 warn",   // sensitivity above 1
      "P 5 0 -0 warn",    // signed
      "P 5 0 nan warn",
      "P 5 0 0.5 none",  // warn or hide only
      "P 0 0 0.5 warn",  // no account
  };
  for (const char* payload : bad) {
    INFO(payload);
    CHECK_FALSE(parse_moderation_notice(payload));
  }
  const std::string long_domain = "d 7 " + std::string(254, 'a') + " 1";
  CHECK_FALSE(parse_moderation_notice(long_domain));
}

TEST_CASE("moderation configuration keys and their bounds", "[moderation]") {
  auto no_env = [](const std::string&) -> std::optional<std::string> { return std::nullopt; };
  auto defaults = kith::core::load_config_from_string("", "test", no_env);
  CHECK(defaults.moderation.refit_interval == std::chrono::seconds(50));
  auto set = kith::core::load_config_from_string(
      "[moderation]\nrefit_interval = \"5s\"\nexposure_retention = \"48h\"\nmax_exposures = 0\n",
      "test", no_env);
  CHECK(set.moderation.refit_interval == std::chrono::seconds(5));
  CHECK(set.moderation.exposure_retention == std::chrono::hours(48));
  CHECK(set.moderation.max_exposures == 0);
  CHECK_THROWS_AS(kith::core::load_config_from_string("[moderation]\nrefit_interval = \"2h\"\n",
                                                      "test", no_env),
                  kith::core::ConfigError);
  CHECK_THROWS_AS(kith::core::load_config_from_string(
                      "[moderation]\nexposure_retention = \"10m\"\n", "test", no_env),
                  kith::core::ConfigError);
  CHECK_THROWS_AS(
      kith::core::load_config_from_string("[moderation]\nmax_exposures = -1\n", "test", no_env),
      kith::core::ConfigError);
}
