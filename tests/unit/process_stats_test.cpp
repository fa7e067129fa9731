// Reading resident memory from /proc: the parser on recorded status files,
// and the live reading of this very process.
#include <catch2/catch.hpp>

#include <unistd.h>
#include <cstring>
#include <memory>
#include <string>

#include "kith/core/process_stats.hpp"

using kith::core::MemoryUsage;
using kith::core::parse_proc_status;
using kith::core::read_memory_usage;
using namespace std::string_literals;

TEST_CASE("process stats: parse_proc_status reads VmRSS and VmHWM", "[process_stats]") {
  // Abridged from a real /proc/self/status (Linux 6.1).
  const std::string status =
      "Name:\tkith\n"
      "Umask:\t0022\n"
      "State:\tS (sleeping)\n"
      "Pid:\t4242\n"
      "VmPeak:\t  123456 kB\n"
      "VmSize:\t  120000 kB\n"
      "VmLck:\t       0 kB\n"
      "VmHWM:\t   20480 kB\n"
      "VmRSS:\t   10240 kB\n"
      "RssAnon:\t    8000 kB\n"
      "Threads:\t3\n";
  MemoryUsage usage = parse_proc_status(status);
  CHECK(usage.rss_bytes == 10240ull * 1024);
  CHECK(usage.peak_bytes == 20480ull * 1024);
}

TEST_CASE("process stats: parse_proc_status on odd input", "[process_stats]") {
  struct Case {
    std::string name, text;
    std::uint64_t rss, peak;
  };
  const std::vector<Case> cases = {
      {"empty", "", 0, 0},
      {"no memory lines (a kernel thread)", "Name:\tkthreadd\nState:\tS\n", 0, 0},
      {"no trailing newline", "VmRSS:\t5 kB", 5 * 1024, 0},
      {"CRLF and spaces", "VmHWM:   7 kB\r\nVmRSS: 3 kB\r\n", 3 * 1024, 7 * 1024},
      {"no number", "VmRSS:\t kB\nVmHWM:\t\n", 0, 0},
      {"similar names are not confused", "VmRSSx:\t9 kB\nXVmRSS:\t9 kB\nvmrss:\t9 kB\n", 0, 0},
      {"the last line wins", "VmRSS:\t1 kB\nVmRSS:\t2 kB\n", 2 * 1024, 0},
      {"a number too large for 64 bits", "VmRSS:\t99999999999999999999999 kB\n", 0, 0},
      {"NUL bytes", "VmRSS:\t4 kB\n\0\0\nVmHWM:\t8 kB\n"s, 4 * 1024, 8 * 1024},
  };
  for (const auto& c : cases) {
    INFO(c.name);
    MemoryUsage usage = parse_proc_status(c.text);
    CHECK(usage.rss_bytes == c.rss);
    CHECK(usage.peak_bytes == c.peak);
  }
}

TEST_CASE("process stats: this process's own memory is plausible", "[process_stats]") {
  auto before = read_memory_usage();
  REQUIRE(before);
  CHECK(before->rss_bytes > 1u << 20);             // more than 1 MiB: we are running
  CHECK(before->rss_bytes < 64ull << 30);          // and less than 64 GiB
  CHECK(before->peak_bytes >= before->rss_bytes);  // the peak is at least the present

  // Touch 64 MiB: the resident size grows by most of it, and so does the peak.
  constexpr std::size_t kBytes = 64u << 20;
  auto block = std::make_unique<char[]>(kBytes);
  std::memset(block.get(), 1, kBytes);
  auto after = read_memory_usage("self");
  REQUIRE(after);
  CHECK(after->rss_bytes >= before->rss_bytes + kBytes / 2);
  CHECK(after->peak_bytes >= after->rss_bytes);
  CHECK(block[kBytes - 1] == 1);  // keeps the block alive and touched

  // Reading by number works as by "self".
  CHECK(read_memory_usage(std::to_string(::getpid())).has_value());
}

TEST_CASE("process stats: an unreadable process gives nullopt", "[process_stats]") {
  CHECK_FALSE(read_memory_usage("no-such-process").has_value());
  CHECK_FALSE(read_memory_usage("999999999").has_value());
}
