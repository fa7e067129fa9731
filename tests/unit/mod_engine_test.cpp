// The community moderation engine (kith::mod::Engine): a flag hides for its
// flagger at once and only once, mutes hide the author, opt-out turns off
// predictions but not own flags, a one-sided brigade in a small two-camp
// world never acts for everyone while a bridged consensus does, an admin's
// overturn lifts it, stats count real bytes, a viewer's recent activity
// does not depend on the order signals are loaded in, and concurrent
// readers and writers do not corrupt anything.
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

TEST_CASE("an unmute lifts the muted-author verdict; undoing never creates anything", "[mod]") {
  Engine engine;
  engine.record(signal(1, 0, 50, SignalKind::author_mute));
  engine.record(signal(1, 0, 60, SignalKind::author_block));
  engine.record(signal(1, 0, 50, SignalKind::author_unmute));
  CHECK(engine.verdict(1, 100, 50).reason == Reason::none);
  CHECK(engine.verdict(1, 200, 60).reason == Reason::muted_author);  // the block stays
  engine.record(signal(1, 0, 60, SignalKind::author_unmute));
  CHECK(engine.verdict(1, 200, 60).reason == Reason::none);
  engine.record(signal(1, 0, 60, SignalKind::author_unmute));  // twice: nothing
  CHECK(engine.verdict(1, 200, 60).reason == Reason::none);
  // Withdrawing a positive on a status never seen creates no status or edge.
  engine.record(signal(2, 300, 50, SignalKind::unpositive));
  CHECK(engine.stats().statuses == 0);
  CHECK(engine.stats().exposures == 0);
}

TEST_CASE("an undone positive leaves the prediction as if it had never been", "[mod]") {
  // A world with positives, so the blend learns a weight for them: camp A
  // favours what author 9001 writes, camp B what 9002 writes.
  TwoCamps world;
  for (int k = 0; k < 2 * world.per_camp; ++k) {
    const AccountId liked = k < world.per_camp ? 9001 : 9002;
    for (int i = 0; i < world.items; ++i)
      if ((k + i) % 3 == 0)
        world.engine.record(signal(1 + k, world.status_of(liked, i), liked, SignalKind::positive));
  }
  world.engine.refit();
  const StatusId shown = world.status_of(9002, 5);
  const double before = world.engine.verdict(1, shown, 9002).probability;
  // Viewer 1 favours statuses it was shown (no new exposure), then takes it back.
  for (int i : {1, 2, 4})
    world.engine.record(signal(1, world.status_of(9002, i), 9002, SignalKind::positive));
  for (int i : {1, 2, 4, 4})  // the last one twice: nothing more
    world.engine.record(signal(1, world.status_of(9002, i), 9002, SignalKind::unpositive));
  CHECK(world.engine.verdict(1, shown, 9002).probability == before);
  CHECK(world.engine.stats().exposures == 80 * 60);
}

TEST_CASE("a viewer's recent activity does not depend on the order it is loaded in", "[mod]") {
  // The daemon loads flags, then exposures; live, each exposure comes
  // before its flag and everything in time order. Viewer 1's new signals
  // (ten statuses of author 9003 over ten hours, four flagged) fed both
  // ways give the same prediction.
  TwoCamps live, loaded;
  constexpr std::int64_t kHour = 3600;
  const auto status_at = [](int k) { return StatusId{9003'000 + k}; };
  const auto flagged = [](int k) { return k % 3 == 0; };
  // Viewer 2 was shown them first in both, so they are known in the same
  // order (and the same exposures are held out of the recent sums).
  for (TwoCamps* world : {&live, &loaded}) {
    for (int k = 0; k < 10; ++k)
      world->engine.record(Signal{2, status_at(k), 9003, SignalKind::exposure, kNow});
    world->engine.refit();
  }
  for (int k = 0; k < 10; ++k) {
    const std::int64_t at = kNow + (k + 1) * kHour;
    live.engine.record(Signal{1, status_at(k), 9003, SignalKind::exposure, at});
    if (flagged(k)) live.engine.record(Signal{1, status_at(k), 9003, SignalKind::flag, at});
  }
  for (int k = 0; k < 10; ++k)
    if (flagged(k))
      loaded.engine.record(Signal{1, status_at(k), 9003, SignalKind::flag, kNow + (k + 1) * kHour});
  for (int k = 9; k >= 0; --k)
    loaded.engine.record(
        Signal{1, status_at(k), 9003, SignalKind::exposure, kNow + (k + 1) * kHour});
  const StatusId shown = 9002'999;  // new: neither engine has seen it
  for (const std::int64_t at : {std::int64_t{0}, kNow + 11 * kHour, kNow + 30 * 24 * kHour}) {
    const double a = live.engine.verdict(1, shown, 9002, at).probability;
    const double b = loaded.engine.verdict(1, shown, 9002, at).probability;
    // The sums are kept in 16 bits: the two orders differ by rounding only.
    CHECK(a == Approx(b).epsilon(1e-4));
  }
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

TEST_CASE("a one-sided brigade never acts for everyone; a bridged consensus does", "[mod]") {
  TwoCamps world;
  Engine& engine = world.engine;
  // Camp A, nearly all of it, flags one status of B's favourite author.
  const StatusId brigaded = 6000;
  // Both camps, about nine in ten of each, flag one status.
  const StatusId bridged = 5000;
  std::mt19937 rng(11);
  std::uniform_real_distribution<double> u(0, 1);
  for (int k = 0; k < world.per_camp; ++k) {
    for (AccountId viewer : {world.camp_a(k), world.camp_b(k)}) {
      engine.record(signal(viewer, brigaded, 9002, SignalKind::exposure));
      engine.record(signal(viewer, bridged, 9003, SignalKind::exposure));
      if (u(rng) < 0.9) engine.record(signal(viewer, bridged, 9003, SignalKind::flag));
    }
    if (k % 10 != 0) engine.record(signal(world.camp_a(k), brigaded, 9002, SignalKind::flag));
  }
  const auto changed = engine.refit();
  CHECK_FALSE(engine.acted_for_everyone(brigaded));
  CHECK(engine.acted_for_everyone(bridged));
  REQUIRE(changed.size() == 1);
  CHECK(changed[0].status == bridged);
  CHECK(changed[0].acted);
  CHECK(changed[0].flaggers_negative_side >= 3);
  CHECK(changed[0].flaggers_positive_side >= 3);

  const auto queue = engine.review_queue(10);
  REQUIRE(queue.size() == 1);
  CHECK(queue[0].status == bridged);
  CHECK(queue[0].bridged);
  CHECK_FALSE(queue[0].admin_confirmed.has_value());

  // Everyone sees it warned, with the community as the reason (unless their
  // own flag hides it).
  const auto v = engine.verdict(world.camp_b(1), bridged, 9003);
  CHECK(v.action != Action::none);

  SECTION("an admin's overturn lifts it at once and it stays lifted") {
    engine.set_admin_decision(bridged, false);
    CHECK_FALSE(engine.acted_for_everyone(bridged));
    engine.refit();
    CHECK_FALSE(engine.acted_for_everyone(bridged));
    const auto after = engine.review_queue(10);
    REQUIRE(after.size() == 1);
    CHECK(after[0].admin_confirmed == false);
  }
  SECTION("an admin's confirmation keeps it") {
    engine.set_admin_decision(bridged, true);
    engine.refit();
    CHECK(engine.acted_for_everyone(bridged));
  }
}

TEST_CASE("predicted verdicts follow the viewer's camp, and opt-out turns them off", "[mod]") {
  TwoCamps world;
  Engine& engine = world.engine;
  // A new status of the author camp A dislikes, shown to both camps and
  // flagged by much of camp A.
  const StatusId fresh = 7000;
  for (int k = 0; k < world.per_camp; ++k) {
    engine.record(signal(world.camp_a(k), fresh, 9002, SignalKind::exposure));
    if (k >= 2) engine.record(signal(world.camp_b(k), fresh, 9002, SignalKind::exposure));
    if (k >= 2 && k % 3 != 0) engine.record(signal(world.camp_a(k), fresh, 9002, SignalKind::flag));
  }
  engine.refit();
  const AccountId a_viewer = world.camp_a(0), b_viewer = world.camp_b(0);
  const auto for_a = engine.verdict(a_viewer, fresh, 9002);
  const auto for_b = engine.verdict(b_viewer, fresh, 9002);
  CHECK(for_a.probability > for_b.probability);
  CHECK(for_a.action == Action::warn);
  CHECK(for_a.reason == Reason::predicted);
  CHECK(for_b.action == Action::none);
  const auto why = engine.explain(a_viewer, fresh, 9002);
  CHECK(why.verdict.probability >= why.threshold);
  CHECK(why.status_rate > why.viewer_rate / 10);

  // The author of a status is never warned about it by a prediction.
  CHECK(engine.verdict(9002, fresh, 9002).action == Action::none);

  engine.set_preferences(a_viewer, Preferences{false, 0.5, Action::hide});
  CHECK(engine.verdict(a_viewer, fresh, 9002).action == Action::hide);

  engine.set_preferences(a_viewer, Preferences{true, 0.5, Action::hide});
  CHECK(engine.verdict(a_viewer, fresh, 9002).action == Action::none);
  // Own flags still hide after opting out.
  engine.record(signal(a_viewer, 7001, 9002, SignalKind::flag));
  CHECK(engine.verdict(a_viewer, 7001, 9002).reason == Reason::own_flag);
}

TEST_CASE("sybils flagging everything by one author do not act for everyone", "[mod]") {
  TwoCamps world;
  Engine& engine = world.engine;
  // 30 new accounts copy a camp-B member's activity and flag every status
  // of author 9002 (the author camp B likes).
  for (int s = 0; s < 30; ++s) {
    const AccountId sybil = 50'000 + s;
    engine.set_account(sybil, AccountFacts{kNow - 2 * 86400, false, false});
    for (int i = 0; i < world.items; ++i) {
      engine.record(signal(sybil, world.status_of(9001, i), 9001, SignalKind::exposure));
      engine.record(signal(sybil, world.status_of(9002, i), 9002, SignalKind::flag));
    }
  }
  const double before = engine.verdict(world.camp_b(3), world.status_of(9002, 1), 9002).probability;
  const auto changed = engine.refit();
  for (const auto& e : changed) CHECK_FALSE(e.acted);
  for (int i = 0; i < world.items; ++i)
    CHECK_FALSE(engine.acted_for_everyone(world.status_of(9002, i)));
  // Camp B still sees its author's statuses.
  int warned = 0;
  for (int k = 0; k < world.per_camp; ++k)
    for (int i = 0; i < world.items; ++i) {
      const auto v = engine.verdict(world.camp_b(k), world.status_of(9002, i), 9002);
      warned += v.reason == Reason::predicted;
    }
  CHECK(warned <= world.per_camp * world.items / 50);
  CHECK(before < 0.9);
}

TEST_CASE("stats count accounts, statuses, flags and their bytes", "[mod]") {
  TwoCamps world;
  const auto s = world.engine.stats();
  CHECK(s.accounts == 2 * 40 + 2);
  CHECK(s.statuses == 60);
  CHECK(s.exposures == 80 * 60);
  CHECK(s.flags > 0);
  CHECK(s.bytes > s.exposures * 8);
  CHECK(s.bytes_per_account > 30);
  CHECK(s.bytes_per_account <= 80);     // small tables: spare capacity weighs more
  CHECK(s.bytes_per_status <= 64 * 2);  // small tables: the capacity dominates
  CHECK(s.bytes_per_flag <= 16);
  world.engine.refit();
  CHECK(world.engine.stats().last_refit_seconds > 0);
}

TEST_CASE("records, verdicts and refits from several threads at once", "[mod]") {
  Engine engine;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(t);
      for (int n = 0; n < 20'000; ++n) {
        const AccountId rater = 1 + rng() % 200;
        const StatusId status = 1 + rng() % 500;
        const auto kind = rng() % 7 == 0 ? SignalKind::flag : SignalKind::exposure;
        engine.record(signal(rater, status, 10'000 + status % 20, kind));
        if (n % 1000 == 0) engine.forget_status(1 + rng() % 500);
      }
    });
  std::atomic<long> hidden{0};
  for (int t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      while (!stop) {
        const auto v = engine.verdict(1 + rng() % 200, 1 + rng() % 500, 10'000 + rng() % 20);
        hidden += v.action == Action::hide;
        engine.review_queue(5);
      }
    });
  std::thread refitter([&] {
    while (!stop) engine.refit();
  });
  for (int t = 0; t < 3; ++t) threads[t].join();
  stop = true;
  for (std::size_t t = 3; t < threads.size(); ++t) threads[t].join();
  refitter.join();
  engine.refit();
  const auto s = engine.stats();
  CHECK(s.accounts > 0);
  CHECK(s.flags <= s.exposures);
}
