// The memory budget's bookkeeping: it sums what caches report, and when one
// cache needs room it asks the others, largest first, skipping busy ones,
// never the requester itself.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/core/memory_budget.hpp"

using kith::core::BudgetedCache;
using kith::core::MemoryBudget;

namespace {

// A cache that holds a number of bytes and records when it is asked to
// release some. A busy cache releases nothing, as when its lock is taken.
class FakeCache final : public BudgetedCache {
 public:
  FakeCache(std::string name, std::size_t held, std::vector<std::string>& log)
      : name_(std::move(name)), held_(held), log_(log) {}

  std::string_view cache_name() const override { return name_; }
  std::size_t bytes_held() const override { return held_; }
  std::size_t release_bytes(std::size_t bytes) override {
    log_.push_back(name_);
    asked_for.push_back(bytes);
    if (busy) return 0;
    // Frees whole "entries" of `granularity` bytes, so it may free more than asked.
    std::size_t freed = 0;
    while (freed < bytes && held_ > 0) {
      const std::size_t entry = std::min(granularity, held_);
      held_ -= entry;
      freed += entry;
    }
    return freed;
  }

  bool busy = false;
  std::size_t granularity = 1;
  std::vector<std::size_t> asked_for;

 private:
  std::string name_;
  std::size_t held_;
  std::vector<std::string>& log_;
};

}  // namespace

TEST_CASE("memory budget: used() and usage() sum the registered caches", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(1000);
  CHECK(budget.limit() == 1000);
  CHECK(budget.used() == 0);
  CHECK(budget.usage().empty());

  FakeCache a("actors", 100, log), b("objects", 250, log);
  budget.add(a);
  budget.add(b);
  CHECK(budget.used() == 350);
  auto usage = budget.usage();
  REQUIRE(usage.size() == 2);
  CHECK(usage[0] == std::pair<std::string, std::size_t>{"actors", 100});
  CHECK(usage[1] == std::pair<std::string, std::size_t>{"objects", 250});

  budget.remove(a);
  CHECK(budget.used() == 250);
  CHECK(budget.usage().size() == 1);
  budget.remove(a);  // removing twice is harmless
  budget.remove(b);
  CHECK(budget.used() == 0);
}

TEST_CASE("memory budget: make_room asks nobody when the growth fits", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(1000);
  FakeCache requester("r", 400, log), other("o", 500, log);
  budget.add(requester);
  budget.add(other);
  CHECK(budget.make_room(requester, 100));  // 900 + 100 == limit: fits exactly
  CHECK(log.empty());
}

TEST_CASE("memory budget: make_room asks the largest other cache first", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(1000);
  FakeCache small("small", 100, log), large("large", 400, log), medium("medium", 200, log),
      requester("requester", 250, log);
  budget.add(small);
  budget.add(large);
  budget.add(requester);
  budget.add(medium);
  REQUIRE(budget.used() == 950);

  SECTION("one cache is enough") {
    CHECK(budget.make_room(requester, 150));  // needs 100 bytes back
    CHECK(log == std::vector<std::string>{"large"});
    CHECK(large.asked_for == std::vector<std::size_t>{100});
    CHECK(large.bytes_held() == 300);
    CHECK(budget.used() + 150 <= budget.limit());
  }
  SECTION("the next largest is asked when the largest is busy") {
    large.busy = true;
    CHECK(budget.make_room(requester, 150));
    CHECK(log == std::vector<std::string>{"large", "medium"});
    CHECK(medium.asked_for == std::vector<std::size_t>{100});
  }
  SECTION("several caches in order of size, never the requester") {
    CHECK(budget.make_room(requester, 700));  // needs 650 back: 400 + 200 + 50
    CHECK(log == std::vector<std::string>{"large", "medium", "small"});
    CHECK(large.asked_for == std::vector<std::size_t>{650});
    CHECK(medium.asked_for == std::vector<std::size_t>{250});
    CHECK(small.asked_for == std::vector<std::size_t>{50});
    CHECK(small.bytes_held() == 50);
    CHECK(requester.bytes_held() == 250);
  }
  SECTION("false when the others cannot free enough") {
    CHECK_FALSE(budget.make_room(requester, 800));  // requester's own 250 + 800 > 1000
    CHECK(log == std::vector<std::string>{"large", "medium", "small"});
    CHECK(requester.asked_for.empty());
  }
  SECTION("false when every other cache is busy") {
    small.busy = large.busy = medium.busy = true;
    CHECK_FALSE(budget.make_room(requester, 150));
    CHECK(log.size() == 3);
  }
  SECTION("a cache that frees more than asked is fine") {
    large.granularity = 400;
    CHECK(budget.make_room(requester, 150));
    CHECK(log == std::vector<std::string>{"large"});
    CHECK(large.bytes_held() == 0);
  }
}

TEST_CASE("memory budget: requests larger than the limit never fit", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(1000);
  FakeCache requester("r", 0, log), other("o", 500, log);
  budget.add(requester);
  budget.add(other);
  CHECK_FALSE(budget.make_room(requester, 1001));
  CHECK(budget.make_room(requester, 1000));
  CHECK(other.bytes_held() == 0);
}

TEST_CASE("memory budget: a zero budget fits nothing but zero", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(0);
  FakeCache requester("r", 0, log);
  budget.add(requester);
  CHECK(budget.make_room(requester, 0));
  CHECK_FALSE(budget.make_room(requester, 1));
}

TEST_CASE("memory budget: an unregistered requester may ask too", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(100);
  FakeCache outsider("outsider", 0, log), other("o", 100, log);
  budget.add(other);
  CHECK(budget.make_room(outsider, 10));
  CHECK(other.bytes_held() == 90);
}

TEST_CASE("memory budget: many caches, asked strictly by size", "[memory_budget]") {
  std::vector<std::string> log;
  MemoryBudget budget(10'000);
  std::vector<std::unique_ptr<FakeCache>> caches;
  // Sizes 10, 20, ... 400 in a scrambled order (37 and 40 are coprime).
  for (int i = 0; i < 40; ++i) {
    const std::size_t size = 10 + static_cast<std::size_t>((i * 37) % 40) * 10;
    caches.push_back(std::make_unique<FakeCache>(std::to_string(size), size, log));
    budget.add(*caches.back());
  }
  FakeCache requester("requester", 0, log);
  budget.add(requester);
  const std::size_t used = budget.used();
  REQUIRE(budget.make_room(requester, budget.limit()));  // everything must go
  CHECK(log.size() == 40);
  for (std::size_t i = 1; i < log.size(); ++i) CHECK(std::stoul(log[i - 1]) >= std::stoul(log[i]));
  CHECK(budget.used() == 0);
  CHECK(used > 0);
}
