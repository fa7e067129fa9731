// The viewer model (src/mod/factor_model.hpp) on a small world whose flags
// need both of its factors: what it predicts for pairs it never saw.
#include <catch2/catch.hpp>

#include <cstdint>
#include <vector>

#include "../../src/mod/factor_model.hpp"

using kith::mod::detail::Csr;
using kith::mod::detail::FactorParams;
using kith::mod::detail::fit_logistic_model;
using kith::mod::detail::LogisticOptions;

namespace {

// Exposures grouped by row, every weight 1.
Csr group(const std::vector<std::vector<std::uint32_t>>& rows) {
  Csr csr;
  csr.start.push_back(0);
  for (const auto& row : rows) {
    for (std::uint32_t packed : row) {
      csr.other.push_back(packed);
      csr.weight.push_back(1);
    }
    csr.start.push_back(static_cast<std::uint32_t>(csr.other.size()));
  }
  return csr;
}

}  // namespace

TEST_CASE("the viewer model learns two independent axes of taste", "[mod]") {
  // 48 viewers and 48 statuses, each with a place on two axes (+ or -).
  // A viewer flags a status when they differ on both, a quarter of pairs,
  // which no single axis can tell apart from differing on one. Each viewer
  // is shown every status but one in eleven, held out to be predicted.
  constexpr std::uint32_t kUsers = 48, kItems = 48;
  const auto axis1 = [](std::uint32_t k) { return k % 2 == 0; };
  const auto axis2 = [](std::uint32_t k) { return (k / 2) % 2 == 0; };
  const auto flags = [&](std::uint32_t u, std::uint32_t i) {
    return axis1(u) != axis1(i) && axis2(u) != axis2(i);
  };
  const auto held_out = [](std::uint32_t u, std::uint32_t i) {
    return (31 * u + 17 * i) % 11 == 0;
  };

  std::vector<std::vector<std::uint32_t>> by_user(kUsers), by_item(kItems);
  for (std::uint32_t u = 0; u < kUsers; ++u)
    for (std::uint32_t i = 0; i < kItems; ++i) {
      if (held_out(u, i)) continue;
      const std::uint32_t flag = flags(u, i) ? Csr::kFlag : 0;
      by_user[u].push_back(i | flag);
      by_item[i].push_back(u | flag);
    }
  LogisticOptions options;
  options.threads = 1;
  const FactorParams p = fit_logistic_model(group(by_user), group(by_item), options);
  REQUIRE(p.user_factor2.size() == kUsers);
  REQUIRE(p.item_factor2.size() == kItems);

  double lowest_flagged = 1e9, highest_quiet = -1e9;
  int flagged_pairs = 0, quiet_pairs = 0;
  for (std::uint32_t u = 0; u < kUsers; ++u)
    for (std::uint32_t i = 0; i < kItems; ++i) {
      if (!held_out(u, i)) continue;
      const double logit = p.mu + p.user_bias[u] + p.item_bias[i] +
                           p.user_factor[u] * p.item_factor[i] +
                           p.user_factor2[u] * p.item_factor2[i];
      if (flags(u, i)) {
        lowest_flagged = std::min(lowest_flagged, logit);
        ++flagged_pairs;
      } else {
        highest_quiet = std::max(highest_quiet, logit);
        ++quiet_pairs;
      }
    }
  CAPTURE(lowest_flagged, highest_quiet);
  REQUIRE(flagged_pairs > 0);
  REQUIRE(quiet_pairs > 0);
  // Every held-out flag is ranked above every held-out quiet pair.
  CHECK(lowest_flagged > highest_quiet);
}
