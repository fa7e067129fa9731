// Issue 5 items 5 and 6: brigading, silencing a minority, and admin work
// saved, simulated on MovieLens (bench/moderation).
#pragma once

#include <cstdint>
#include <vector>

#include "data.hpp"

namespace kith::bench {

void run_attacks(const Dataset& data, const std::vector<std::uint64_t>& seeds);
void run_admin(const Dataset& data);

}  // namespace kith::bench
