// systemd integration (sd_notify): READY=1 once kith listens with a migrated
// database, STOPPING=1 when it drains, and watchdog pings from the event loop
// itself, so a wedged loop gets the service restarted. Without systemd
// (NOTIFY_SOCKET unset) every call does nothing.
#pragma once

#include <chrono>
#include <optional>
#include <string_view>

namespace kith::app {

void notify_systemd(std::string_view state);
// The interval at which to ping the watchdog (half of WatchdogSec), if on.
std::optional<std::chrono::microseconds> watchdog_interval();

}  // namespace kith::app
