// AUC and hide-budget precision/recall (metrics.hpp).
#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>

namespace kith::bench {

RankFigures rank_figures(const std::vector<double>& scores, const std::vector<char>& flags,
                         std::uint64_t seed) {
  RankFigures out;
  const std::size_t n = scores.size();
  if (n == 0) return out;
  std::vector<std::size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed ^ 0x5bd1e995);
  std::shuffle(order.begin(), order.end(), rng);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return scores[a] < scores[b]; });
  // AUC by the rank-sum (Mann-Whitney) with tied scores sharing their mean rank.
  double positive_rank_sum = 0;
  std::size_t positives = 0;
  for (std::size_t start = 0; start < n;) {
    std::size_t end = start;
    while (end < n && scores[order[end]] == scores[order[start]]) ++end;
    const double mean_rank = (static_cast<double>(start + 1) + static_cast<double>(end)) / 2;
    for (std::size_t k = start; k < end; ++k)
      if (flags[order[k]]) {
        positive_rank_sum += mean_rank;
        ++positives;
      }
    start = end;
  }
  const std::size_t negatives = n - positives;
  if (positives > 0 && negatives > 0)
    out.auc = (positive_rank_sum - static_cast<double>(positives) * (positives + 1) / 2) /
              (static_cast<double>(positives) * static_cast<double>(negatives));
  // Hide the top kHideBudget (the end of the ascending order).
  const std::size_t hidden =
      static_cast<std::size_t>(std::ceil(kHideBudget * static_cast<double>(n)));
  std::size_t caught = 0;
  for (std::size_t k = n - hidden; k < n; ++k) caught += flags[order[k]] != 0;
  out.precision = hidden > 0 ? static_cast<double>(caught) / static_cast<double>(hidden) : 0;
  out.recall = positives > 0 ? static_cast<double>(caught) / static_cast<double>(positives) : 0;
  return out;
}

MeanSd mean_sd(const std::vector<double>& values) {
  MeanSd out;
  if (values.empty()) return out;
  out.mean =
      std::accumulate(values.begin(), values.end(), 0.0) / static_cast<double>(values.size());
  if (values.size() < 2) return out;
  double squares = 0;
  for (double v : values) squares += (v - out.mean) * (v - out.mean);
  out.sd = std::sqrt(squares / static_cast<double>(values.size() - 1));
  return out;
}

}  // namespace kith::bench
