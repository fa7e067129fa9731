// Failures that cross module boundaries and that the HTTP edge maps to a
// status: a dependency that is away for now (503 with Retry-After). Untrusted
// input never becomes an exception; it becomes an error value at the edge.
#pragma once

#include <stdexcept>

namespace kith::core {

// A dependency (the database, today) cannot serve the request right now; the
// client should retry after `retry_after_seconds`.
struct ServiceUnavailable : std::runtime_error {
  explicit ServiceUnavailable(const std::string& what, int retry_after_seconds = 5)
      : std::runtime_error(what), retry_after(retry_after_seconds) {}
  int retry_after;
};

}  // namespace kith::core
