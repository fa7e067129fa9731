// Ranking figures for the moderation task (bench/moderation): AUC, and
// precision and recall when the top 5 % of test pairs by score are hidden.
//
// The one idea: a model is judged only by how it orders the test pairs;
// ties are broken by a seeded shuffle (never by input order, which would
// favour whatever order the split produced), and tied scores share ranks
// in the AUC.
#pragma once

#include <cstdint>
#include <vector>

namespace kith::bench {

inline constexpr double kHideBudget = 0.05;

struct RankFigures {
  double auc = 0, precision = 0, recall = 0;
};

RankFigures rank_figures(const std::vector<double>& scores, const std::vector<char>& flags,
                         std::uint64_t seed);

struct MeanSd {
  double mean = 0, sd = 0;
};
MeanSd mean_sd(const std::vector<double>& values);

}  // namespace kith::bench
