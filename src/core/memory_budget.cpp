// The memory budget's bookkeeping. It holds no bytes itself: it sums what the
// registered caches report and, when one needs room, asks the others to give
// some back, largest first, so that the cache that is used most keeps the
// most memory over time.
#include "kith/core/memory_budget.hpp"

#include <algorithm>

namespace kith::core {

void MemoryBudget::add(BudgetedCache& cache) {
  std::lock_guard lock(mutex_);
  caches_.push_back(&cache);
}

void MemoryBudget::remove(BudgetedCache& cache) {
  std::lock_guard lock(mutex_);
  std::erase(caches_, &cache);
}

std::size_t MemoryBudget::used() const {
  std::lock_guard lock(mutex_);
  std::size_t total = 0;
  for (const BudgetedCache* cache : caches_) total += cache->bytes_held();
  return total;
}

std::vector<std::pair<std::string, std::size_t>> MemoryBudget::usage() const {
  std::lock_guard lock(mutex_);
  std::vector<std::pair<std::string, std::size_t>> out;
  for (const BudgetedCache* cache : caches_)
    out.emplace_back(std::string(cache->cache_name()), cache->bytes_held());
  return out;
}

bool MemoryBudget::make_room(const BudgetedCache& requester, std::size_t bytes) {
  // The list is copied so that no cache is asked to shrink while the budget's
  // lock is held (a shrinking cache may itself be registering or reporting).
  // Sizes are sampled once: other threads change them while we sort, and a
  // comparator whose answers change breaks std::sort.
  std::vector<std::pair<std::size_t, BudgetedCache*>> others;
  {
    std::lock_guard lock(mutex_);
    others.reserve(caches_.size());
    for (BudgetedCache* cache : caches_)
      if (cache != &requester) others.emplace_back(cache->bytes_held(), cache);
  }
  std::stable_sort(others.begin(), others.end(),
                   [](const auto& a, const auto& b) { return a.first > b.first; });
  std::size_t in_use = used();
  for (const auto& other : others) {
    if (in_use + bytes <= limit_) break;
    std::size_t freed = other.second->release_bytes(in_use + bytes - limit_);
    in_use -= std::min(freed, in_use);
  }
  return in_use + bytes <= limit_;
}

}  // namespace kith::core
