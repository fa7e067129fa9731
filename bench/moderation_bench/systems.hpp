// Issue 5 item 7: the Engine's latencies, refit time and memory
// (bench/moderation).
#pragma once

#include "data.hpp"

namespace kith::bench {

void run_systems(const Dataset& data);

}  // namespace kith::bench
