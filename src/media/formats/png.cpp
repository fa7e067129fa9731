// PNG (W3C PNG 3rd edition, section 5): a signature, then chunks of
// length (4, big-endian, at most 2^31-1), type (4), data, CRC (4). IHDR
// comes first, IEND last. Stripping drops the chunks that carry text,
// EXIF and time; CRCs are copied, not checked (the decoder checks them).
#include "byte_reader.hpp"
#include "kith/media/image_format.hpp"

namespace kith::media {
namespace {

using detail::be32;

constexpr std::size_t kSignatureSize = 8;

bool metadata_chunk(std::string_view type) {
  return type == "eXIf" || type == "tEXt" || type == "zTXt" || type == "iTXt" || type == "tIME";
}

}  // namespace

std::optional<Dimensions> png_dimensions(std::string_view b) {
  // 5.3: IHDR must be first: length 13, then width and height.
  if (b.size() < kSignatureSize + 8 + 13) return std::nullopt;
  if (be32(b, 8) != 13 || b.substr(12, 4) != "IHDR") return std::nullopt;
  Dimensions d{be32(b, 16), be32(b, 20)};
  if (d.width == 0 || d.height == 0 || d.width > 0x7FFFFFFF || d.height > 0x7FFFFFFF)
    return std::nullopt;
  return d;
}

std::optional<std::string> strip_png(std::string_view b) {
  if (!png_dimensions(b)) return std::nullopt;
  std::string out(b.substr(0, kSignatureSize));
  out.reserve(b.size());
  std::size_t pos = kSignatureSize;
  while (pos + 12 <= b.size()) {
    const std::size_t length = be32(b, pos);
    if (length > 0x7FFFFFFF || length > b.size() - pos - 12) return std::nullopt;
    const std::string_view type = b.substr(pos + 4, 4);
    const std::size_t end = pos + 12 + length;
    if (!metadata_chunk(type)) out.append(b.substr(pos, end - pos));
    if (type == "IEND") return out;  // anything after IEND is dropped
    pos = end;
  }
  return std::nullopt;  // truncated: no IEND
}

}  // namespace kith::media
