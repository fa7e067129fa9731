// Trust weights of flaggers: how much one account's flags count in the
// status and author rates, in the factor model and in the instance-wide
// evidence.
//
// The one idea: nobody is trusted for being many. A weight starts from the
// account's age (new accounts weigh little), is raised for admin-vouched
// seeds and for flaggers an admin confirmed, lowered for flaggers an admin
// overturned, and cut hard for accounts whose flags move in lock-step with
// a group (min-hash estimate of co-flag overlap). Separately, one account's
// flags on one author's statuses count together as at most a few flags, so
// flagging everything an author writes buys no more than flagging a few.
//
// What it must never do: return a weight outside [kMinTrust, kMaxTrust], or
// depend on anything an attacker controls more cheaply than accounts.
#pragma once

#include <cstdint>
#include <vector>

namespace kith::mod::detail {

inline constexpr float kMinTrust = 0.001f;
inline constexpr float kMaxTrust = 3.0f;
// An account reaches full weight after this age.
inline constexpr double kFullTrustAgeSeconds = 30.0 * 86400;
inline constexpr float kNewAccountTrust = 0.05f;  // weight of an account created just now
inline constexpr float kVouchedTrust = 2.0f;      // multiplier for admin-vouched seeds

// Weight from what the account is (age and vouching), before behaviour.
// created_at 0 means unknown: treated as established.
float base_trust(std::uint32_t created_at, std::uint8_t bits, std::int64_t now);

// Per-account admin feedback: flags on statuses an admin confirmed and
// overturned.
struct AdminFeedback {
  std::uint32_t confirmed = 0, overturned = 0;
};

// Everything the refit computes trust from: flags grouped by user (CSR:
// user u's flagged statuses are flagged_items[user_start[u] .. user_start[u+1])).
struct TrustInputs {
  std::vector<std::uint32_t> user_start;
  std::vector<std::uint32_t> flagged_items;
  // The same for only the flags on authors the account flagged at least
  // kConcentratedFlags statuses of: where a brigade's flags are, whatever
  // ordinary activity it copies around them.
  std::vector<std::uint32_t> concentrated_start;
  std::vector<std::uint32_t> concentrated_items;
  std::vector<std::uint32_t> created_at;
  std::vector<std::uint8_t> bits;
  std::vector<AdminFeedback> feedback;
  std::int64_t now = 0;
};

struct TrustResult {
  std::vector<float> trust;
  std::vector<std::uint16_t> lockstep_partners;  // accounts it flags in lock-step with
  std::size_t lockstep_accounts = 0;             // accounts cut for lock-step
};

TrustResult compute_trust(const TrustInputs& inputs);

// Weight of each of one account's flags and exposures on one author's
// statuses, when it flagged `flags_on_author` of them.
inline constexpr float kFlagsPerAuthorCounted = 2.0f;
inline constexpr std::uint32_t kConcentratedFlags = 3;
inline float author_share(std::uint32_t flags_on_author) {
  return flags_on_author <= kFlagsPerAuthorCounted
             ? 1.0f
             : kFlagsPerAuthorCounted / static_cast<float>(flags_on_author);
}

}  // namespace kith::mod::detail
