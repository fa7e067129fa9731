// Thin wrappers over libsystemd's sd_notify and sd_watchdog_enabled.
#include "kith/app/systemd.hpp"

#include <systemd/sd-daemon.h>

#include <string>

namespace kith::app {

void notify_systemd(std::string_view state) {
  sd_notify(0, std::string(state).c_str());
}

std::optional<std::chrono::microseconds> watchdog_interval() {
  std::uint64_t usec = 0;
  if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0) return std::nullopt;
  return std::chrono::microseconds(usec / 2);
}

}  // namespace kith::app
