// The bridging condition and its evidence (bridging.hpp).
#include "bridging.hpp"

#include <cmath>

namespace kith::mod::detail {

Evidence evidence_of(std::uint32_t item, const Csr& by_item, const std::vector<float>& trust,
                     const std::vector<float>& user_factor, float mu, float item_bias) {
  Evidence e;
  e.intercept = item_bias;
  std::uint32_t trusted = 0;
  for (std::uint32_t k = by_item.start[item]; k < by_item.start[item + 1]; ++k) {
    ++e.exposures;
    const std::uint32_t packed = by_item.other[k];
    if (!(packed & Csr::kFlag)) continue;
    const std::uint32_t user = packed & ~Csr::kFlag;
    ++e.flaggers;
    const float t = trust[user];
    e.trusted_flag_weight += t;
    if (t < kTrustedFlagger) continue;
    ++trusted;
    if (user_factor[user] < -kBridgeSideMargin) ++e.flaggers_negative_side;
    if (user_factor[user] > kBridgeSideMargin) ++e.flaggers_positive_side;
  }
  e.bridged = mu + e.intercept >= kBridgeNeutralFlagRate &&
              e.flaggers_negative_side >= kMinFlaggersPerSide &&
              e.flaggers_positive_side >= kMinFlaggersPerSide &&
              e.trusted_flag_weight >= kMinTrustedFlagWeight &&
              trusted >= kMinTrustedFlaggerShare * e.flaggers;
  return e;
}

}  // namespace kith::mod::detail
