// LruCache inside a MemoryBudget: least recently used entries go first, the
// sum of every cache stays inside the budget, a cache that needs room takes
// it from the largest other cache, and readers keep values that are evicted.
#include <catch2/catch.hpp>

#include <atomic>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "kith/core/lru_cache.hpp"

using kith::core::LruCache;
using kith::core::MemoryBudget;

namespace {

// Every entry costs `value.size()` plus the cache's fixed overhead (96), so
// tests can reason in whole entries: a value of 4 bytes costs 100.
constexpr std::size_t kOverhead = 96;
using Cache = LruCache<std::string, std::string>;

std::size_t value_size(const std::string&, const std::string& value) {
  return value.size();
}

std::string value_costing(std::size_t cost) {
  return std::string(cost - kOverhead, 'v');
}

bool holds(Cache& cache, const std::string& key) {
  return cache.get(key) != nullptr;
}

}  // namespace

TEST_CASE("lru cache: put, get, erase", "[lru_cache]") {
  MemoryBudget budget(4000);
  Cache cache(budget, "objects", value_size);
  CHECK(cache.cache_name() == "objects");
  CHECK(cache.get("missing") == nullptr);
  CHECK(cache.size() == 0);

  REQUIRE(cache.put("a", "alpha"));
  auto value = cache.get("a");
  REQUIRE(value);
  CHECK(*value == "alpha");
  CHECK(cache.size() == 1);
  CHECK(cache.bytes_held() == 5 + kOverhead);
  CHECK(budget.used() == cache.bytes_held());

  // Replacing a key does not count it twice.
  REQUIRE(cache.put("a", "a longer value"));
  CHECK(*cache.get("a") == "a longer value");
  CHECK(cache.size() == 1);
  CHECK(cache.bytes_held() == 14 + kOverhead);

  cache.erase("a");
  CHECK(cache.get("a") == nullptr);
  CHECK(cache.bytes_held() == 0);
  cache.erase("a");  // erasing a missing key is harmless
  CHECK(cache.size() == 0);
}

TEST_CASE("lru cache: registers with the budget for its lifetime", "[lru_cache]") {
  MemoryBudget budget(4000);
  {
    Cache cache(budget, "actors", value_size);
    cache.put("k", "v");
    REQUIRE(budget.usage().size() == 1);
    CHECK(budget.usage()[0].first == "actors");
    CHECK(budget.used() == 1 + kOverhead);
  }
  CHECK(budget.usage().empty());
  CHECK(budget.used() == 0);
}

TEST_CASE("lru cache: evicts the least recently used entry first", "[lru_cache]") {
  MemoryBudget budget(1000);  // room for ten entries of 100; one may be at most 250
  Cache cache(budget, "c", value_size);
  for (int i = 0; i < 10; ++i) REQUIRE(cache.put("k" + std::to_string(i), value_costing(100)));
  CHECK(cache.size() == 10);
  CHECK(budget.used() == 1000);

  // Reading k0 makes it the most recent; k1 is now the oldest.
  REQUIRE(holds(cache, "k0"));
  REQUIRE(cache.put("k10", value_costing(100)));
  CHECK(holds(cache, "k0"));
  CHECK_FALSE(holds(cache, "k1"));
  CHECK(holds(cache, "k2"));

  // A bigger entry evicts as many old ones as it needs, oldest first. The
  // reads above changed the order too; oldest first it is now k3, k4, ...,
  // k9, k10, k0, k2.
  REQUIRE(cache.put("big", value_costing(250)));
  CHECK_FALSE(holds(cache, "k3"));
  CHECK_FALSE(holds(cache, "k4"));
  CHECK_FALSE(holds(cache, "k5"));
  CHECK(holds(cache, "k6"));
  CHECK(holds(cache, "big"));
  CHECK(budget.used() <= budget.limit());

  // Replacing a key refreshes it too.
  REQUIRE(cache.put("k6", value_costing(100)));
  REQUIRE(cache.put("n1", value_costing(100)));
  REQUIRE(cache.put("n2", value_costing(100)));
  CHECK(holds(cache, "k6"));
  CHECK(budget.used() <= budget.limit());
}

TEST_CASE("lru cache: an entry over a quarter of the budget is not cached", "[lru_cache]") {
  MemoryBudget budget(1000);
  Cache cache(budget, "c", value_size);
  CHECK(cache.put("quarter", value_costing(250)));
  CHECK_FALSE(cache.put("over", value_costing(251)));
  CHECK_FALSE(holds(cache, "over"));
  CHECK(holds(cache, "quarter"));

  MemoryBudget none(0);
  Cache nothing(none, "n", value_size);
  CHECK_FALSE(nothing.put("k", ""));
  CHECK(nothing.size() == 0);
}

TEST_CASE("lru cache: a refused put leaves no stale value behind", "[lru_cache]") {
  // A caller that updates a key and is refused must not keep reading the
  // value it meant to replace.
  MemoryBudget budget(1000);
  Cache cache(budget, "c", value_size);
  REQUIRE(cache.put("actor", "old"));
  CHECK_FALSE(cache.put("actor", value_costing(400)));
  CHECK(cache.get("actor") == nullptr);
  CHECK(cache.bytes_held() == 0);
}

TEST_CASE("lru cache: readers keep values evicted after they read them", "[lru_cache]") {
  MemoryBudget budget(400);
  Cache cache(budget, "c", value_size);
  REQUIRE(cache.put("a", value_costing(100)));
  auto held = cache.get("a");
  for (int i = 0; i < 10; ++i) cache.put("x" + std::to_string(i), value_costing(100));
  CHECK_FALSE(holds(cache, "a"));
  REQUIRE(held);
  CHECK(held->size() == 4);
}

TEST_CASE("lru cache: a cache that needs room takes it from the largest other cache",
          "[lru_cache]") {
  MemoryBudget budget(2000);
  Cache large(budget, "large", value_size), small(budget, "small", value_size),
      newcomer(budget, "newcomer", value_size);
  for (int i = 0; i < 14; ++i) REQUIRE(large.put("l" + std::to_string(i), value_costing(100)));
  for (int i = 0; i < 6; ++i) REQUIRE(small.put("s" + std::to_string(i), value_costing(100)));
  REQUIRE(budget.used() == 2000);

  REQUIRE(newcomer.put("n0", value_costing(200)));
  CHECK(newcomer.size() == 1);
  CHECK(large.size() == 12);  // its two oldest entries went
  CHECK_FALSE(holds(large, "l0"));
  CHECK_FALSE(holds(large, "l1"));
  CHECK(holds(large, "l2"));
  CHECK(small.size() == 6);  // the smaller cache was not touched
  CHECK(budget.used() == 2000);
}

TEST_CASE("lru cache: a full cache with no one else evicts its own entries", "[lru_cache]") {
  MemoryBudget budget(1000);
  Cache only(budget, "only", value_size);
  for (int i = 0; i < 20; ++i) REQUIRE(only.put(std::to_string(i), value_costing(100)));
  CHECK(only.size() == 10);
  CHECK(holds(only, "19"));
  CHECK_FALSE(holds(only, "9"));
}

TEST_CASE("lru cache: random operations on three caches stay inside the budget", "[lru_cache]") {
  MemoryBudget budget(5000);
  Cache a(budget, "a", value_size), b(budget, "b", value_size), c(budget, "c", value_size);
  Cache* caches[] = {&a, &b, &c};
  std::mt19937 random(12345);
  std::uniform_int_distribution<int> which(0, 2), key(0, 60), size(0, 1300), op(0, 9);
  for (int i = 0; i < 20'000; ++i) {
    Cache& cache = *caches[which(random)];
    const std::string k = std::to_string(key(random));
    const int o = op(random);
    if (o < 5) {
      const std::string value(static_cast<std::size_t>(size(random)), 'x');
      const bool cached = cache.put(k, value);
      if (cached) {
        auto got = cache.get(k);
        REQUIRE(got);
        REQUIRE(*got == value);
      } else {
        REQUIRE(cache.get(k) == nullptr);
      }
    } else if (o < 9) {
      cache.get(k);
    } else {
      cache.erase(k);
      REQUIRE(cache.get(k) == nullptr);
    }
    REQUIRE(budget.used() <= budget.limit());
  }
  CHECK(a.size() + b.size() + c.size() > 0);
}

TEST_CASE("lru cache: concurrent use is safe", "[lru_cache]") {
  // Puts into different caches race (each checks the total under its own
  // lock), so the total may briefly exceed the budget by up to one entry per
  // other cache; it must never run away, and nothing may crash.
  MemoryBudget budget(64 * 1024);
  Cache a(budget, "a", value_size), b(budget, "b", value_size);
  constexpr std::size_t kMaxEntry = 2000 + kOverhead;
  std::atomic<bool> over{false};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      Cache& cache = t % 2 ? a : b;
      std::mt19937 random(static_cast<unsigned>(t));
      std::uniform_int_distribution<int> key(0, 200), size(0, 2000);
      for (int i = 0; i < 5000; ++i) {
        const std::string k = std::to_string(key(random));
        if (i % 3 == 0)
          cache.put(k, std::string(static_cast<std::size_t>(size(random)), 'y'));
        else if (auto v = cache.get(k))
          (void)v->size();
        if (i % 97 == 0) cache.erase(k);
        if (budget.used() > budget.limit() + kMaxEntry) over = true;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  CHECK_FALSE(over);
  CHECK(budget.used() <= budget.limit() + kMaxEntry);
}
