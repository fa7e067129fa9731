// The logistic blend and the viewer's threshold (blend.hpp).
#include "blend.hpp"

#include <algorithm>
#include <cmath>

namespace kith::mod::detail {

namespace {

// L2 pull of every weight but the intercept towards the default blend's, so
// a small hold-out cannot swing collinear weights far from it.
inline constexpr double kBlendRidge = 5.0;
inline constexpr int kNewtonSteps = 12;
// Share of what a viewer is shown that is warned on at sensitivity 0.5:
// as much as the instance's viewers flag (kDefaultActedShare if no trusted
// held-out exposure was flagged); sensitivity 0 and 1 move it a decade
// down and up, within [kMinActedShare, kMaxActedShare].
inline constexpr double kDefaultActedShare = 0.05;
inline constexpr double kMinActedShare = 0.0001, kMaxActedShare = 0.30;
// The floor on the probability: kFloorAtZero at sensitivity 0, falling by
// kFloorSlope to sensitivity 1; before the first fit (nothing calibrated
// yet, the threshold is the floor) it starts higher, at kUnfittedFloorAtZero.
inline constexpr double kFloorAtZero = 0.4, kUnfittedFloorAtZero = 0.5, kFloorSlope = 0.35;
inline constexpr double kMaxThreshold = 0.99;

// Solves a x = b for a symmetric positive definite a (Cholesky, in place).
bool solve(std::array<std::array<double, kBlendFeatures>, kBlendFeatures>& a, Features& b) {
  constexpr std::size_t n = kBlendFeatures;
  for (std::size_t j = 0; j < n; ++j) {
    double d = a[j][j];
    for (std::size_t k = 0; k < j; ++k) d -= a[j][k] * a[j][k];
    if (d <= 1e-12) return false;
    a[j][j] = std::sqrt(d);
    for (std::size_t i = j + 1; i < n; ++i) {
      double s = a[i][j];
      for (std::size_t k = 0; k < j; ++k) s -= a[i][k] * a[j][k];
      a[i][j] = s / a[j][j];
    }
  }
  for (std::size_t i = 0; i < n; ++i) {
    double s = b[i];
    for (std::size_t k = 0; k < i; ++k) s -= a[i][k] * b[k];
    b[i] = s / a[i][i];
  }
  for (std::size_t i = n; i-- > 0;) {
    double s = b[i];
    for (std::size_t k = i + 1; k < n; ++k) s -= a[k][i] * b[k];
    b[i] = s / a[i][i];
  }
  return true;
}

}  // namespace

namespace {

// The value below which a share `1 - share` of the sorted quantiles lie.
double upper_quantile(const std::vector<float>& q, double share) {
  const double position = (1 - share) * static_cast<double>(q.size() - 1);
  const std::size_t below = static_cast<std::size_t>(position);
  const std::size_t above = std::min(below + 1, q.size() - 1);
  const double t = position - static_cast<double>(below);
  return q[below] * (1 - t) + q[above] * t;
}

}  // namespace

double Blend::threshold(double sensitivity, const Features& baseline) const {
  sensitivity = std::clamp(sensitivity, 0.0, 1.0);
  if (quantiles.size() < 2) return kUnfittedFloorAtZero - kFloorSlope * sensitivity;
  const double at_default = flag_share > 0 ? flag_share : kDefaultActedShare;
  const double share = std::clamp(at_default * std::pow(10.0, 2 * (sensitivity - 0.5)),
                                  kMinActedShare, kMaxActedShare);
  const double floor = kFloorAtZero - kFloorSlope * sensitivity;
  const double instance = upper_quantile(quantiles, share);
  double viewer = instance;
  if (relative_quantiles.size() >= 2)
    viewer = sigmoid(logit_of(baseline) + upper_quantile(relative_quantiles, share));
  return std::min(kMaxThreshold, std::max(floor, std::min(viewer, instance)));
}

Features fit_blend(const std::vector<Features>& x, const std::vector<float>& y,
                   const std::vector<float>& weight) {
  Blend start;
  Features w = start.weights;
  for (int step = 0; step < kNewtonSteps; ++step) {
    std::array<std::array<double, kBlendFeatures>, kBlendFeatures> hessian{};
    Features gradient{};
    for (std::size_t n = 0; n < x.size(); ++n) {
      double z = 0;
      for (std::size_t k = 0; k < kBlendFeatures; ++k) z += w[k] * x[n][k];
      const double p = sigmoid(z);
      const double c = weight[n];
      const double r = c * (p - y[n]);
      const double h = c * std::max(p * (1 - p), 1e-6);
      for (std::size_t i = 0; i < kBlendFeatures; ++i) {
        gradient[i] += r * x[n][i];
        for (std::size_t j = 0; j <= i; ++j) hessian[i][j] += h * x[n][i] * x[n][j];
      }
    }
    for (std::size_t i = 0; i < kBlendFeatures; ++i) {
      for (std::size_t j = 0; j < i; ++j) hessian[j][i] = hessian[i][j];
      const double ridge = i == 0 ? 1e-6 : kBlendRidge;
      hessian[i][i] += ridge;
      gradient[i] += ridge * (w[i] - start.weights[i]);
    }
    if (!solve(hessian, gradient)) break;
    double change = 0;
    for (std::size_t k = 0; k < kBlendFeatures; ++k) {
      w[k] -= gradient[k];
      change = std::max(change, std::abs(gradient[k]));
    }
    if (change < 1e-6) break;
  }
  for (double v : w)
    if (!std::isfinite(v)) return start.weights;
  return w;
}

std::vector<float> probability_quantiles(std::vector<float> probabilities) {
  std::vector<float> q;
  if (probabilities.empty()) return q;
  std::sort(probabilities.begin(), probabilities.end());
  q.resize(kQuantiles + 1);
  for (std::size_t k = 0; k <= kQuantiles; ++k)
    q[k] = probabilities[k * (probabilities.size() - 1) / kQuantiles];
  return q;
}

}  // namespace kith::mod::detail
