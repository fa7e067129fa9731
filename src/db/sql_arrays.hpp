// PostgreSQL array literals ({"a","b"}, {1,2}) for passing lists as one
// query parameter (`$1::text[]`): libpqxx 6 has no array parameters. Values
// are quoted and escaped here, never spliced into SQL text.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kith::db {

inline std::string text_array_literal(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

inline std::string bigint_array_literal(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (auto value : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(value);
  }
  return out + "}";
}

}  // namespace kith::db
