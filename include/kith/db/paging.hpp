// Paging through time-ordered rows by id (ids grow with time: see
// migrations/0001_core.sql), the way Mastodon's max_id/min_id parameters do.
// A page is an id range on an index, so its cost does not grow with how far
// back it is; paging never uses OFFSET, and a page never holds more than
// `limit` rows whatever the caller asks.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>

namespace kith::db {

// Results are always newest first. With min_id the page is the `limit` rows
// just above min_id (the page before, going back up), not the newest ones.
struct PageRequest {
  std::optional<std::int64_t> max_id;  // only ids below this (older)
  std::optional<std::int64_t> min_id;  // only ids above this (newer)
  std::size_t limit = 20;
};

}  // namespace kith::db
