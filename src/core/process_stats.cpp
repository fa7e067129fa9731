// Reading /proc/<pid>/status: the kernel's own account of resident memory,
// which is what an operator's monitoring sees and what kith's claims are
// measured in.
#include "kith/core/process_stats.hpp"

#include <charconv>
#include <fstream>
#include <sstream>

namespace kith::core {
namespace {

// "VmRSS:	   12345 kB" -> bytes.
std::uint64_t kilobytes_field(std::string_view line) {
  auto start = line.find_first_of("0123456789");
  if (start == std::string_view::npos) return 0;
  std::uint64_t kb = 0;
  std::from_chars(line.data() + start, line.data() + line.size(), kb);
  return kb * 1024;
}

}  // namespace

MemoryUsage parse_proc_status(std::string_view text) {
  MemoryUsage usage;
  while (!text.empty()) {
    auto end = text.find('\n');
    std::string_view line = text.substr(0, end);
    if (line.starts_with("VmRSS:")) usage.rss_bytes = kilobytes_field(line);
    if (line.starts_with("VmHWM:")) usage.peak_bytes = kilobytes_field(line);
    if (end == std::string_view::npos) break;
    text.remove_prefix(end + 1);
  }
  return usage;
}

std::optional<MemoryUsage> read_memory_usage(const std::string& pid) {
  std::ifstream in("/proc/" + pid + "/status");
  if (!in) return std::nullopt;
  std::stringstream buffer;
  buffer << in.rdbuf();
  return parse_proc_status(buffer.str());
}

}  // namespace kith::core
