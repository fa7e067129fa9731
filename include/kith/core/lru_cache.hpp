// A thread-safe least-recently-used cache that lives inside the MemoryBudget.
//
// Values are handed out as shared_ptr<const V>, so a reader keeps its value
// even if the entry is evicted a moment later. `size_of` estimates the bytes
// an entry costs (key, value and bookkeeping); the cache registers itself with
// the budget for its whole lifetime.
#pragma once

#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "kith/core/memory_budget.hpp"

namespace kith::core {

template <class Key, class Value>
class LruCache final : public BudgetedCache {
 public:
  using SizeOf = std::function<std::size_t(const Key&, const Value&)>;

  LruCache(MemoryBudget& budget, std::string name, SizeOf size_of)
      : budget_(budget), name_(std::move(name)), size_of_(std::move(size_of)) {
    budget_.add(*this);
  }
  ~LruCache() override { budget_.remove(*this); }
  LruCache(const LruCache&) = delete;
  LruCache& operator=(const LruCache&) = delete;

  std::shared_ptr<const Value> get(const Key& key) {
    std::lock_guard lock(mutex_);
    auto it = index_.find(key);
    if (it == index_.end()) return nullptr;
    order_.splice(order_.begin(), order_, it->second);
    return it->second->value;
  }

  // Caches `value`; returns false (and caches nothing) when the budget has no
  // room for it even after evictions. Either way an older value for `key` is
  // gone, so a refused update never leaves a stale value behind.
  bool put(const Key& key, Value value) {
    const std::size_t cost = size_of_(key, value) + kEntryOverhead;
    if (cost > budget_.limit() / 4) {  // one entry never dominates
      erase(key);
      return false;
    }
    budget_.make_room(*this, cost);
    std::lock_guard lock(mutex_);
    erase_locked(key);
    while (!order_.empty() && budget_.used() + cost > budget_.limit()) evict_oldest_locked();
    if (budget_.used() + cost > budget_.limit()) return false;
    order_.push_front(Entry{key, std::make_shared<const Value>(std::move(value)), cost});
    index_.emplace(key, order_.begin());
    bytes_ += cost;
    return true;
  }

  void erase(const Key& key) {
    std::lock_guard lock(mutex_);
    erase_locked(key);
  }

  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return index_.size();
  }

  std::string_view cache_name() const override { return name_; }
  std::size_t bytes_held() const override { return bytes_.load(std::memory_order_relaxed); }

  std::size_t release_bytes(std::size_t bytes) override {
    std::unique_lock lock(mutex_, std::try_to_lock);
    if (!lock.owns_lock()) return 0;
    std::size_t freed = 0;
    while (freed < bytes && !order_.empty()) freed += evict_oldest_locked();
    return freed;
  }

 private:
  // List node, hash bucket and control block, roughly.
  static constexpr std::size_t kEntryOverhead = 96;

  struct Entry {
    Key key;
    std::shared_ptr<const Value> value;
    std::size_t cost;
  };

  std::size_t evict_oldest_locked() {
    const Entry& last = order_.back();
    const std::size_t cost = last.cost;
    index_.erase(last.key);
    order_.pop_back();
    bytes_ -= cost;
    return cost;
  }

  void erase_locked(const Key& key) {
    auto it = index_.find(key);
    if (it == index_.end()) return;
    bytes_ -= it->second->cost;
    order_.erase(it->second);
    index_.erase(it);
  }

  MemoryBudget& budget_;
  const std::string name_;
  const SizeOf size_of_;
  mutable std::mutex mutex_;
  std::list<Entry> order_;  // most recently used first
  std::unordered_map<Key, typename std::list<Entry>::iterator> index_;
  std::atomic<std::size_t> bytes_{0};
};

}  // namespace kith::core
