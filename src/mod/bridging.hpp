// The bridging condition for instance-wide action, and the evidence an
// admin sees.
//
// The one idea (Community Notes' rule, turned to flags): a status is acted
// on for everyone only when its fitted intercept is high, meaning its flags
// are not explained by the factor axis, AND trusted flaggers on both sides
// of that axis flagged it, each side with a minimum count. A faction, however
// large, sits on one side: its flags move the factor term and its own
// predictions, never the instance-wide state.
//
// What it must never do: name a flagger (the evidence holds counts and
// sums only), or act on flags from one side.
#pragma once

#include <cstdint>
#include <vector>

#include "factor_model.hpp"
#include "kith/mod/engine.hpp"

namespace kith::mod::detail {

// A viewer at the centre of the axis (b_u = f_u = 0) must be predicted to
// flag it: mu + b_i at least this (on the fit's confidence-weighted scale,
// where a flag counts 1 + alpha times: 0.78 is a plain rate of about 0.64).
inline constexpr double kBridgeNeutralFlagRate = 0.78;
inline constexpr float kTrustedFlagger = 0.5f;  // trust at which a flagger counts
inline constexpr std::uint32_t kMinFlaggersPerSide = 4;
// Most of its flaggers must be trusted: a status flagged mostly by accounts
// the trust weights discount is a brigade's target, left to an admin.
inline constexpr double kMinTrustedFlaggerShare = 0.5;
inline constexpr double kMinTrustedFlagWeight = 8;
inline constexpr float kBridgeSideMargin = 0.05f;  // |factor| below this is on no side

// The evidence on status `item` from its exposures (`by_item`, with the
// flag bit), the flaggers' trust and factors, and its fitted intercept.
// Fills everything but status, author, acted and admin_confirmed.
Evidence evidence_of(std::uint32_t item, const Csr& by_item, const std::vector<float>& trust,
                     const std::vector<float>& user_factor, float mu, float item_bias);

}  // namespace kith::mod::detail
