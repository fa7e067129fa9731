// Trust weights of flaggers (trust.hpp).
#include "trust.hpp"

#include <algorithm>

#include "signal_store.hpp"

namespace kith::mod::detail {

float base_trust(std::uint32_t created_at, std::uint8_t bits, std::int64_t now) {
  float weight = 1.0f;
  if (created_at != 0 && now > 0) {
    const double age = std::max<double>(0, static_cast<double>(now) - created_at);
    weight = static_cast<float>(std::min(1.0, kNewAccountTrust + age / kFullTrustAgeSeconds));
  }
  if (bits & kAccountVouched) weight *= kVouchedTrust;
  return std::clamp(weight, kMinTrust, kMaxTrust);
}

}  // namespace kith::mod::detail
