// The moderation engine's memory: accounts and statuses as dense indices,
// exposure edges, mutes, preferences, and the online counters (raw and
// trust-weighted flag and exposure sums, and each viewer's time-decayed
// recent ones) that the shrunk rates read.
//
// The one idea: everything is a flat array indexed by a dense uint32, and
// an exposure is one 8-byte key (viewer index << 32 | status index) with the
// flag and positive signals as its two top bits, so "shown and not flagged"
// costs nothing extra and a flag costs one bit. record() is idempotent per
// (rater, status, kind): it changes counters only when an edge's bit changes.
//
// What it must never do: hold anything but numbers (no text, no I/O), or
// grow by anything but the accounts, statuses, edges and mutes fed to it.
#pragma once

#include <array>
#include <bit>
#include <cstdint>
#include <unordered_map>
#include <vector>

#include "factor_model.hpp"
#include "flat_tables.hpp"
#include "kith/mod/engine.hpp"

namespace kith::mod::detail {

inline constexpr std::uint64_t kFlagBit = std::uint64_t{1} << 63;
inline constexpr std::uint64_t kPositiveBit = std::uint64_t{1} << 62;
inline constexpr std::uint64_t kPairMask = kPositiveBit - 1;
// Account indices take 30 bits of an edge; statuses take 31.
inline constexpr std::uint32_t kMaxAccounts = (1u << 30) - 2;
inline constexpr std::uint32_t kMaxStatuses = 0x7ffffff0u;  // the refit packs a flag bit beside
inline constexpr std::uint32_t kNoIndex = IdIndex::kNone;
inline constexpr std::uint16_t kMaxPositives = 0xffff;

inline std::uint64_t edge_key(std::uint32_t user, std::uint32_t item) {
  return (std::uint64_t{user} << 32) | item;
}
inline std::uint32_t edge_user(std::uint64_t edge) {
  return static_cast<std::uint32_t>((edge & kPairMask) >> 32);
}
inline std::uint32_t edge_item(std::uint64_t edge) {
  return static_cast<std::uint32_t>(edge);
}
inline bool edge_flagged(std::uint64_t edge) {
  return (edge & kFlagBit) != 0;
}

// One exposure in ten (by a hash of the pair, so stable across refits
// and known when the exposure is recorded) is held out: of the factor fit,
// and of the viewer's recent sums, so the blend can be fitted on it. (One
// in ten rather than twenty: on MovieLens, 5 seeds, random-split AUC
// 0.7967 -> 0.7981, cold items 0.7643 -> 0.7655, temporal unchanged; one
// in five or seven takes too much from the factor fit.)
inline constexpr std::uint64_t kHoldoutOneIn = 10;
inline bool held_out(std::uint64_t edge) {
  return mix64((edge & kPairMask) ^ 0x5eed5eedULL) % kHoldoutOneIn == 0;
}

// A viewer's recent rate: flags and exposures decayed by exp(-age / tau)
// with tau one day, so "recent" means today's mood on a server where
// people read daily (Koren's day-specific user bias, timeSVD++), not a
// constant fitted to the benchmark (12 hours to 2 days give the same
// figures there).
inline constexpr double kRecentSeconds = 86'400;
// The decayed exposure sum is stored in 16 bits, in 1/kRecentExposureUnits
// of an exposure, so it stops growing at about 1,024: a viewer shown more
// than that within about a day has the recent rate of roughly their last
// 1,024 exposures (on the benchmark, 256 would cost 0.006 of temporal AUC,
// 1,024 nothing). The recent flag share is stored in 16 bits too, in
// 1/kRecentShareScale.
inline constexpr double kRecentExposureUnits = 64;
inline constexpr double kMaxRecentExposures = 65'535 / kRecentExposureUnits;
inline constexpr double kRecentShareScale = 65'535;

using EdgeSet = KeySet<kPairMask>;
using PairSet = KeySet<~std::uint64_t{0}>;

// A float kept in 2 bytes (bfloat16: a float's top half, rounded to
// nearest), for the viewer model's parameters, whose third significant
// digit changes no verdict: it keeps an account and a status under 64 bytes.
struct Half {
  std::uint16_t bits = 0;
  Half() = default;
  Half(float value) {  // NOLINT: converts implicitly, as a float would
    const auto u = std::bit_cast<std::uint32_t>(value);
    bits = static_cast<std::uint16_t>((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
  }
  operator float() const { return std::bit_cast<float>(std::uint32_t{bits} << 16); }
};

// Account bits (AccountFacts).
inline constexpr std::uint8_t kAccountLocal = 1;
inline constexpr std::uint8_t kAccountVouched = 2;

// Status state bits (instance-wide action and admin decisions).
inline constexpr std::uint8_t kStatusActed = 1;
inline constexpr std::uint8_t kStatusDecided = 2;
inline constexpr std::uint8_t kStatusConfirmed = 4;
inline constexpr std::uint8_t kStatusForgotten = 8;

// Which side of the factor axis an account's flags count on: index 0 is
// the negative side, 1 the positive; accounts near zero count half on each.
inline constexpr float kSideMargin = 0.05f;
inline std::array<float, 2> side_shares(float factor) {
  if (factor > kSideMargin) return {0.f, 1.f};
  if (factor < -kSideMargin) return {1.f, 0.f};
  return {0.5f, 0.5f};
}

struct Accounts {
  std::vector<std::int64_t> ids;
  IdIndex index;
  // As a viewer: raw counts of the statuses it flagged and was shown.
  std::vector<std::uint32_t> flags_given, exposures_seen;
  // As a viewer: positive signals given (favourites, boosts, replies),
  // saturating at kMaxPositives (a rate from 65,535 of them is known well).
  std::vector<std::uint16_t> positives_given;
  // As an author: trust-weighted flags and exposures of its statuses.
  std::vector<float> author_flag_weight, author_exposure_weight;
  std::vector<Half> trust;                // weight of its flags, set at refit (and set_account)
  std::vector<std::uint32_t> created_at;  // unix seconds, 0 unknown
  std::vector<std::uint8_t> bits;
  std::vector<Half> bias, factor;  // the factor model's user intercept and factor
  std::vector<Half> viewer_bias, viewer_factor, viewer_factor2;  // the viewer model's
  // As a viewer: its recent activity (add_recent()), held-out exposures
  // left out. recent_at is its newest exposure's or flag's time (unix
  // seconds); recent_exposures the exposures decayed to that time, in
  // 1/kRecentExposureUnits (at most kMaxRecentExposures);
  // recent_flag_share the decayed flags' share of them, in
  // 1/kRecentShareScale. recent_sums() decodes them.
  std::vector<std::uint32_t> recent_at;
  std::vector<std::uint16_t> recent_exposures;
  std::vector<std::uint16_t> recent_flag_share;

  struct RecentSums {
    double flags = 0, exposures = 0;
  };
  RecentSums recent_sums(std::uint32_t user) const {
    const double exposures = recent_exposures[user] / kRecentExposureUnits;
    return {exposures * recent_flag_share[user] / kRecentShareScale, exposures};
  }

  std::size_t size() const { return ids.size(); }
  std::size_t bytes() const;
};

struct Statuses {
  std::vector<std::int64_t> ids;  // 0 for a forgotten status whose slot is not reused yet
  IdIndex index;
  std::vector<std::uint32_t> authors;               // account index or kNoIndex
  std::vector<std::uint32_t> exposures;             // distinct viewers, raw
  std::vector<std::uint16_t> positives;             // distinct viewers' positives, raw, saturating
  std::vector<float> flag_weight, exposure_weight;  // trust-weighted
  // Trust-weighted flags and exposures from the positive side of the factor
  // axis (the negative side's are the totals minus these, as every account's
  // side shares sum to 1), so a viewer's prediction can lean on its own side.
  std::vector<float> positive_flag_weight, positive_exposure_weight;
  std::vector<float> bias, factor;  // the factor model's status intercept and factor
  std::vector<Half> viewer_bias, viewer_factor, viewer_factor2;  // the viewer model's
  std::vector<std::uint8_t> state;

  std::size_t size() const { return ids.size(); }
  std::size_t bytes() const;
};

// One change to an edge, kept while a refit runs so it can be replayed onto
// the counters the refit swaps in.
struct EdgeChange {
  std::uint64_t edge = 0;              // pair only
  std::int8_t exposure = 0, flag = 0;  // +1 added, -1 removed, 0 unchanged
};

class SignalStore {
 public:
  // Applies one signal; returns whether anything changed.
  bool record(const Signal& signal);
  void set_account(AccountId account, const AccountFacts& facts);
  // Forgets a status: its counters leave the sums at once, its edges at
  // the next purge_forgotten().
  void forget_status(StatusId status);
  // Drops the edges of forgotten statuses and frees their slots for reuse.
  void purge_forgotten();

  std::uint32_t account_index(AccountId id) const { return accounts.index.find(id, accounts.ids); }
  std::uint32_t status_index(StatusId id) const {
    return id == 0 ? kNoIndex : statuses.index.find(id, statuses.ids);
  }
  std::uint32_t ensure_account(AccountId id);  // kNoIndex when full
  std::uint32_t ensure_status(StatusId id, std::uint32_t author);

  bool flagged(std::uint32_t user, std::uint32_t item) const {
    const std::uint64_t* edge = edges.find(edge_key(user, item));
    return edge != nullptr && edge_flagged(*edge);
  }
  bool muted(std::uint32_t viewer, std::uint32_t author) const {
    return mutes.find(edge_key(viewer, author)) != nullptr;
  }

  // Applies an edge change to the counters with the flagger's current
  // weight and side: all of them (record()), or only the trust-weighted
  // sums (the replay after a refit, whose raw counts were never replaced).
  void apply(const EdgeChange& change, bool weighted_only = false);
  // Moves the raw positive counters of a viewer, a status and the total.
  void count_positive(std::uint32_t user, std::uint32_t item, int change);
  // Adds an exposure (1 or 0) and a flag (1, 0 or -1) at time `at` to a
  // viewer's decayed sums. The result does not depend on the order the
  // signals arrive in (the daemon loads flags, then exposures), up to
  // rounding and the kMaxRecentExposures cap; but an exposure first seen
  // with its flag (record() of a flag makes the edge) counts at the flag's
  // time.
  void add_recent(std::uint32_t user, std::int64_t at, float exposure, float flag);

  std::size_t bytes() const;

  Accounts accounts;
  Statuses statuses;
  EdgeSet edges;
  PairSet mutes;
  std::unordered_map<std::uint32_t, Preferences> preferences;  // only accounts that set them
  std::vector<std::uint32_t> free_statuses;                    // purged slots to reuse
  std::vector<std::uint32_t> forgotten;  // forgotten slots whose edges are still stored
  // When each held-out exposure was recorded (pairs and unix seconds, in
  // arrival order), so the blend can be fitted on held-out exposures as
  // close in time to their viewer's recent activity as a new one is.
  std::vector<std::uint64_t> held_out_pairs;
  std::vector<std::uint32_t> held_out_at;
  std::size_t flags = 0;       // flagged edges
  double total_positives = 0;  // edges with the positive bit
  double total_flag_weight = 0, total_exposure_weight = 0;
  float trust_scale = 1;       // the last refit's normalisation of trust weights
  float viewer_mu = 0;         // the viewer model's global log-odds
  std::int64_t latest_at = 0;  // the newest signal's time: "now" for account ages

  // While a refit runs, every edge change is also logged here.
  bool logging_changes = false;
  std::vector<EdgeChange> changes;
};

}  // namespace kith::mod::detail
