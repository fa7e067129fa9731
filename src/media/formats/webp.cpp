// WebP (RFC 9649): a RIFF container, "RIFF" size "WEBP", then chunks of
// FourCC, size (4, little-endian), data padded to an even length. A simple
// file holds one VP8 (lossy) or VP8L (lossless) chunk; an extended one
// starts with VP8X, whose flags say which optional chunks follow.
#include "byte_reader.hpp"
#include "kith/media/image_format.hpp"

namespace kith::media {
namespace {

using detail::le16;
using detail::le24;
using detail::le32;
using detail::u8;

constexpr std::size_t kHeaderSize = 12;
// RFC 9649 2.7: VP8X flags byte: ICC (0x20), alpha (0x10), EXIF (0x08),
// XMP (0x04), animation (0x02).
constexpr std::uint8_t kExifFlag = 0x08, kXmpFlag = 0x04;

// The chunks a decoder needs; anything else (EXIF, XMP, unknown) is dropped.
bool image_chunk(std::string_view fourcc) {
  return fourcc == "VP8X" || fourcc == "VP8 " || fourcc == "VP8L" || fourcc == "ALPH" ||
         fourcc == "ANIM" || fourcc == "ANMF" || fourcc == "ICCP";
}

struct Chunk {
  std::string_view fourcc;
  std::string_view data;
  std::size_t begin = 0, end = 0;  // including header and padding
};

// The chunks after the header, or nullopt when one runs past the end of
// the file or of the RIFF size.
template <class Visit>
bool walk(std::string_view b, Visit visit) {
  if (b.size() < kHeaderSize) return false;
  const std::size_t riff_size = le32(b, 4);
  if (riff_size < 4 || riff_size > b.size() - 8) return false;
  const std::size_t limit = 8 + riff_size;  // bytes after the RIFF are ignored
  std::size_t pos = kHeaderSize;
  bool any = false;
  while (pos < limit) {
    if (limit - pos < 8) return false;
    Chunk c;
    c.fourcc = b.substr(pos, 4);
    const std::size_t size = le32(b, pos + 4);
    if (size > limit - pos - 8) return false;
    c.data = b.substr(pos + 8, size);
    c.begin = pos;
    c.end = pos + 8 + size + (size & 1);
    if (c.end > limit) c.end = limit;  // a missing final pad byte is tolerated
    if (!visit(c)) return true;
    any = true;
    pos = c.end;
  }
  return any;
}

}  // namespace

std::optional<Dimensions> webp_dimensions(std::string_view b) {
  std::optional<Dimensions> found;
  const bool ok = walk(b, [&](const Chunk& c) {
    if (c.fourcc == "VP8X" && c.data.size() >= 10) {
      // Canvas width - 1 and height - 1, 24 bits each, after flags and reserved bits.
      found = Dimensions{le24(c.data, 4) + 1, le24(c.data, 7) + 1};
    } else if (c.fourcc == "VP8 " && c.data.size() >= 10) {
      // RFC 6386 9.1: 3-byte frame tag, start code 9D 01 2A, 14-bit sizes.
      if (u8(c.data, 3) == 0x9D && u8(c.data, 4) == 0x01 && u8(c.data, 5) == 0x2A)
        found = Dimensions{le16(c.data, 6) & 0x3FFF, le16(c.data, 8) & 0x3FFF};
    } else if (c.fourcc == "VP8L" && c.data.size() >= 5) {
      // RFC 9649 3.2: signature 0x2F, then 14-bit width - 1 and height - 1.
      if (u8(c.data, 0) == 0x2F) {
        const std::uint32_t bits = le32(c.data, 1);
        found = Dimensions{(bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1};
      }
    }
    return false;  // the first chunk decides
  });
  if (!ok || !found || found->width == 0 || found->height == 0) return std::nullopt;
  return found;
}

std::optional<std::string> strip_webp(std::string_view b) {
  if (!webp_dimensions(b)) return std::nullopt;
  std::string out(b.substr(0, kHeaderSize));
  out.reserve(b.size());
  const bool ok = walk(b, [&](const Chunk& c) {
    if (!image_chunk(c.fourcc)) return true;
    const std::size_t at = out.size();
    out.append(b.substr(c.begin, c.end - c.begin));
    if ((c.end - c.begin) & 1) out += '\0';
    if (c.fourcc == "VP8X")
      out[at + 8] = static_cast<char>(u8(out, at + 8) & ~(kExifFlag | kXmpFlag));
    return true;
  });
  if (!ok) return std::nullopt;
  const std::uint32_t riff_size = static_cast<std::uint32_t>(out.size() - 8);
  for (int i = 0; i < 4; ++i) out[4 + i] = static_cast<char>((riff_size >> (8 * i)) & 0xFF);
  return out;
}

}  // namespace kith::media
