// The community moderation engine (kith::mod::Engine): a flag hides for its
// flagger at once and only once, mutes hide the author, opt-out turns off
// predictions but not own flags, a one-sided brigade in a small two-camp
// world never acts for everyone while a bridged consensus does, an admin's
// overturn lifts it, stats count real bytes, and concurrent readers and
// writers do not corrupt anything.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <thread>
#include <vector>

#include "kith/mod/engine.hpp"

using kith::mod::AccountFacts;
using kith::mod::AccountId;
using kith::mod::Action;
using kith::mod::Engine;
using kith::mod::Preferences;
using kith::mod::Reason;
using kith::mod::Signal;
using kith::mod::SignalKind;
using kith::mod::StatusId;

namespace {

constexpr std::int64_t kNow = 1'700'000'000;

Signal signal(AccountId rater, StatusId status, AccountId author, SignalKind kind) {
  return Signal{rater, status, author, kind, kNow};
}

// Two camps of users with opposed tastes: camp A flags what camp B writes
// that A dislikes and vice versa. Accounts 1..per_camp are camp A,
// per_camp+1..2*per_camp camp B; authors 9001 (liked by A) and 9002 (liked
// by B); statuses 1..items of each author. Everyone is shown everything.
struct TwoCamps {
  int per_camp = 40;
  int items = 30;
  Engine engine;

  AccountId camp_a(int k) const { return 1 + k; }
  AccountId camp_b(int k) const { return 1 + per_camp + k; }
  StatusId status_of(AccountId author, int k) const { return author * 1000 + k; }

  TwoCamps() {
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(0, 1);
    for (int k = 0; k < 2 * per_camp; ++k)
      engine.set_account(1 + k, AccountFacts{kNow - 400 * 86400, true, false});
    for (int k = 0; k < 2 * per_camp; ++k) {
      const bool in_a = k < per_camp;
      for (AccountId author : {AccountId{9001}, AccountId{9002}}) {
        const bool disliked = (author == 9002) == in_a;
        for (int i = 0; i < items; ++i) {
          const StatusId status = status_of(author, i);
          engine.record(signal(1 + k, status, author, SignalKind::exposure));
          if (u(rng) < (disliked ? 0.45 : 0.02))
            engine.record(signal(1 + k, status, author, SignalKind::flag));
        }
      }
    }
  }
};

}  // namespace

TEST_CASE("a flag hides the status for its flagger at once", "[mod]") {
  Engine engine;
  const Signal flag = signal(1, 100, 50, SignalKind::flag);
  CHECK(engine.verdict(1, 100, 50).action == Action::none);
  engine.record(flag);
  const auto v = engine.verdict(1, 100, 50);
  CHECK(v.action == Action::hide);
  CHECK(v.reason == Reason::own_flag);
  // Someone else is not hidden by one flag.
  CHECK(engine.verdict(2, 100, 50).reason != Reason::own_flag);
}

TEST_CASE("recording the same flag twice changes nothing, unflag removes it", "[mod]") {
  Engine engine;
  engine.record(signal(1, 100, 50, SignalKind::exposure));
  engine.record(signal(1, 100, 50, SignalKind::flag));
  const auto once = engine.stats();
  const double p_once = engine.verdict(2, 100, 50).probability;
  engine.record(signal(1, 100, 50, SignalKind::flag));
  engine.record(signal(1, 100, 50, SignalKind::exposure));
  const auto twice = engine.stats();
  CHECK(twice.flags == once.flags);
  CHECK(twice.exposures == once.exposures);
  CHECK(engine.verdict(2, 100, 50).probability == p_once);
  CHECK(once.flags == 1);
  CHECK(once.exposures == 1);

  engine.record(signal(1, 100, 50, SignalKind::unflag));
  CHECK(engine.stats().flags == 0);
  CHECK(engine.stats().exposures == 1);  // still shown, no longer flagged
  CHECK(engine.verdict(1, 100, 50).reason != Reason::own_flag);
  // Unflagging what was never flagged creates nothing.
  engine.record(signal(1, 777, 50, SignalKind::unflag));
  CHECK(engine.stats().exposures == 1);
}

TEST_CASE("muting or blocking an author hides their statuses for the viewer only", "[mod]") {
  Engine engine;
  engine.record(signal(1, 0, 50, SignalKind::author_mute));
  engine.record(signal(2, 0, 60, SignalKind::author_block));
  CHECK(engine.verdict(1, 100, 50).reason == Reason::muted_author);
  CHECK(engine.verdict(1, 100, 50).action == Action::hide);
  CHECK(engine.verdict(2, 200, 60).reason == Reason::muted_author);
  CHECK(engine.verdict(3, 100, 50).reason == Reason::none);
  CHECK(engine.verdict(1, 200, 60).reason == Reason::none);
}

TEST_CASE("preferences are kept, cleaned, and default otherwise", "[mod]") {
  Engine engine;
  CHECK(engine.preferences(1).sensitivity == Preferences{}.sensitivity);
  engine.set_preferences(1, Preferences{true, 7.0, Action::hide});
  const Preferences p = engine.preferences(1);
  CHECK(p.opt_out);
  CHECK(p.sensitivity == 1.0);
  CHECK(p.action == Action::hide);
  CHECK_FALSE(engine.preferences(2).opt_out);
}

TEST_CASE("forgetting a status removes its flags and exposures", "[mod]") {
  Engine engine;
  engine.record(signal(1, 100, 50, SignalKind::flag));
  engine.record(signal(2, 100, 50, SignalKind::exposure));
  engine.record(signal(2, 101, 50, SignalKind::exposure));
  engine.forget_status(100);
  CHECK(engine.verdict(1, 100, 50).reason != Reason::own_flag);
  CHECK(engine.stats().statuses == 1);
  engine.refit();
  CHECK(engine.stats().exposures == 1);
  CHECK(engine.stats().flags == 0);
}
