// Shrunk (Bayesian-average) flag rates for a viewer, a status and an author.
//
// The one idea: a rate seen on few exposures says little, so each rate is
// pulled towards a prior by a fixed number of pseudo-exposures: the viewer's
// and the author's rates towards the instance's, a status's towards its
// author's (a new status of an often-flagged author starts higher), and the
// rate among flaggers on the viewer's side of the factor axis towards the
// status's overall rate. The viewer's recent rate (its flags and exposures
// decayed over about a day) is pulled towards its overall rate, and comes
// with how close the exposure being predicted is to that recent activity.
// Every input is a counter record() keeps current, so a new flag moves
// these rates, and everyone's predictions, at once.
//
// What it must never do: return 0 or 1 (the blend takes logits), or divide
// by zero.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>

#include "signal_store.hpp"

namespace kith::mod::detail {

inline constexpr double kViewerPrior = 10;  // pseudo-exposures
inline constexpr double kAuthorPrior = 200;
inline constexpr double kStatusPrior = 5;
inline constexpr double kSidePrior = 6;
inline constexpr double kDefaultGlobalRate = 0.02;  // before anything was flagged
inline constexpr double kRateFloor = 1e-4;
// Positive signals (favourites, boosts, replies): a viewer's and a
// status's share of exposures with one, shrunk towards the instance's.
inline constexpr double kPositivePrior = 10;
inline constexpr double kDefaultPositiveRate = 0.1;
// Pseudo-exposures pulling the viewer's recent rate towards its overall one.
inline constexpr double kRecentPrior = 10;

inline double shrunk(double flags, double exposures, double prior_rate, double prior_weight) {
  const double rate = (flags + prior_weight * prior_rate) / (exposures + prior_weight);
  return std::clamp(rate, kRateFloor, 1 - kRateFloor);
}

inline double logit(double p) {
  p = std::clamp(p, kRateFloor, 1 - kRateFloor);
  return std::log(p / (1 - p));
}
inline double sigmoid(double x) {
  return 1 / (1 + std::exp(-x));
}

struct Rates {
  double global = kDefaultGlobalRate;
  double viewer = kDefaultGlobalRate, author = kDefaultGlobalRate, status = kDefaultGlobalRate;
  double side = kDefaultGlobalRate;                   // among flaggers on the viewer's side
  double viewer_exposures = 0, status_exposures = 0;  // raw counts (how much is known)
  // Shrunk positive rates: the instance's, the viewer's, the status's.
  double global_positive = kDefaultPositiveRate;
  double viewer_positive = kDefaultPositiveRate, status_positive = kDefaultPositiveRate;
  // The viewer's recent rate (shrunk towards `viewer`), and exp(-gap / tau)
  // for the gap between the exposure predicted and the viewer's newest
  // activity: 1 for an exposure right after it, 0 long before or after.
  double recent = kDefaultGlobalRate, recent_closeness = 0;
};

// The counters one prediction reads; the refit fills them with one
// exposure left out, record() keeps them current for verdicts.
struct RateCounts {
  double total_flags = 0, total_exposures = 0;
  bool has_user = false, has_author = false, has_item = false;
  double user_flags = 0, user_exposures = 0;
  double author_flags = 0, author_exposures = 0;
  double item_flags = 0, item_exposures = 0, item_raw_exposures = 0;
  double side_flags = 0, side_exposures = 0;
  // Raw positive counts (exposures: the raw ones above, and the total).
  double total_positives = 0, total_raw_exposures = 0;
  double user_positives = 0, item_positives = 0;
  // The viewer's decayed sums, and the closeness (Rates) of the exposure.
  double user_recent_flags = 0, user_recent_exposures = 0, recent_closeness = 0;
};

// exp(-|at - recent_at| / tau): how close an exposure at `at` is to a
// viewer's newest activity.
inline double recent_closeness(std::int64_t at, std::uint32_t recent_at) {
  if (recent_at == 0) return 0;
  const double gap = std::abs(static_cast<double>(at - std::int64_t{recent_at}));
  return std::exp(-gap / kRecentSeconds);
}

inline Rates rates_from(const RateCounts& c) {
  Rates r;
  r.viewer_exposures = c.user_exposures;
  r.status_exposures = c.item_raw_exposures;
  r.global = c.total_exposures < 1
                 ? kDefaultGlobalRate
                 : shrunk(c.total_flags, c.total_exposures, kDefaultGlobalRate, 10);
  r.viewer = c.has_user ? shrunk(c.user_flags, c.user_exposures, r.global, kViewerPrior) : r.global;
  r.recent = c.has_user
                 ? shrunk(c.user_recent_flags, c.user_recent_exposures, r.viewer, kRecentPrior)
                 : r.viewer;
  r.recent_closeness = c.has_user ? c.recent_closeness : 0;
  r.global_positive = c.total_raw_exposures < 1 ? kDefaultPositiveRate
                                                : shrunk(c.total_positives, c.total_raw_exposures,
                                                         kDefaultPositiveRate, 10);
  r.viewer_positive =
      c.has_user ? shrunk(c.user_positives, c.user_exposures, r.global_positive, kPositivePrior)
                 : r.global_positive;
  r.status_positive =
      c.has_item ? shrunk(c.item_positives, c.item_raw_exposures, r.global_positive, kPositivePrior)
                 : r.global_positive;
  r.author =
      c.has_author ? shrunk(c.author_flags, c.author_exposures, r.global, kAuthorPrior) : r.global;
  if (!c.has_item) {
    r.status = r.side = r.author;
    return r;
  }
  r.status = shrunk(c.item_flags, c.item_exposures, r.author, kStatusPrior);
  r.side = shrunk(c.side_flags, c.side_exposures, r.status, kSidePrior);
  return r;
}

// user/item/author may be kNoIndex (never seen); `at` is when the viewer
// is shown the status (unix seconds).
inline Rates rates_for(const SignalStore& store, std::uint32_t user, std::uint32_t item,
                       std::uint32_t author, std::int64_t at) {
  const Accounts& a = store.accounts;
  const Statuses& s = store.statuses;
  RateCounts c;
  c.total_flags = store.total_flag_weight;
  c.total_exposures = store.total_exposure_weight;
  c.total_positives = store.total_positives;
  c.total_raw_exposures = static_cast<double>(store.edges.size());
  if (user != kNoIndex) {
    c.has_user = true;
    c.user_flags = a.flags_given[user];
    c.user_exposures = a.exposures_seen[user];
    c.user_positives = a.positives_given[user];
    const Accounts::RecentSums recent = a.recent_sums(user);
    c.user_recent_exposures = recent.exposures;
    c.user_recent_flags = recent.flags;
    c.recent_closeness = recent_closeness(at, a.recent_at[user]);
  }
  if (item != kNoIndex && author == kNoIndex) author = s.authors[item];
  if (author != kNoIndex) {
    c.has_author = true;
    c.author_flags = a.author_flag_weight[author];
    c.author_exposures = a.author_exposure_weight[author];
  }
  if (item != kNoIndex) {
    c.has_item = true;
    c.item_flags = s.flag_weight[item];
    c.item_exposures = s.exposure_weight[item];
    c.item_raw_exposures = s.exposures[item];
    c.item_positives = s.positives[item];
    const std::array<float, 2> shares = side_shares(user == kNoIndex ? 0.f : float{a.factor[user]});
    const double positive_flags = s.positive_flag_weight[item];
    const double positive_exposures = s.positive_exposure_weight[item];
    c.side_flags = shares[1] * positive_flags + shares[0] * (c.item_flags - positive_flags);
    c.side_exposures =
        shares[1] * positive_exposures + shares[0] * (c.item_exposures - positive_exposures);
  }
  return rates_from(c);
}

}  // namespace kith::mod::detail
