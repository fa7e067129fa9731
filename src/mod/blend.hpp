// The per-viewer probability: a small logistic blend of the shrunk rates
// (the viewer's recent one among them) and the factor model, and the
// viewer's threshold.
//
// The one idea: no hand-set mixing. Each refit fits the blend's few weights
// by logistic regression on exposures it held out of the factor fit (their
// rates computed without them), so the weights say how much each signal
// predicts a flag on this instance's own data. The threshold is a quantile
// of the same held-out predictions, taken per viewer: how much more likely
// than on an ordinary status this viewer is to flag this one (the logit
// over the viewer's baseline). At sensitivity 0.5 each viewer is warned on
// about the share of what they are shown that this instance's viewers
// flag, at 0 a tenth of it, at 1 ten times it, whether they flag much or
// little; a probability in the instance-wide top share is warned on too
// (so a viewer who flags much is not warned on less), and nothing below a
// floor on the probability itself.
//
// What it must never do: return a probability outside (0, 1), or a
// threshold that would act on everything.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "rates.hpp"

namespace kith::mod::detail {

inline constexpr std::size_t kBlendFeatures = 17;
using Features = std::array<double, kBlendFeatures>;

// Factor-model parameters of one (viewer, status) pair.
struct FactorTerms {
  double user_bias = 0, user_factor = 0, item_bias = 0, item_factor = 0;
  double viewer_model = 0;  // the viewer model's log-odds
};

// The viewer's baseline: the same viewer shown an ordinary status (the
// status's rates at the instance's, its factor terms zero). `f` holds only
// the viewer's terms (viewer_model: the viewer model's log-odds without the
// status's).
inline Rates ordinary_status(Rates r) {
  r.status = r.side = r.author = r.global;
  r.status_positive = r.global_positive;
  return r;
}
inline FactorTerms viewer_terms(const FactorTerms& f, double viewer_model_without_status) {
  return {f.user_bias, f.user_factor, 0, 0, viewer_model_without_status};
}

inline Features features_of(const Rates& r, const FactorTerms& f) {
  const double g = logit(r.global);
  return {1.0,
          g,
          logit(r.viewer) - g,
          logit(r.status) - g,
          logit(r.side) - g,
          logit(r.author) - g,
          f.user_factor * f.item_factor,
          f.item_bias + f.user_bias,
          f.viewer_model - g,
          std::log1p(r.viewer_exposures) / 4,
          std::log1p(r.status_exposures) / 4,
          (logit(r.viewer) - g) * (logit(r.status) - g),
          (logit(r.viewer) - g) * (logit(r.viewer) - g),
          (logit(r.status) - g) * (logit(r.status) - g),
          logit(r.viewer_positive) - logit(r.global_positive),
          logit(r.status_positive) - logit(r.global_positive),
          (logit(r.recent) - logit(r.viewer)) * r.recent_closeness};
}

struct Blend {
  // Before the first refit: the viewer's and the viewer's side's shrunk
  // rates, combined as independent evidence around the instance's rate.
  Features weights = {0, 1, 1, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  // Held-out predicted probabilities, and held-out logits over the viewer's
  // baseline, at quantiles 0, 1/kQuantiles, .., 1.
  std::vector<float> quantiles, relative_quantiles;
  double flag_share = 0;  // share of those held-out exposures that were flagged
  bool fitted = false;

  double logit_of(const Features& x) const {
    double z = 0;
    for (std::size_t k = 0; k < kBlendFeatures; ++k) z += weights[k] * x[k];
    return z;
  }
  double probability(const Features& x) const {
    return std::clamp(sigmoid(logit_of(x)), 1e-6, 1 - 1e-6);
  }
  // The probability above which a viewer with this sensitivity is warned;
  // `baseline` is the viewer's features on an ordinary status.
  double threshold(double sensitivity, const Features& baseline) const;
};

inline constexpr std::size_t kQuantiles = 1000;

// Fits the weights (L2-regularised logistic regression by Newton steps).
Features fit_blend(const std::vector<Features>& x, const std::vector<float>& y,
                   const std::vector<float>& weight);
// Quantiles of held-out probabilities (or logits).
std::vector<float> probability_quantiles(std::vector<float> probabilities);

}  // namespace kith::mod::detail
