// Logging set-up: one stderr sink, no colours (journald adds its own
// metadata), and a pattern without the date when running under systemd,
// which timestamps every line itself.
#include "kith/core/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>

#include "kith/core/config.hpp"

namespace kith::core {

void init_logging(std::string_view level_name) {
  auto level = spdlog::level::from_str(std::string(level_name));
  // from_str answers "off" for anything it does not know.
  if (level == spdlog::level::off && level_name != "off")
    throw ConfigError("log_level: must be one of trace, debug, info, warn, error, critical, off");
  auto logger = spdlog::stderr_logger_mt("kith");
  const bool under_journald = std::getenv("JOURNAL_STREAM") != nullptr;
  logger->set_pattern(under_journald ? "%l %v" : "%Y-%m-%dT%H:%M:%S.%eZ %l %v",
                      spdlog::pattern_time_type::utc);
  logger->set_level(level);
  logger->flush_on(spdlog::level::info);
  spdlog::set_default_logger(std::move(logger));
}

}  // namespace kith::core
