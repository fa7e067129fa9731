// `kith serve`: runs the daemon until SIGTERM or SIGINT, then drains and
// returns the process exit code (0 after a clean drain).
#pragma once

#include "kith/core/config.hpp"

namespace kith::app {

int serve(const core::Config& config);

}  // namespace kith::app
