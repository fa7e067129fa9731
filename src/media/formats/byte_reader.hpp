// Bounds-checked reads of big- and little-endian integers from untrusted
// bytes, shared by the container parsers of this directory.
#pragma once

#include <cstdint>
#include <string_view>

namespace kith::media::detail {

inline std::uint8_t u8(std::string_view b, std::size_t at) {
  return static_cast<std::uint8_t>(b[at]);
}
// Callers check that at + 2 (or 4) <= b.size() first.
inline std::uint32_t be16(std::string_view b, std::size_t at) {
  return (std::uint32_t{u8(b, at)} << 8) | u8(b, at + 1);
}
inline std::uint32_t be32(std::string_view b, std::size_t at) {
  return (be16(b, at) << 16) | be16(b, at + 2);
}
inline std::uint32_t le16(std::string_view b, std::size_t at) {
  return (std::uint32_t{u8(b, at + 1)} << 8) | u8(b, at);
}
inline std::uint32_t le24(std::string_view b, std::size_t at) {
  return (std::uint32_t{u8(b, at + 2)} << 16) | le16(b, at);
}
inline std::uint32_t le32(std::string_view b, std::size_t at) {
  return (std::uint32_t{u8(b, at + 3)} << 24) | le24(b, at);
}

}  // namespace kith::media::detail
