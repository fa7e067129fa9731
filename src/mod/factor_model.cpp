// Alternating least squares for the 1-dimensional factor model (factor_model.hpp).
#include "factor_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <thread>

#include "flat_tables.hpp"

namespace kith::mod::detail {

namespace {

// Zero biases and user factors, and small deterministic starting factors
// for statuses (zero would be a fixed point of the alternation), from
// mix64((i ^ key_xor) + key_add) for status i.
FactorParams starting_params(std::size_t users, std::size_t items, std::uint64_t key_xor,
                             std::uint64_t key_add) {
  FactorParams p;
  p.user_bias.assign(users, 0);
  p.user_factor.assign(users, 0);
  p.item_bias.assign(items, 0);
  p.item_factor.resize(items);
  for (std::size_t i = 0; i < items; ++i)
    p.item_factor[i] =
        static_cast<float>((mix64((i ^ key_xor) + key_add) >> 11) * 0x1.0p-53 - 0.5) * 0.2f;
  return p;
}

// One half-sweep: updates (bias, factor) of every row of `rows` holding the
// other side's parameters fixed.
void solve_rows(const Csr& rows, float mu, const std::vector<float>& other_bias,
                const std::vector<float>& other_factor, std::vector<float>& bias,
                std::vector<float>& factor, const FactorOptions& o, std::size_t begin,
                std::size_t end) {
  for (std::size_t r = begin; r < end; ++r) {
    double a00 = o.intercept_lambda, a01 = 0, a11 = o.factor_lambda, b0 = 0, b1 = 0;
    for (std::uint32_t e = rows.start[r]; e < rows.start[r + 1]; ++e) {
      const float w = rows.weight[e];
      if (w <= 0) continue;
      const std::uint32_t packed = rows.other[e];
      const bool flagged = (packed & Csr::kFlag) != 0;
      const std::uint32_t j = packed & ~Csr::kFlag;
      const double c = w * (flagged ? 1 + o.alpha : 1);
      const double target = (flagged ? 1.0 : 0.0) - mu - other_bias[j];
      const double f = other_factor[j];
      a00 += c;
      a01 += c * f;
      a11 += c * f * f;
      b0 += c * target;
      b1 += c * target * f;
    }
    const double det = a00 * a11 - a01 * a01;
    if (!(det > 1e-12)) continue;
    const double nb = (b0 * a11 - b1 * a01) / det;
    const double nf = (a00 * b1 - a01 * b0) / det;
    if (!std::isfinite(nb) || !std::isfinite(nf)) continue;
    bias[r] = static_cast<float>(nb);
    factor[r] = static_cast<float>(nf);
  }
}

void solve_all(const Csr& rows, float mu, const std::vector<float>& other_bias,
               const std::vector<float>& other_factor, std::vector<float>& bias,
               std::vector<float>& factor, const FactorOptions& o) {
  const std::size_t n = rows.rows();
  const unsigned threads = std::max(1u, std::min(o.threads, 8u));
  if (threads == 1 || n < 4096) {
    solve_rows(rows, mu, other_bias, other_factor, bias, factor, o, 0, n);
    return;
  }
  // Split by entries, not rows, so both threads get the same work.
  std::vector<std::size_t> bounds{0};
  const std::uint64_t total = rows.start[n];
  for (unsigned t = 1; t < threads; ++t) {
    const std::uint64_t target = total * t / threads;
    const auto it = std::lower_bound(rows.start.begin(), rows.start.end() - 1,
                                     static_cast<std::uint32_t>(target));
    bounds.push_back(std::max(bounds.back(), static_cast<std::size_t>(it - rows.start.begin())));
  }
  bounds.push_back(n);
  std::vector<std::thread> workers;
  for (unsigned t = 1; t < threads; ++t)
    workers.emplace_back([&, t] {
      solve_rows(rows, mu, other_bias, other_factor, bias, factor, o, bounds[t], bounds[t + 1]);
    });
  solve_rows(rows, mu, other_bias, other_factor, bias, factor, o, bounds[0], bounds[1]);
  for (auto& w : workers) w.join();
}

}  // namespace

FactorParams fit_factor_model(const Csr& by_user, const Csr& by_item, const FactorOptions& o) {
  FactorParams p =
      starting_params(by_user.rows(), by_item.rows(), o.seed * 0x9e3779b97f4a7c15ULL, 0);

  // The global intercept: the confidence-weighted flag rate.
  double flags = 0, total = 0;
  for (std::size_t e = 0; e < by_user.other.size(); ++e) {
    const float w = by_user.weight[e];
    if (w <= 0) continue;
    const bool flagged = (by_user.other[e] & Csr::kFlag) != 0;
    const double c = w * (flagged ? 1 + o.alpha : 1);
    total += c;
    if (flagged) flags += c;
  }
  p.mu = total > 0 ? static_cast<float>(flags / total) : 0.f;

  for (int it = 0; it < o.iterations; ++it) {
    solve_all(by_user, p.mu, p.item_bias, p.item_factor, p.user_bias, p.user_factor, o);
    solve_all(by_item, p.mu, p.user_bias, p.user_factor, p.item_bias, p.item_factor, o);
  }
  return p;
}

}  // namespace kith::mod::detail

namespace kith::mod::detail {

namespace {

void logistic_rows(const Csr& rows, float mu, const std::vector<float>& other_bias,
                   const std::vector<float>& other_factor, std::vector<float>& bias,
                   std::vector<float>& factor, float lambda, std::size_t begin, std::size_t end) {
  for (std::size_t r = begin; r < end; ++r) {
    const double b = bias[r], f = factor[r];
    double a00 = lambda, a01 = 0, a11 = lambda, g0 = -lambda * b, g1 = -lambda * f;
    bool any = false;
    for (std::uint32_t e = rows.start[r]; e < rows.start[r + 1]; ++e) {
      const float w = rows.weight[e];
      if (w <= 0) continue;
      any = true;
      const std::uint32_t packed = rows.other[e];
      const double y = (packed & Csr::kFlag) ? 1.0 : 0.0;
      const std::uint32_t j = packed & ~Csr::kFlag;
      const double x1 = other_factor[j];
      const double eta = mu + b + other_bias[j] + f * x1;
      const double p = 1 / (1 + std::exp(-eta));
      const double h = w * std::max(p * (1 - p), 1e-4);
      a00 += h;
      a01 += h * x1;
      a11 += h * x1 * x1;
      g0 += w * (y - p);
      g1 += w * (y - p) * x1;
    }
    if (!any) continue;
    const double det = a00 * a11 - a01 * a01;
    if (!(det > 1e-12)) continue;
    const double db = (g0 * a11 - g1 * a01) / det;
    const double df = (a00 * g1 - a01 * g0) / det;
    if (!std::isfinite(db) || !std::isfinite(df)) continue;
    bias[r] = static_cast<float>(std::clamp(b + db, -8.0, 8.0));
    factor[r] = static_cast<float>(std::clamp(f + df, -8.0, 8.0));
  }
}

void logistic_all(const Csr& rows, float mu, const std::vector<float>& other_bias,
                  const std::vector<float>& other_factor, std::vector<float>& bias,
                  std::vector<float>& factor, const LogisticOptions& o) {
  const std::size_t n = rows.rows();
  if (o.threads < 2 || n < 4096) {
    logistic_rows(rows, mu, other_bias, other_factor, bias, factor, o.lambda, 0, n);
    return;
  }
  const std::uint32_t half = rows.start[n] / 2;
  const std::size_t mid = static_cast<std::size_t>(
      std::lower_bound(rows.start.begin(), rows.start.end() - 1, half) - rows.start.begin());
  std::thread worker(
      [&] { logistic_rows(rows, mu, other_bias, other_factor, bias, factor, o.lambda, mid, n); });
  logistic_rows(rows, mu, other_bias, other_factor, bias, factor, o.lambda, 0, mid);
  worker.join();
}

}  // namespace

FactorParams fit_logistic_model(const Csr& by_user, const Csr& by_item, const LogisticOptions& o) {
  FactorParams p = starting_params(by_user.rows(), by_item.rows(), 0, 77);
  double flags = 0, total = 0;
  for (std::size_t e = 0; e < by_user.other.size(); ++e) {
    const float w = by_user.weight[e];
    if (w <= 0) continue;
    total += w;
    if (by_user.other[e] & Csr::kFlag) flags += w;
  }
  const double rate = total > 0 ? std::clamp(flags / total, 1e-4, 1 - 1e-4) : 0.02;
  p.mu = static_cast<float>(std::log(rate / (1 - rate)));
  for (int it = 0; it < o.iterations; ++it) {
    logistic_all(by_user, p.mu, p.item_bias, p.item_factor, p.user_bias, p.user_factor, o);
    logistic_all(by_item, p.mu, p.user_bias, p.user_factor, p.item_bias, p.item_factor, o);
  }
  return p;
}

}  // namespace kith::mod::detail
