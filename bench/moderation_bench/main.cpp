// bench/moderation's program: issue 5's figures (items 4-7) for kith's
// moderation Engine on MovieLens, with the scenario they were taken in.
// The bench/moderation script fetches the data and runs this; see
// bench/README.md.
//
// Usage: kith_bench_moderation --data ratings.csv [--quick] [--seeds N]
//                              [--only accuracy,systems,attacks,admin]
#include <sys/resource.h>
#include <sys/utsname.h>

#include <cstdio>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "accuracy.hpp"
#include "attacks.hpp"
#include "data.hpp"
#include "systems.hpp"

namespace {

std::string load_average() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return one + " " + five + " " + fifteen;
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line))
    if (line.rfind("model name", 0) == 0) return line.substr(line.find(':') + 2);
  return "unknown";
}

void print_scenario(const kith::bench::Dataset& data, const std::string& path,
                    const std::vector<std::uint64_t>& seeds) {
  utsname u{};
  uname(&u);
  const std::time_t t = std::time(nullptr);
  char when[32];
  std::strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", std::gmtime(&t));
  std::size_t flags = 0;
  for (const auto& r : data.ratings) flags += r.flag();
  std::printf("kith bench/moderation  %s\n", when);
  std::printf(
      "machine: %s %s, %s, %u hardware threads, load average %s at start (other work on the "
      "machine slows the timings)\n",
      u.sysname, u.release, cpu_model().c_str(), std::thread::hardware_concurrency(),
      load_average().c_str());
  std::printf(
      "data: dslabs movielens (%s): %zu ratings, %zu users, %zu items, %zu flags (%.2f %%), %u "
      "authors by hash of movieId\n",
      path.c_str(), data.ratings.size(), data.users(), data.items(), flags,
      100.0 * flags / data.ratings.size(), kith::bench::kAuthors);
  std::printf("seeds:");
  for (auto s : seeds) std::printf(" %llu", static_cast<unsigned long long>(s));
  std::printf("\n");
}

bool wanted(const std::string& only, const char* part) {
  return only.empty() ||
         ("," + only + ",").find(std::string(",") + part + ",") != std::string::npos;
}

}  // namespace

int main(int argc, char** argv) {
  std::string path, only;
  std::size_t seed_count = 5;
  for (int k = 1; k < argc; ++k) {
    const std::string arg = argv[k];
    if (arg == "--data" && k + 1 < argc)
      path = argv[++k];
    else if (arg == "--quick")
      seed_count = 1;
    else if (arg == "--seeds" && k + 1 < argc)
      seed_count = std::stoul(argv[++k]);
    else if (arg == "--only" && k + 1 < argc)
      only = argv[++k];
    else {
      std::fprintf(stderr,
                   "usage: %s --data ratings.csv [--quick] [--seeds N] [--only "
                   "accuracy,systems,attacks,admin]\n",
                   argv[0]);
      return 2;
    }
  }
  if (path.empty() || seed_count == 0) {
    std::fprintf(stderr, "%s: --data is required (bench/moderation writes it)\n", argv[0]);
    return 2;
  }
  try {
    const kith::bench::Dataset data = kith::bench::load_ratings(path);
    std::vector<std::uint64_t> seeds;
    for (std::size_t s = 1; s <= seed_count; ++s) seeds.push_back(s);
    print_scenario(data, path, seeds);
    if (wanted(only, "accuracy")) kith::bench::run_accuracy(data, seeds);
    if (wanted(only, "systems")) kith::bench::run_systems(data);
    if (wanted(only, "attacks")) kith::bench::run_attacks(data, seeds);
    if (wanted(only, "admin")) kith::bench::run_admin(data);
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    std::printf("\npeak resident memory of this process: %.1f MiB\n", usage.ru_maxrss / 1024.0);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s: %s\n", argv[0], e.what());
    return 1;
  }
  return 0;
}
