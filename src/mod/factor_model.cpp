// Alternating least squares for the 1-dimensional factor model (factor_model.hpp).
#include "factor_model.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <thread>

#include "flat_tables.hpp"

namespace kith::mod::detail {

namespace {

// A small deterministic starting factor for status i (zero would be a
// fixed point of the alternation), from mix64((i ^ key_xor) + key_add).
float starting_factor(std::size_t i, std::uint64_t key_xor, std::uint64_t key_add) {
  return static_cast<float>((mix64((i ^ key_xor) + key_add) >> 11) * 0x1.0p-53 - 0.5) * 0.2f;
}

// Zero biases and user factors, and starting factors for statuses.
FactorParams starting_params(std::size_t users, std::size_t items, std::uint64_t key_xor,
                             std::uint64_t key_add) {
  FactorParams p;
  p.user_bias.assign(users, 0);
  p.user_factor.assign(users, 0);
  p.item_bias.assign(items, 0);
  p.item_factor.resize(items);
  for (std::size_t i = 0; i < items; ++i) p.item_factor[i] = starting_factor(i, key_xor, key_add);
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

// Solves the 3x3 system a x = b in place by Gaussian elimination with
// partial pivoting; false when it is (nearly) singular.
bool solve3(std::array<std::array<double, 3>, 3>& a, std::array<double, 3>& b) {
  for (int c = 0; c < 3; ++c) {
    int pivot = c;
    for (int r = c + 1; r < 3; ++r)
      if (std::abs(a[r][c]) > std::abs(a[pivot][c])) pivot = r;
    if (!(std::abs(a[pivot][c]) > 1e-12)) return false;
    std::swap(a[c], a[pivot]);
    std::swap(b[c], b[pivot]);
    for (int r = c + 1; r < 3; ++r) {
      const double m = a[r][c] / a[c][c];
      for (int k = c; k < 3; ++k) a[r][k] -= m * a[c][k];
      b[r] -= m * b[c];
    }
  }
  for (int c = 2; c >= 0; --c) {
    for (int k = c + 1; k < 3; ++k) b[c] -= a[c][k] * b[k];
    b[c] /= a[c][c];
  }
  return true;
}

// One row's viewer-model parameters: intercept and two factors, kept
// together in 16 bytes because the other side's are read at random, once
// per exposure: one memory access instead of three (and, with the 16-byte
// alignment of glibc's and mimalloc's allocations, never two cache lines).
using Row = std::array<float, 4>;  // b, f, g, unused

// One Newton step for each row of `rows` in [begin, end), the other side's
// parameters fixed.
void logistic_rows(const Csr& rows, float mu, const std::vector<Row>& other, std::vector<Row>& own,
                   const LogisticOptions& o, std::size_t begin, std::size_t end) {
  for (std::size_t r = begin; r < end; ++r) {
    const Row theta = own[r];
    // The Hessian's lower triangle and the gradient, in registers.
    double h00 = 0, h10 = 0, h11 = 0, h20 = 0, h21 = 0, h22 = 0, g0 = 0, g1 = 0, g2 = 0;
    bool any = false;
    for (std::uint32_t e = rows.start[r]; e < rows.start[r + 1]; ++e) {
      const float w = rows.weight[e];
      if (w <= 0) continue;
      any = true;
      const std::uint32_t packed = rows.other[e];
      const float y = (packed & Csr::kFlag) ? 1.f : 0.f;
      const Row& x = other[packed & ~Csr::kFlag];
      const float eta = mu + x[0] + theta[0] + theta[1] * x[1] + theta[2] * x[2];
      const float p = 1 / (1 + std::exp(-eta));
      const double h = w * std::max(p * (1 - p), 1e-4f);
      const double residual = w * (y - p);
      const double x1 = x[1], x2 = x[2];
      h00 += h;
      h10 += h * x1;
      h11 += h * x1 * x1;
      h20 += h * x2;
      h21 += h * x2 * x1;
      h22 += h * x2 * x2;
      g0 += residual;
      g1 += residual * x1;
      g2 += residual * x2;
    }
    if (!any) continue;
    const double lb = o.intercept_lambda, lf = o.factor_lambda;
    std::array<std::array<double, 3>, 3> a{
        {{h00 + lb, h10, h20}, {h10, h11 + lf, h21}, {h20, h21, h22 + lf}}};
    std::array<double, 3> g{g0 - lb * theta[0], g1 - lf * theta[1], g2 - lf * theta[2]};
    if (!solve3(a, g)) continue;
    if (!std::isfinite(g[0]) || !std::isfinite(g[1]) || !std::isfinite(g[2])) continue;
    for (int k = 0; k < 3; ++k)
      own[r][k] = static_cast<float>(std::clamp(theta[k] + g[k], -8.0, 8.0));
  }
}

void logistic_all(const Csr& rows, float mu, const std::vector<Row>& other, std::vector<Row>& own,
                  const LogisticOptions& o) {
  const std::size_t n = rows.rows();
  if (o.threads < 2 || n < 4096) {
    logistic_rows(rows, mu, other, own, o, 0, n);
    return;
  }
  const std::uint32_t half = rows.start[n] / 2;
  const std::size_t mid = static_cast<std::size_t>(
      std::lower_bound(rows.start.begin(), rows.start.end() - 1, half) - rows.start.begin());
  std::thread worker([&] { logistic_rows(rows, mu, other, own, o, mid, n); });
  logistic_rows(rows, mu, other, own, o, 0, mid);
  worker.join();
}

}  // namespace

FactorParams fit_logistic_model(const Csr& by_user, const Csr& by_item, const LogisticOptions& o) {
  double flags = 0, total = 0;
  for (std::size_t e = 0; e < by_user.other.size(); ++e) {
    const float w = by_user.weight[e];
    if (w <= 0) continue;
    total += w;
    if (by_user.other[e] & Csr::kFlag) flags += w;
  }
  const double rate = total > 0 ? std::clamp(flags / total, 1e-4, 1 - 1e-4) : 0.02;
  const float mu = static_cast<float>(std::log(rate / (1 - rate)));
  // Users start at zero, statuses with small deterministic factors.
  std::vector<Row> users(by_user.rows(), Row{}), items(by_item.rows(), Row{});
  for (std::size_t i = 0; i < items.size(); ++i)
    items[i] = {0, starting_factor(i, 0, 77), starting_factor(i, 0, 78), 0};
  for (int it = 0; it < o.iterations; ++it) {
    logistic_all(by_user, mu, items, users, o);
    logistic_all(by_item, mu, users, items, o);
  }
  FactorParams p;
  p.mu = mu;
  for (const Row& u : users) {
    p.user_bias.push_back(u[0]);
    p.user_factor.push_back(u[1]);
    p.user_factor2.push_back(u[2]);
  }
  for (const Row& i : items) {
    p.item_bias.push_back(i[0]);
    p.item_factor.push_back(i[1]);
    p.item_factor2.push_back(i[2]);
  }
  return p;
}

}  // namespace kith::mod::detail
