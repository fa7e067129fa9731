// One memory budget for every cache in the daemon.
//
// Caches are how kith uses spare memory to go faster, like the page cache:
// they register with the budget, report the bytes they hold, and give bytes
// back when another cache needs room. The operator sets one number
// (`memory_budget`); the sum of what the caches hold stays under it, and a
// small budget only makes kith slower, never wrong. The budget never blocks:
// a cache that is busy when asked to shrink is skipped, and an entry that
// cannot be made room for is simply not cached.
#pragma once

#include <atomic>
#include <cstddef>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace kith::core {

class BudgetedCache {
 public:
  virtual ~BudgetedCache() = default;
  virtual std::string_view cache_name() const = 0;
  virtual std::size_t bytes_held() const = 0;
  // Frees about `bytes` (least valuable entries first) without waiting on a
  // lock held elsewhere; returns how many bytes were freed.
  virtual std::size_t release_bytes(std::size_t bytes) = 0;
};

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t limit_bytes) : limit_(limit_bytes) {}
  MemoryBudget(const MemoryBudget&) = delete;
  MemoryBudget& operator=(const MemoryBudget&) = delete;

  void add(BudgetedCache& cache);
  void remove(BudgetedCache& cache);

  // Asks the other caches, largest first, to release bytes until `requester`
  // can grow by `bytes`. Returns true if the growth now fits the budget. Must
  // be called without holding the requester's own lock.
  bool make_room(const BudgetedCache& requester, std::size_t bytes);

  std::size_t limit() const { return limit_; }
  std::size_t used() const;
  // (cache name, bytes held) for every registered cache.
  std::vector<std::pair<std::string, std::size_t>> usage() const;

 private:
  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::vector<BudgetedCache*> caches_;  // not owned; caches remove themselves
};

}  // namespace kith::core
