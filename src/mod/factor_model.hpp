// The 1-dimensional factor model, fitted the Community Notes way:
//   flag(u, i) ~ mu + b_u + b_i + f_u * f_i
// on exposures (flag = 1, shown and not flagged = 0), with the intercepts
// regularised several times more strongly than the factors. Flagging that
// splits along one axis (one camp flags what the other does not) is cheaper
// to explain with the factor term, so only agreement that cuts across the
// axis leaves a high status intercept b_i: that is what the bridging
// condition reads. Each exposure's squared error counts with confidence
// c = trust weight * (1 + alpha * flag), the implicit-feedback weighting of
// Hu, Koren and Volinsky (2008), so rare flags are not drowned by exposures
// and distrusted accounts barely move the fit.
//
// Fitted by alternating least squares: with one factor, each user's and
// each status's update is a 2x2 linear solve over its own exposures, so a
// sweep is O(exposures) and the users (then the statuses) split over threads.
//
// What it must never do: produce non-finite parameters (a failed solve keeps
// the previous value), or touch the engine's state (it fits copies).
#pragma once

#include <cstdint>
#include <vector>

namespace kith::mod::detail {

// Exposures grouped one way (by user, or by status): row r's entries are
// [start[r], start[r+1]); `other` holds the other side's index with the
// flag in the top bit, `weight` the entry's trust weight.
struct Csr {
  std::vector<std::uint32_t> start;
  std::vector<std::uint32_t> other;
  std::vector<float> weight;
  static constexpr std::uint32_t kFlag = 0x80000000u;
  std::size_t rows() const { return start.empty() ? 0 : start.size() - 1; }
};

struct FactorParams {
  float mu = 0;
  std::vector<float> user_bias, user_factor, item_bias, item_factor;
  std::vector<float> user_factor2, item_factor2;  // the viewer model's second factor only
};

struct FactorOptions {
  int iterations = 6;
  float alpha = 1.0f;          // extra confidence of a flag
  float intercept_lambda = 3;  // regularisation of b_u, b_i (weighted exposures)
  float factor_lambda = 0.6;   // regularisation of f_u, f_i
  unsigned threads = 2;
  std::uint64_t seed = 1;
};

// Fits on the entries of `by_user` / `by_item` (the same exposures grouped
// both ways) whose `weight` is > 0.
FactorParams fit_factor_model(const Csr& by_user, const Csr& by_item, const FactorOptions& options);

}  // namespace kith::mod::detail

namespace kith::mod::detail {

// The viewer model: the same form on the log-odds scale, with a second
// factor,
//   P(flag | u shown i) = sigmoid(mu + b_u + b_i + f_u * f_i + g_u * g_i),
// fitted by one Newton (IRLS) step per row per sweep, each a 3x3 solve.
// It is the per-viewer blend's best single feature (jointly fitted biases
// beat separately shrunk rates; the second factor carries taste the first
// axis does not). It never decides anything instance-wide: the bridging
// condition reads only the one-factor model above, whose single axis is
// what "both sides" means.
struct LogisticOptions {
  int iterations = 14;
  float intercept_lambda = 8;  // regularisation, in weighted exposures
  float factor_lambda = 4;
  unsigned threads = 2;
};

FactorParams fit_logistic_model(const Csr& by_user, const Csr& by_item,
                                const LogisticOptions& options);

}  // namespace kith::mod::detail
