// GIF (GIF89a specification): header, logical screen descriptor, optional
// global colour table, then blocks: extensions (0x21 label, sub-blocks),
// images (0x2C descriptor, optional local colour table, LZW code size,
// sub-blocks) and the trailer (0x3B). Sub-blocks are a size byte and that
// many bytes, ended by a zero size.
#include "byte_reader.hpp"
#include "kith/media/image_format.hpp"

namespace kith::media {
namespace {

using detail::le16;
using detail::u8;

constexpr std::size_t kScreenEnd = 13;  // 6-byte header + 7-byte screen descriptor
constexpr std::uint8_t kExtension = 0x21, kImage = 0x2C, kTrailer = 0x3B;
constexpr std::uint8_t kComment = 0xFE, kApplication = 0xFF;

std::size_t color_table_size(std::uint8_t packed) {
  return (packed & 0x80) ? 3u * (1u << ((packed & 0x07) + 1)) : 0;
}

// Position after the sub-blocks starting at `pos`, or nullopt if truncated.
std::optional<std::size_t> skip_sub_blocks(std::string_view b, std::size_t pos) {
  while (true) {
    if (pos >= b.size()) return std::nullopt;
    const std::size_t size = u8(b, pos);
    if (size == 0) return pos + 1;
    if (size > b.size() - pos - 1) return std::nullopt;
    pos += 1 + size;
  }
}

}  // namespace

std::optional<Dimensions> gif_dimensions(std::string_view b) {
  if (b.size() < kScreenEnd) return std::nullopt;
  Dimensions d{le16(b, 6), le16(b, 8)};
  if (d.width == 0 || d.height == 0) return std::nullopt;
  return d;
}

std::optional<std::string> strip_gif(std::string_view b) {
  if (!gif_dimensions(b)) return std::nullopt;
  const std::size_t table = color_table_size(u8(b, 10));
  if (table > b.size() - kScreenEnd) return std::nullopt;
  std::size_t pos = kScreenEnd + table;
  std::string out(b.substr(0, pos));
  out.reserve(b.size());
  bool any_image = false;
  while (pos < b.size()) {
    const std::uint8_t introducer = u8(b, pos);
    if (introducer == kTrailer) {
      if (!any_image) return std::nullopt;
      out += static_cast<char>(kTrailer);
      return out;  // anything after the trailer is dropped
    }
    if (introducer == kExtension) {
      if (pos + 2 > b.size()) return std::nullopt;
      const std::uint8_t label = u8(b, pos + 1);
      auto end = skip_sub_blocks(b, pos + 2);
      if (!end) return std::nullopt;
      bool keep = label != kComment;
      if (label == kApplication) {
        // The first sub-block is the 8-byte identifier and 3-byte code.
        // (skip_sub_blocks has checked that those bytes are there.)
        keep = false;
        if (u8(b, pos + 2) == 11) {
          const std::string_view id = b.substr(pos + 3, 11);
          keep = id == "NETSCAPE2.0" || id == "ANIMEXTS1.0";
        }
      }
      if (keep) out.append(b.substr(pos, *end - pos));
      pos = *end;
    } else if (introducer == kImage) {
      if (pos + 10 > b.size()) return std::nullopt;
      const std::size_t local = color_table_size(u8(b, pos + 9));
      const std::size_t data = pos + 10 + local + 1;  // after the LZW minimum code size
      if (data > b.size()) return std::nullopt;
      auto end = skip_sub_blocks(b, data);
      if (!end) return std::nullopt;
      out.append(b.substr(pos, *end - pos));
      pos = *end;
      any_image = true;
    } else {
      return std::nullopt;
    }
  }
  return std::nullopt;  // no trailer
}

}  // namespace kith::media
