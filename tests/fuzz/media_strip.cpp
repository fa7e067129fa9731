// libFuzzer target: metadata removal (kith::media::strip_metadata) and the
// JPEG orientation reader, on any bytes as each of the four formats.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks the
// promises of image_format.hpp: the result keeps its format's signature and
// its dimensions; it is never longer than the input plus the minimal EXIF
// segment; stripping it again changes nothing (a fixed point); a JPEG's
// orientation survives; and the result holds no EXIF block but that one.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "kith/media/image_format.hpp"

namespace {

using namespace kith::media;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

// The minimal EXIF segment kith writes for a JPEG's orientation.
constexpr std::size_t kMinimalExifBytes = 36;

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  for (ImageFormat format :
       {ImageFormat::jpeg, ImageFormat::png, ImageFormat::gif, ImageFormat::webp}) {
    const auto stripped = strip_metadata(format, bytes);
    if (!stripped) continue;
    require(sniff_format(*stripped) == format, "the format is kept");
    require(stripped->size() <= bytes.size() + kMinimalExifBytes + 1, "no growth");
    const auto again = strip_metadata(format, *stripped);
    require(again.has_value(), "a stripped file strips again");
    require(*again == *stripped, "stripping is a fixed point");
    if (format == ImageFormat::jpeg) {
      require(jpeg_orientation(*stripped) == jpeg_orientation(bytes), "orientation kept");
    } else {
      const auto before = read_dimensions(format, bytes);
      const auto after = read_dimensions(format, *stripped);
      require(before.has_value() == after.has_value(), "dimensions still readable");
      if (before)
        require(before->width == after->width && before->height == after->height,
                "dimensions kept");
    }
  }
  return 0;
}
