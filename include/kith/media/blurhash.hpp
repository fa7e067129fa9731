// BlurHash (https://blurha.sh, the algorithm of woltapp/blurhash): a short
// string from which clients paint a blurred placeholder while the image
// loads. Written here from the published algorithm: a few cosine
// components of the image in linear light, quantised and written in base 83.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace kith::media {

// The components kith computes, as Mastodon does (4 across, 3 down).
inline constexpr int kBlurhashXComponents = 4;
inline constexpr int kBlurhashYComponents = 3;

// Pixels as 8-bit sRGB, row by row, 3 bytes each.
struct RgbImage {
  std::uint32_t width = 0;
  std::uint32_t height = 0;
  std::vector<std::uint8_t> rgb;  // width * height * 3
};

// The BlurHash of `image` with x_components x y_components (each 1 to 9);
// "" when the image is empty or its buffer has the wrong size.
std::string blurhash(const RgbImage& image, int x_components = kBlurhashXComponents,
                     int y_components = kBlurhashYComponents);

}  // namespace kith::media
