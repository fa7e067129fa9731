// Open-addressing hash tables for the moderation engine: the id -> dense
// index maps of accounts and statuses, and the sets of 8-byte keys that hold
// exposure edges and mutes.
//
// The one idea: a slot is as small as the thing it stores. An index map's
// slot holds only the dense index (4 bytes) and compares the id through the
// owner's id array; a key set's slot is the key itself (8 bytes). Linear
// probing over a capacity that grows by 1.5x (fastrange, not a power of two)
// keeps the load between 0.5 and 0.75, so a stored key costs 8 / load bytes.
// Erase is backward-shift deletion: no tombstones, lookups stay short.
//
// What it must never do: allocate per entry, or store a key it cannot find
// again (the empty marker is a value no caller can produce).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace kith::mod::detail {

// splitmix64's finaliser: a fast bijective mixer, good enough for ids.
inline std::uint64_t mix64(std::uint64_t x) {
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  return x;
}

// Slot of a hash in a table of `capacity` slots (Lemire's fastrange).
inline std::size_t home_slot(std::uint64_t hash, std::size_t capacity) {
  return static_cast<std::size_t>((static_cast<unsigned __int128>(hash) * capacity) >> 64);
}

inline constexpr std::size_t kMinCapacity = 16;
// Grow when the load would pass 3/4; the new capacity is 3/2 of the old.
inline bool needs_growth(std::size_t size, std::size_t capacity) {
  return (size + 1) * 4 > capacity * 3;
}
inline std::size_t grown_capacity(std::size_t capacity) {
  return capacity < kMinCapacity ? kMinCapacity : capacity + capacity / 2;
}

// Backward-shift deletion for linear probing: after emptying `hole`, moves
// later members of the cluster whose home is not between hole and them.
template <typename Slots, typename IsEmpty, typename HomeOf, typename MarkEmpty>
void close_hole(Slots& slots, std::size_t hole, IsEmpty is_empty, HomeOf home_of,
                MarkEmpty mark_empty) {
  const std::size_t capacity = slots.size();
  std::size_t next = hole;
  for (;;) {
    next = next + 1 == capacity ? 0 : next + 1;
    if (is_empty(slots[next])) return;
    const std::size_t home = home_of(slots[next]);
    // Can the entry at `next` move back to `hole`? Only if its home is not
    // cyclically inside (hole, next].
    const bool home_in_between =
        hole <= next ? (home > hole && home <= next) : (home > hole || home <= next);
    if (home_in_between) continue;
    slots[hole] = slots[next];
    mark_empty(slots[next]);
    hole = next;
  }
}

// id (int64) -> dense index (uint32). The ids live in the owner's array
// (`ids[index]`), the table only holds indices.
class IdIndex {
 public:
  static constexpr std::uint32_t kNone = 0xffffffffu;

  std::uint32_t find(std::int64_t id, const std::vector<std::int64_t>& ids) const {
    if (slots_.empty()) return kNone;
    for (std::size_t s = home_slot(mix64(static_cast<std::uint64_t>(id)), slots_.size());;
         s = s + 1 == slots_.size() ? 0 : s + 1) {
      const std::uint32_t index = slots_[s];
      if (index == kNone) return kNone;
      if (ids[index] == id) return index;
    }
  }

  // Inserts `index` for `ids[index]` (which must not be present yet).
  void insert(std::uint32_t index, const std::vector<std::int64_t>& ids) {
    if (needs_growth(size_, slots_.size())) rehash(grown_capacity(slots_.size()), ids);
    place(index, ids);
    ++size_;
  }

  void erase(std::int64_t id, const std::vector<std::int64_t>& ids) {
    if (slots_.empty()) return;
    for (std::size_t s = home_slot(mix64(static_cast<std::uint64_t>(id)), slots_.size());;
         s = s + 1 == slots_.size() ? 0 : s + 1) {
      const std::uint32_t index = slots_[s];
      if (index == kNone) return;
      if (ids[index] != id) continue;
      slots_[s] = kNone;
      --size_;
      close_hole(
          slots_, s, [](std::uint32_t v) { return v == kNone; },
          [&](std::uint32_t v) {
            return home_slot(mix64(static_cast<std::uint64_t>(ids[v])), slots_.size());
          },
          [](std::uint32_t& v) { v = kNone; });
      return;
    }
  }

  std::size_t size() const { return size_; }
  std::size_t bytes() const { return slots_.capacity() * sizeof(std::uint32_t); }

 private:
  void place(std::uint32_t index, const std::vector<std::int64_t>& ids) {
    std::size_t s = home_slot(mix64(static_cast<std::uint64_t>(ids[index])), slots_.size());
    while (slots_[s] != kNone) s = s + 1 == slots_.size() ? 0 : s + 1;
    slots_[s] = index;
  }
  void rehash(std::size_t capacity, const std::vector<std::int64_t>& ids) {
    std::vector<std::uint32_t> old(capacity, kNone);
    old.swap(slots_);
    for (std::uint32_t index : old)
      if (index != kNone) place(index, ids);
  }

  std::vector<std::uint32_t> slots_;
  std::size_t size_ = 0;
};

// A set of 64-bit keys where the bits outside `kKeyMask` are payload (the
// flag bits of an exposure edge): lookups compare and hash only the masked
// part, and the caller may change the payload bits of a found slot.
template <std::uint64_t kKeyMask>
class KeySet {
 public:
  static constexpr std::uint64_t kEmpty = ~std::uint64_t{0};

  // The slot holding `key`, or nullptr.
  std::uint64_t* find(std::uint64_t key) {
    return const_cast<std::uint64_t*>(static_cast<const KeySet*>(this)->find(key));
  }
  const std::uint64_t* find(std::uint64_t key) const {
    if (slots_.empty()) return nullptr;
    key &= kKeyMask;
    for (std::size_t s = home_slot(mix64(key), slots_.size());;
         s = s + 1 == slots_.size() ? 0 : s + 1) {
      const std::uint64_t v = slots_[s];
      if (v == kEmpty) return nullptr;
      if ((v & kKeyMask) == key) return &slots_[s];
    }
  }

  // The slot holding `key` (masked part), inserting `key` as given when
  // absent; `inserted` tells which.
  std::uint64_t* insert(std::uint64_t key, bool& inserted) {
    if (std::uint64_t* found = find(key)) {
      inserted = false;
      return found;
    }
    if (needs_growth(size_, slots_.size())) rehash(grown_capacity(slots_.size()));
    inserted = true;
    ++size_;
    return place(key);
  }

  bool erase(std::uint64_t key) {
    std::uint64_t* slot = find(key);
    if (slot == nullptr) return false;
    *slot = kEmpty;
    --size_;
    close_hole(
        slots_, static_cast<std::size_t>(slot - slots_.data()),
        [](std::uint64_t v) { return v == kEmpty; },
        [&](std::uint64_t v) { return home_slot(mix64(v & kKeyMask), slots_.size()); },
        [](std::uint64_t& v) { v = kEmpty; });
    return true;
  }

  // Calls f(key) for every stored key, in slot order.
  template <typename F>
  void for_each(F&& f) const {
    for (std::uint64_t v : slots_)
      if (v != kEmpty) f(v);
  }
  // Keeps the keys for which keep(key) is true (one pass, then a rebuild).
  template <typename Keep>
  void retain(Keep&& keep) {
    std::vector<std::uint64_t> kept;
    kept.reserve(size_);
    for (std::uint64_t v : slots_)
      if (v != kEmpty && keep(v)) kept.push_back(v);
    std::vector<std::uint64_t>(slots_.size(), kEmpty).swap(slots_);
    size_ = kept.size();
    for (std::uint64_t v : kept) place(v);
  }

  std::size_t size() const { return size_; }
  std::size_t bytes() const { return slots_.capacity() * sizeof(std::uint64_t); }

 private:
  std::uint64_t* place(std::uint64_t key) {
    std::size_t s = home_slot(mix64(key & kKeyMask), slots_.size());
    while (slots_[s] != kEmpty) s = s + 1 == slots_.size() ? 0 : s + 1;
    slots_[s] = key;
    return &slots_[s];
  }
  void rehash(std::size_t capacity) {
    std::vector<std::uint64_t> old(capacity, kEmpty);
    old.swap(slots_);
    for (std::uint64_t v : old)
      if (v != kEmpty) place(v);
  }

  std::vector<std::uint64_t> slots_;
  std::size_t size_ = 0;
};

}  // namespace kith::mod::detail
