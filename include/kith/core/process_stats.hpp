// Resident memory of a process as the kernel reports it in /proc: how kith
// measures itself for /metrics and for the benchmarks.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace kith::core {

struct MemoryUsage {
  std::uint64_t rss_bytes = 0;   // VmRSS: resident now
  std::uint64_t peak_bytes = 0;  // VmHWM: peak resident
};

// Reads /proc/<pid>/status ("self" by default); nullopt if unreadable.
std::optional<MemoryUsage> read_memory_usage(const std::string& pid = "self");

// Parses the text of a /proc/<pid>/status file.
MemoryUsage parse_proc_status(std::string_view status_text);

}  // namespace kith::core
