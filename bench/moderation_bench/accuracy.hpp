// Issue 5 item 4: the four splits, every model, 5 seeds (bench/moderation).
#pragma once

#include <cstdint>
#include <vector>

#include "data.hpp"

namespace kith::bench {

void run_accuracy(const Dataset& data, const std::vector<std::uint64_t>& seeds);

}  // namespace kith::bench
