// The signal store's own state, below the Engine (src/mod/signal_store.hpp):
// what a restart's load order must not change. The Engine-level test of the
// same claim (mod_engine_test.cpp) compares predictions, which a small
// blend weight could hide; this one compares the stored sums themselves.
#include <catch2/catch.hpp>

#include <cstdint>
#include <cstdlib>

#include "../../src/mod/signal_store.hpp"

using kith::mod::Signal;
using kith::mod::SignalKind;
using kith::mod::StatusId;
using kith::mod::detail::SignalStore;

TEST_CASE("a viewer's recent sums are the same whatever order signals are loaded in", "[mod]") {
  // Viewer 1 is shown forty statuses over forty hours and flags every third.
  // Live: each exposure, then its flag, in time order. Loaded as the
  // daemon does at start: all flags, then all exposures, newest first.
  constexpr std::int64_t kStart = 1'700'000'000, kHour = 3600;
  constexpr int kStatuses = 40;
  const auto status_at = [](int k) { return StatusId{5000 + k}; };
  const auto at = [](int k) { return kStart + k * kHour; };
  const auto flagged = [](int k) { return k % 3 == 0; };
  SignalStore live, loaded;
  // Another viewer saw the statuses first in both, so each store gives them
  // the same places (and so holds out the same exposures).
  for (SignalStore* store : {&live, &loaded})
    for (int k = 0; k < kStatuses; ++k)
      store->record(Signal{2, status_at(k), 9, SignalKind::exposure, kStart});
  for (int k = 0; k < kStatuses; ++k) {
    live.record(Signal{1, status_at(k), 9, SignalKind::exposure, at(k)});
    if (flagged(k)) live.record(Signal{1, status_at(k), 9, SignalKind::flag, at(k)});
  }
  for (int k = 0; k < kStatuses; ++k)
    if (flagged(k)) loaded.record(Signal{1, status_at(k), 9, SignalKind::flag, at(k)});
  for (int k = kStatuses - 1; k >= 0; --k)
    loaded.record(Signal{1, status_at(k), 9, SignalKind::exposure, at(k)});

  const std::uint32_t a = live.account_index(1), b = loaded.account_index(1);
  REQUIRE(a == b);
  CHECK(live.accounts.recent_at[a] == loaded.accounts.recent_at[b]);
  // Kept in 16 bits each and rounded at every signal, so the two orders
  // drift apart by a few units over forty signals (seen: 3 of 1/64
  // exposure, 21 of 1/65,535 share), never by what a wrong decay costs.
  const double exposure_units = 64, share_units = 65'535;
  CHECK(std::abs(live.accounts.recent_exposures[a] - loaded.accounts.recent_exposures[b]) <=
        0.1 * exposure_units);
  CHECK(std::abs(live.accounts.recent_flag_share[a] - loaded.accounts.recent_flag_share[b]) <=
        0.001 * share_units);
  CHECK(live.accounts.recent_exposures[a] > 0);
  CHECK(live.accounts.recent_flag_share[a] > 0);
}
