// Logging: spdlog to stderr, one line per event, which journald captures
// under systemd. Never log secrets: tokens, passwords, private keys, or query
// strings (which may carry access_token).
#pragma once

#include <string_view>

namespace kith::core {

// Sets up the default logger; throws ConfigError on an unknown level.
void init_logging(std::string_view level);

}  // namespace kith::core
