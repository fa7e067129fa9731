// Trust weights of flaggers (trust.hpp).
#include "trust.hpp"

#include <algorithm>
#include <array>

#include "flat_tables.hpp"

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

namespace kith::mod::detail {

namespace {

inline constexpr std::size_t kMinHashes = 24;  // signature length
inline constexpr std::size_t kBandRows = 2;    // LSH: 12 bands of 2 rows
inline constexpr std::uint32_t kLockstepMinFlags = 4;
// Pairs whose (shrunk) co-flag Jaccard is at least this are in lock-step.
inline constexpr double kLockstepJaccard = 0.6;
// The same on flags concentrated on authors (see TrustInputs).
inline constexpr double kConcentratedLockstepJaccard = 0.5;
inline constexpr double kJaccardPseudoItems = 4;
// Partners tolerated before the weight falls: 1 / (1 + (partners / t)^2).
inline constexpr double kLockstepTolerance = 3;
// Members of one LSH bucket each compared with at most this many others.
inline constexpr std::size_t kBucketWindow = 128;
inline constexpr double kConfirmedBoost = 0.25, kOverturnedPenalty = 1.0;

using Signature = std::array<std::uint32_t, kMinHashes>;

}  // namespace

// For every account, how many others its flag set (rows of start/items)
// overlaps with at least `threshold` (shrunk Jaccard, min-hash estimate).
std::vector<std::uint32_t> lockstep_partners(const std::vector<std::uint32_t>& start,
                                             const std::vector<std::uint32_t>& items,
                                             double threshold) {
  const std::size_t users = start.size() - 1;
  std::vector<std::uint32_t> members;
  std::vector<Signature> signatures;
  for (std::uint32_t u = 0; u < users; ++u) {
    const std::uint32_t begin = start[u], end = start[u + 1];
    if (end - begin < kLockstepMinFlags) continue;
    Signature sig;
    sig.fill(0xffffffffu);
    for (std::uint32_t e = begin; e < end; ++e) {
      const std::uint64_t base = mix64(items[e] + 0x51ed27ULL);
      for (std::size_t k = 0; k < kMinHashes; ++k) {
        const auto h = static_cast<std::uint32_t>(mix64(base + k * 0x9e3779b97f4a7c15ULL) >> 32);
        sig[k] = std::min(sig[k], h);
      }
    }
    members.push_back(u);
    signatures.push_back(sig);
  }

  // Candidate pairs: members sharing a band of their signatures.
  std::vector<std::uint64_t> pairs;  // (lower member << 32 | higher member)
  std::vector<std::pair<std::uint64_t, std::uint32_t>> bucket;
  for (std::size_t band = 0; band < kMinHashes / kBandRows; ++band) {
    bucket.clear();
    for (std::uint32_t m = 0; m < members.size(); ++m) {
      std::uint64_t key = band;
      for (std::size_t r = 0; r < kBandRows; ++r)
        key = mix64(key * 0x100000001b3ULL + signatures[m][band * kBandRows + r]);
      bucket.emplace_back(key, m);
    }
    std::sort(bucket.begin(), bucket.end());
    for (std::size_t first = 0; first < bucket.size();) {
      std::size_t last = first;
      while (last < bucket.size() && bucket[last].first == bucket[first].first) ++last;
      for (std::size_t a = first; a < last; ++a)
        for (std::size_t b = a + 1; b < last && b <= a + kBucketWindow; ++b)
          pairs.push_back((std::uint64_t{bucket[a].second} << 32) | bucket[b].second);
      first = last;
    }
  }
  std::sort(pairs.begin(), pairs.end());
  pairs.erase(std::unique(pairs.begin(), pairs.end()), pairs.end());

  std::vector<std::uint32_t> partners(users, 0);
  for (std::uint64_t pair : pairs) {
    const auto a = static_cast<std::uint32_t>(pair >> 32), b = static_cast<std::uint32_t>(pair);
    std::size_t same = 0;
    for (std::size_t k = 0; k < kMinHashes; ++k) same += signatures[a][k] == signatures[b][k];
    const double jaccard = static_cast<double>(same) / kMinHashes;
    const double na = start[members[a] + 1] - start[members[a]];
    const double nb = start[members[b] + 1] - start[members[b]];
    const double common = jaccard / (1 + jaccard) * (na + nb);
    const double shrunk = common / (na + nb - common + kJaccardPseudoItems);
    if (shrunk < threshold) continue;
    ++partners[members[a]];
    ++partners[members[b]];
  }
  return partners;
}

TrustResult compute_trust(const TrustInputs& in) {
  const std::size_t users = in.created_at.size();
  TrustResult result;
  result.trust.resize(users);
  result.lockstep_partners.assign(users, 0);
  const std::vector<std::uint32_t> overall =
      lockstep_partners(in.user_start, in.flagged_items, kLockstepJaccard);
  const std::vector<std::uint32_t> concentrated =
      lockstep_partners(in.concentrated_start, in.concentrated_items, kConcentratedLockstepJaccard);

  for (std::uint32_t u = 0; u < users; ++u)
    result.trust[u] = base_trust(in.created_at[u], in.bits[u], in.now);
  for (std::uint32_t u = 0; u < users; ++u) {
    const std::uint32_t partners = std::max(overall[u], concentrated[u]);
    if (partners == 0) continue;
    result.lockstep_partners[u] =
        static_cast<std::uint16_t>(std::min<std::uint32_t>(partners, 0xffff));
    const double ratio = partners / kLockstepTolerance;
    const double factor = 1 / (1 + ratio * ratio);
    if (factor < 0.5) ++result.lockstep_accounts;
    result.trust[u] = static_cast<float>(result.trust[u] * factor);
  }
  for (std::uint32_t u = 0; u < users && u < in.feedback.size(); ++u) {
    const AdminFeedback f = in.feedback[u];
    if (f.confirmed == 0 && f.overturned == 0) continue;
    result.trust[u] = static_cast<float>(result.trust[u] * (1 + kConfirmedBoost * f.confirmed) /
                                         (1 + kOverturnedPenalty * f.overturned));
  }
  for (float& t : result.trust) t = std::clamp(t, kMinTrust, kMaxTrust);
  return result;
}

}  // namespace kith::mod::detail
