// Systems figures (systems.hpp), each with how it was taken:
//   flag -> flagger   record(flag) then verdict() for that viewer and
//                     status, timed together, on the Engine holding all of
//                     MovieLens, for random (viewer, status) pairs (98 %
//                     of them not rated before)
//   flag -> others    whether another viewer's probability moves at once
//                     (online rates), and the daemon's refit period
//                     (moderation.refit_interval, default 50 s) plus the
//                     measured refit time: the worst case until the factor
//                     model sees the flag
//   1M flags refit    MovieLens copied K times into K disjoint communities
//                     (copy k: userId + k*1e7, movieId + k*1e7, author + k*1e7,
//                     same stars and times) until it holds >= 1 million
//                     flags, fed one copy after the other; mallinfo2 is
//                     taken before the refit
//   timeline          40 verdict() calls: one viewer, 40 random statuses
//   memory            Engine::stats(), and the bench's own accounting:
//                     glibc's mallinfo2() in-use bytes before and after
//                     building the Engine (this program uses glibc malloc;
//                     the daemon links mimalloc), overall and per entry:
//                     100,000 more accounts, exposure edges, statuses in
//                     a fresh Engine
// What it must never do: time anything but the Engine's calls.
#include "systems.hpp"

#include <malloc.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include "models.hpp"
#include "report.hpp"

namespace kith::bench {

namespace {

inline constexpr std::size_t kLatencySamples = 20000;
inline constexpr std::size_t kTimelines = 5000;
inline constexpr std::size_t kTimelineLength = 40;
inline constexpr std::size_t kScaleFlags = 1'000'000;
inline constexpr std::int64_t kCopyIdStride = 10'000'000;
inline constexpr double kRefitIntervalSeconds = 50;  // config moderation.refit_interval default

using Clock = std::chrono::steady_clock;

double micros(Clock::duration d) {
  return std::chrono::duration<double, std::micro>(d).count();
}

double percentile(std::vector<double> v, double q) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const std::size_t k =
      std::min(v.size() - 1, static_cast<std::size_t>(q * static_cast<double>(v.size())));
  return v[k];
}

std::size_t malloc_in_use() {
  return mallinfo2().uordblks + mallinfo2().hblkhd;
}

double current_rss_mib() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, resident = 0;
  if (f != nullptr) {
    if (std::fscanf(f, "%ld %ld", &pages, &resident) != 2) resident = 0;
    std::fclose(f);
  }
  return static_cast<double>(resident) * 4096 / 1048576.0;
}

double peak_rss_mib() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}

// Feeds K disjoint copies of the data, enough for kScaleFlags flags, one
// copy after the other (never all in memory at once, so the peak resident
// memory is the Engine's, not the bench's).
std::size_t feed_copies(mod::Engine& engine, const Dataset& data) {
  std::size_t flags = 0;
  for (const Rating& r : data.ratings) flags += r.flag();
  const std::size_t copies = (kScaleFlags + flags - 1) / std::max<std::size_t>(flags, 1);
  for (std::size_t k = 0; k < copies; ++k) {
    const std::int64_t offset = static_cast<std::int64_t>(k) * kCopyIdStride;
    std::vector<std::int64_t> first(data.users(), 0);
    for (const Rating& r : data.ratings)
      if (first[r.user] == 0) first[r.user] = r.at;  // ratings are in time order
    for (std::uint32_t u = 0; u < data.users(); ++u)
      engine.set_account(data.user_ids[u] + offset, {.created_at = first[u], .local = true});
    for (const Rating& r : data.ratings) {
      mod::Signal s{.rater = data.user_ids[r.user] + offset,
                    .status = data.item_ids[r.item] + offset,
                    .author = author_account(data, r.item) + offset,
                    .kind = mod::SignalKind::exposure,
                    .at = r.at};
      engine.record(s);
      if (r.flag()) {
        s.kind = mod::SignalKind::flag;
        engine.record(s);
      }
    }
  }
  return copies;
}

// The bench's own per-entry accounting: what glibc says N more accounts,
// edges or statuses cost in a fresh Engine (capacity included: a vector
// that just doubled counts its spare room).
struct Marginal {
  double account = 0, edge = 0, status = 0;
};

Marginal marginal_costs() {
  constexpr std::int64_t kN = 100'000, kSide = 1000, kAuthor = 1;
  Marginal m;
  {
    mod::Engine engine;
    const std::size_t before = malloc_in_use();
    for (std::int64_t a = 0; a < kN; ++a)
      engine.set_account(10 + a, {.created_at = 1, .local = true});
    m.account = static_cast<double>(malloc_in_use() - before) / kN;
  }
  {
    // kSide viewers and kSide statuses, one exposure each, then kN more
    // exposures among them: the edges' cost alone.
    mod::Engine engine;
    for (std::int64_t k = 0; k < kSide; ++k)
      engine.record({.rater = 10 + k, .status = 10 + k, .author = kAuthor, .at = 1});
    const std::size_t before = malloc_in_use();
    std::int64_t added = 0;
    for (std::int64_t u = 0; u < kSide && added < kN; ++u)
      for (std::int64_t i = 0; i < kSide && added < kN; ++i)
        if (u != i) {
          engine.record({.rater = 10 + u, .status = 10 + i, .author = kAuthor, .at = 1});
          ++added;
        }
    m.edge = static_cast<double>(malloc_in_use() - before) / static_cast<double>(added);
  }
  {
    // One viewer shown kN new statuses: kN statuses and kN edges.
    mod::Engine engine;
    engine.record({.rater = 10, .status = 10, .author = kAuthor, .at = 1});
    const std::size_t before = malloc_in_use();
    for (std::int64_t i = 0; i < kN; ++i)
      engine.record({.rater = 10, .status = 100 + i, .author = kAuthor, .at = 1});
    m.status = static_cast<double>(malloc_in_use() - before) / kN - m.edge;
  }
  return m;
}

}  // namespace

void run_systems(const Dataset& data) {
  std::printf("\n== Systems figures (issue 5, item 7)\n");
  const std::size_t before = malloc_in_use();
  mod::Engine engine;
  const auto fed_start = Clock::now();
  feed_engine(engine, data, data.ratings);  // includes one refit
  const double feed_seconds = std::chrono::duration<double>(Clock::now() - fed_start).count();
  const std::size_t engine_bytes = malloc_in_use() - before;
  const mod::Stats stats = engine.stats();
  const auto refit_start = Clock::now();
  engine.refit();
  const double refit_seconds = std::chrono::duration<double>(Clock::now() - refit_start).count();
  std::printf(
      "Engine on all of MovieLens: %zu accounts, %zu statuses, %zu authors, %zu flags, %zu "
      "exposures; "
      "fed and refitted in %.2f s; second refit %.3f s\n",
      stats.accounts, stats.statuses, stats.authors, stats.flags, stats.exposures, feed_seconds,
      refit_seconds);

  // Flag -> flagger, and whether others' probabilities move at once.
  std::mt19937_64 rng(42);
  std::vector<double> flag_latency;
  std::size_t hidden_for_flagger = 0, moved_for_others = 0;
  std::uniform_int_distribution<std::uint32_t> pick_user(
      0, static_cast<std::uint32_t>(data.users() - 1));
  std::uniform_int_distribution<std::uint32_t> pick_item(
      0, static_cast<std::uint32_t>(data.items() - 1));
  for (std::size_t n = 0; n < kLatencySamples; ++n) {
    const std::uint32_t u = pick_user(rng), i = pick_item(rng), other = pick_user(rng);
    const std::int64_t status = data.item_ids[i], author = author_account(data, i);
    const double other_before = engine.verdict(data.user_ids[other], status, author).probability;
    mod::Signal s{.rater = data.user_ids[u],
                  .status = status,
                  .author = author,
                  .kind = mod::SignalKind::flag,
                  .at = data.ratings.back().at};
    const auto t0 = Clock::now();
    engine.record(s);
    const mod::Verdict v = engine.verdict(data.user_ids[u], status, author);
    flag_latency.push_back(micros(Clock::now() - t0));
    hidden_for_flagger += v.action == mod::Action::hide;
    if (other != u &&
        engine.verdict(data.user_ids[other], status, author).probability != other_before)
      ++moved_for_others;
  }
  const double p50 = percentile(flag_latency, 0.50), p99 = percentile(flag_latency, 0.99);
  std::printf(
      "flag -> its flagger (record(flag) + verdict(), %zu random pairs): p50 %.2f us, p99 %.2f "
      "us, "
      "max %.1f us; hidden for the flagger at once: %zu of %zu\n",
      kLatencySamples, p50, p99, percentile(flag_latency, 1.0), hidden_for_flagger,
      kLatencySamples);
  std::printf(
      "flag -> others: another viewer's probability moved at once in %zu of %zu cases (online "
      "rates); "
      "factor model: next refit, at most refit period %.0f s + refit %.3f s\n",
      moved_for_others, kLatencySamples, kRefitIntervalSeconds, refit_seconds);

  // A 40-status timeline.
  std::vector<double> timeline;
  for (std::size_t n = 0; n < kTimelines; ++n) {
    const std::int64_t viewer = data.user_ids[pick_user(rng)];
    std::uint32_t items[kTimelineLength];
    for (auto& i : items) i = pick_item(rng);
    std::size_t acted = 0;
    const auto t0 = Clock::now();
    for (std::uint32_t i : items)
      acted += engine.verdict(viewer, data.item_ids[i], author_account(data, i)).action !=
               mod::Action::none;
    timeline.push_back(micros(Clock::now() - t0));
    if (acted > kTimelineLength) std::printf("?");  // keeps the calls from being optimised away
  }
  std::printf("timeline of %zu statuses (%zu timelines): p50 %.1f us, p99 %.1f us\n",
              kTimelineLength, kTimelines, percentile(timeline, 0.5), percentile(timeline, 0.99));

  // Memory.
  std::printf(
      "memory, Engine::stats(): %.1f MiB total; %.1f B per account, %.1f B per status, %.1f B per "
      "stored edge "
      "(a flag is a bit on its exposure edge)\n",
      stats.bytes / 1048576.0, stats.bytes_per_account, stats.bytes_per_status,
      stats.bytes_per_flag);
  std::printf(
      "memory, bench accounting (mallinfo2 delta): %.1f MiB in use after feeding; that is %.1f B "
      "per exposure edge, "
      "%.1f B per flag if all of it were charged to flags\n",
      engine_bytes / 1048576.0,
      static_cast<double>(engine_bytes) / std::max<std::size_t>(stats.exposures, 1),
      static_cast<double>(engine_bytes) / std::max<std::size_t>(stats.flags, 1));

  const Marginal marginal = marginal_costs();
  std::printf(
      "memory, bench accounting (mallinfo2 delta for 100,000 more of each in a fresh Engine): "
      "%.1f B per account, %.1f B per status (its edge subtracted), %.1f B per exposure edge (a "
      "flag is a bit on one);\n  this is what malloc handed out, spare capacity of tables that "
      "just grew included\n",
      marginal.account, marginal.status, marginal.edge);

  // 1 million flags.
  const std::size_t big_before = malloc_in_use();
  double big_refit = 0;
  mod::Stats big_stats;
  std::size_t big_bytes = 0, copies = 0;
  double rss_before_refit = 0;
  {
    mod::Engine big_engine;
    copies = feed_copies(big_engine, data);
    big_bytes = malloc_in_use() - big_before;
    rss_before_refit = current_rss_mib();
    const auto t0 = Clock::now();
    big_engine.refit();
    big_refit = std::chrono::duration<double>(Clock::now() - t0).count();
    big_stats = big_engine.stats();
  }
  std::printf(
      "1M flags: %zu disjoint copies of MovieLens: %zu accounts, %zu statuses, %zu flags, %zu "
      "exposures; "
      "full refit %.2f s (Engine says %.2f s); Engine::stats() %.1f MiB (%.1f B/account, %.1f "
      "B/status, "
      "%.1f B/edge); mallinfo2 delta %.1f MiB (%.1f B per flag, %.1f B per edge)\n",
      copies, big_stats.accounts, big_stats.statuses, big_stats.flags, big_stats.exposures,
      big_refit, big_stats.last_refit_seconds, big_stats.bytes / 1048576.0,
      big_stats.bytes_per_account, big_stats.bytes_per_status, big_stats.bytes_per_flag,
      big_bytes / 1048576.0,
      static_cast<double>(big_bytes) / std::max<std::size_t>(big_stats.flags, 1),
      static_cast<double>(big_bytes) / std::max<std::size_t>(big_stats.exposures, 1));
  std::printf(
      "resident memory of this process before that refit: %.1f MiB; peak so far (the refit's "
      "working memory "
      "included): %.1f MiB\n",
      rss_before_refit, peak_rss_mib());

  std::printf("\nTargets:\n");
  print_target("flag -> flagger p99", p99, "us", "<=", 50);
  const double moved_share = static_cast<double>(moved_for_others) / kLatencySamples;
  print_target("flag -> others' online rates (share moved at once)", moved_share, "", ">=", 0.5);
  print_target("flag -> others' factor model (refit period + refit)",
               kRefitIntervalSeconds + refit_seconds, "s", "<=", 60);
  print_target("full refit, 1M flags", big_refit, "s", "<=", 5);
  const double timeline_p99_ms = percentile(timeline, 0.99) / 1000;
  print_target("40-status timeline p99", timeline_p99_ms, "ms", "<=", 1);
  print_target("bytes per account (stats, 1M)", big_stats.bytes_per_account, "B", "<=", 64);
  print_target("bytes per status (stats, 1M)", big_stats.bytes_per_status, "B", "<=", 64);
  print_target("bytes per stored flag edge (stats, 1M)", big_stats.bytes_per_flag, "B", "<=", 16);
  print_target("bytes per account (bench accounting)", marginal.account, "B", "<=", 64);
  print_target("bytes per status (bench accounting)", marginal.status, "B", "<=", 64);
  print_target("bytes per flag edge (bench accounting)", marginal.edge, "B", "<=", 16);
  std::fflush(stdout);
}

}  // namespace kith::bench
