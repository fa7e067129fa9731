// JPEG (ITU-T T.81, JFIF, EXIF 2.32): the marker segments before, between
// and after the scans. Stripping copies what a decoder needs and drops the
// rest (image_format.hpp lists both); the entropy-coded data is copied as is.
#include <functional>

#include "byte_reader.hpp"
#include "kith/media/image_format.hpp"

namespace kith::media {
namespace {

using detail::be16;
using detail::be32;
using detail::u8;

constexpr std::uint8_t kSOS = 0xDA, kEOI = 0xD9, kAPP0 = 0xE0, kAPP1 = 0xE1, kAPP2 = 0xE2,
                       kAPP14 = 0xEE, kAPP15 = 0xEF, kCOM = 0xFE;

// T.81 B.1.1.3: markers without a length: RSTm, SOI, EOI, TEM.
bool standalone(std::uint8_t marker) {
  return (marker >= 0xD0 && marker <= 0xD8) || marker == 0x01;
}

// T.81 table B.1: SOF0..SOF15 except DHT (C4), JPG (C8) and DAC (CC).
bool start_of_frame(std::uint8_t marker) {
  return marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
}

struct Segment {
  std::uint8_t marker = 0;
  std::size_t begin = 0;       // the 0xFF of the marker
  std::size_t end = 0;         // one past the segment (and past the scan data after SOS)
  std::string_view data;       // the payload after the length field
  std::size_t header_end = 0;  // end of the segment proper (before scan data)
};

// Walks the segments after SOI until EOI, calling `visit` for each; false
// when the stream is malformed or ends before EOI.
bool walk(std::string_view b, const std::function<bool(const Segment&)>& visit) {
  if (b.size() < 4 || u8(b, 0) != 0xFF || u8(b, 1) != 0xD8) return false;
  std::size_t pos = 2;
  while (pos < b.size()) {
    if (u8(b, pos) != 0xFF) return false;
    Segment s;
    s.begin = pos;
    while (pos < b.size() && u8(b, pos) == 0xFF) ++pos;  // fill bytes (B.1.1.2)
    if (pos >= b.size()) return false;
    s.marker = u8(b, pos++);
    // FF 00 is a stuffed zero inside entropy-coded data, never a marker:
    // taking it for one outside a scan would let a rewritten file parse
    // differently from the original.
    if (s.marker == 0x00) return false;
    if (s.marker == kEOI) {
      s.end = s.header_end = pos;
      visit(s);
      return true;
    }
    if (standalone(s.marker)) {
      s.end = s.header_end = pos;
      if (!visit(s)) return false;
      continue;
    }
    if (pos + 2 > b.size()) return false;
    const std::size_t length = be16(b, pos);
    if (length < 2 || pos + length > b.size()) return false;
    s.data = b.substr(pos + 2, length - 2);
    s.header_end = s.end = pos + length;
    if (s.marker == kSOS) {
      // Entropy-coded data runs to the next marker other than a stuffed
      // zero (FF 00) or a restart marker (FF D0..D7).
      std::size_t i = s.end;
      while (true) {
        if (i >= b.size()) return false;  // truncated scan
        if (u8(b, i) != 0xFF) {
          ++i;
          continue;
        }
        if (i + 1 >= b.size()) return false;
        const std::uint8_t next = u8(b, i + 1);
        if (next == 0x00 || (next >= 0xD0 && next <= 0xD7)) {
          i += 2;
          continue;
        }
        break;
      }
      s.end = i;
    }
    if (!visit(s)) return false;
    pos = s.end;
  }
  return false;  // no EOI
}

bool has_prefix(std::string_view data, std::string_view prefix) {
  return data.substr(0, prefix.size()) == prefix;
}

// EXIF: "Exif\0\0" then a TIFF structure; Orientation is tag 0x0112, a
// SHORT in IFD0. 1 when absent or malformed.
int exif_orientation(std::string_view data) {
  using namespace std::string_view_literals;
  if (!has_prefix(data, "Exif\0\0"sv)) return 1;
  const std::string_view t = data.substr(6);
  if (t.size() < 8) return 1;
  const bool big = t.substr(0, 2) == "MM"sv;
  if (!big && t.substr(0, 2) != "II"sv) return 1;
  auto r16 = [&](std::size_t at) { return big ? be16(t, at) : detail::le16(t, at); };
  auto r32 = [&](std::size_t at) { return big ? be32(t, at) : detail::le32(t, at); };
  if (r16(2) != 42) return 1;
  const std::size_t ifd = r32(4);
  if (ifd > t.size() || t.size() - ifd < 2) return 1;
  const std::size_t count = r16(ifd);
  for (std::size_t k = 0; k < count; ++k) {
    const std::size_t entry = ifd + 2 + 12 * k;
    if (entry + 12 > t.size()) return 1;
    if (r16(entry) == 0x0112 && r16(entry + 2) == 3 && r32(entry + 4) == 1) {
      const std::uint32_t value = r16(entry + 8);
      return value >= 1 && value <= 8 ? static_cast<int>(value) : 1;
    }
  }
  return 1;
}

// APP1 holding an EXIF structure with nothing but Orientation (big-endian
// TIFF, one IFD entry).
std::string minimal_exif(int orientation) {
  using namespace std::string_literals;
  std::string s = "\xFF\xE1\x00\x22"s;  // APP1, length 34
  s += "Exif\0\0"s;
  s += "MM\x00\x2A\x00\x00\x00\x08"s;        // TIFF header, IFD0 at 8
  s += "\x00\x01"s;                          // one entry
  s += "\x01\x12\x00\x03\x00\x00\x00\x01"s;  // Orientation, SHORT, count 1
  s += std::string{'\0', static_cast<char>(orientation), '\0', '\0'};
  s += "\x00\x00\x00\x00"s;  // no next IFD
  return s;
}

}  // namespace

int jpeg_orientation(std::string_view b) {
  using namespace std::string_view_literals;
  // The first EXIF segment counts, as in strip_jpeg.
  int orientation = 1;
  bool seen_exif = false;
  walk(b, [&](const Segment& s) {
    if (s.marker == kAPP1 && !seen_exif && has_prefix(s.data, "Exif\0\0"sv)) {
      seen_exif = true;
      orientation = exif_orientation(s.data);
    }
    return s.marker != kSOS;  // EXIF comes before the first scan
  });
  return orientation;
}

std::optional<Dimensions> jpeg_dimensions(std::string_view b) {
  std::optional<Dimensions> found;
  walk(b, [&](const Segment& s) {
    if (start_of_frame(s.marker)) {
      // B.2.2: P (1 byte), Y (2), X (2).
      if (s.data.size() >= 5) found = Dimensions{be16(s.data, 3), be16(s.data, 1)};
      return false;
    }
    return s.marker != kSOS;
  });
  if (!found || found->width == 0 || found->height == 0) return std::nullopt;
  if (jpeg_orientation(b) >= 5) std::swap(found->width, found->height);
  return found;
}

std::optional<std::string> strip_jpeg(std::string_view b) {
  using namespace std::string_literals;
  using namespace std::string_view_literals;
  std::string out = "\xFF\xD8"s;
  out.reserve(b.size());
  bool seen_frame = false, seen_exif = false;
  const bool complete = walk(b, [&](const Segment& s) {
    if (start_of_frame(s.marker)) seen_frame = true;
    bool keep = true;
    if (s.marker >= kAPP0 && s.marker <= kAPP15) {
      keep = (s.marker == kAPP0 &&
              (has_prefix(s.data, "JFIF\0"sv) || has_prefix(s.data, "JFXX\0"sv))) ||
             (s.marker == kAPP2 && has_prefix(s.data, "ICC_PROFILE\0"sv)) ||
             (s.marker == kAPP14 && has_prefix(s.data, "Adobe"sv));
      if (s.marker == kAPP1 && !seen_exif && has_prefix(s.data, "Exif\0\0"sv)) {
        seen_exif = true;
        const int orientation = exif_orientation(s.data);
        if (orientation != 1) out += minimal_exif(orientation);
      }
    } else if (s.marker == kCOM) {
      keep = false;
    }
    if (keep) {
      // Normalise fill bytes away: the marker is always FF xx.
      out += '\xFF';
      out += static_cast<char>(s.marker);
      std::size_t after_marker = s.begin;
      while (u8(b, after_marker) == 0xFF) ++after_marker;
      ++after_marker;
      out.append(b.substr(after_marker, s.end - after_marker));
    }
    return true;
  });
  if (!complete || !seen_frame) return std::nullopt;
  return out;
}

}  // namespace kith::media
