// Shrunk (Bayesian-average) flag rates for a viewer, a status and an author.
//
// The one idea: a rate seen on few exposures says little, so each rate is
// pulled towards a prior by a fixed number of pseudo-exposures: the viewer's
// and the author's rates towards the instance's, a status's towards its
// author's (a new status of an often-flagged author starts higher), and the
// rate among flaggers on the viewer's side of the factor axis towards the
// status's overall rate. Every input is a counter record() keeps current,
// so a new flag moves these rates, and everyone's predictions, at once.
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

inline constexpr double kViewerPrior = 8;  // pseudo-exposures
inline constexpr double kAuthorPrior = 20;
inline constexpr double kStatusPrior = 6;
inline constexpr double kSidePrior = 6;
inline constexpr double kDefaultGlobalRate = 0.02;  // before anything was flagged
inline constexpr double kRateFloor = 1e-4;

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
  double side = kDefaultGlobalRate;  // among flaggers on the viewer's side
};

inline double global_rate(const SignalStore& store) {
  if (store.total_exposure_weight < 1) return kDefaultGlobalRate;
  return shrunk(store.total_flag_weight, store.total_exposure_weight, kDefaultGlobalRate, 10);
}

// user/item/author may be kNoIndex (never seen).
inline Rates rates_for(const SignalStore& store, std::uint32_t user, std::uint32_t item,
                       std::uint32_t author) {
  Rates r;
  r.global = global_rate(store);
  const Accounts& a = store.accounts;
  const Statuses& s = store.statuses;
  r.viewer = user == kNoIndex
                 ? r.global
                 : shrunk(a.flags_given[user], a.exposures_seen[user], r.global, kViewerPrior);
  if (item != kNoIndex && author == kNoIndex) author = s.authors[item];
  r.author = author == kNoIndex ? r.global
                                : shrunk(a.author_flag_weight[author],
                                         a.author_exposure_weight[author], r.global, kAuthorPrior);
  if (item == kNoIndex) {
    r.status = r.side = r.author;
    return r;
  }
  r.status = shrunk(s.flag_weight[item], s.exposure_weight[item], r.author, kStatusPrior);
  const std::array<float, 2> shares = side_shares(user == kNoIndex ? 0.f : a.factor[user]);
  double side_flags = 0, side_exposures = 0;
  for (int k = 0; k < 2; ++k) {
    side_flags += shares[k] * s.side_flag_weight[k][item];
    side_exposures += shares[k] * s.side_exposure_weight[k][item];
  }
  r.side = shrunk(side_flags, side_exposures, r.status, kSidePrior);
  return r;
}

}  // namespace kith::mod::detail
