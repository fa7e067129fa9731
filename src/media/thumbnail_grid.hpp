// Averages pixels into a small grid as a decoder hands them over, so that
// no full-size image is ever held in memory.
#pragma once

#include <algorithm>
#include <cstdint>
#include <vector>

#include "kith/media/blurhash.hpp"
#include "kith/media/decode.hpp"

namespace kith::media::detail {

class ThumbnailGrid {
 public:
  ThumbnailGrid(std::uint32_t width, std::uint32_t height) : width_(width), height_(height) {
    const std::uint32_t longest = std::max(width, height);
    const std::uint32_t side = std::min(longest, kThumbnailSide);
    grid_width_ = std::max<std::uint32_t>(
        1, static_cast<std::uint32_t>(std::uint64_t{width} * side / longest));
    grid_height_ = std::max<std::uint32_t>(
        1, static_cast<std::uint32_t>(std::uint64_t{height} * side / longest));
    sums_.assign(std::size_t{grid_width_} * grid_height_ * 4, 0);
  }

  // (x, y) must be inside the image.
  void add(std::uint32_t x, std::uint32_t y, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
    const std::size_t gx = std::uint64_t{x} * grid_width_ / width_;
    const std::size_t gy = std::uint64_t{y} * grid_height_ / height_;
    std::uint64_t* cell = &sums_[(gy * grid_width_ + gx) * 4];
    cell[0] += r;
    cell[1] += g;
    cell[2] += b;
    cell[3] += 1;
  }

  RgbImage finish() const {
    RgbImage out;
    out.width = grid_width_;
    out.height = grid_height_;
    out.rgb.reserve(std::size_t{grid_width_} * grid_height_ * 3);
    for (std::size_t i = 0; i < sums_.size(); i += 4) {
      const std::uint64_t n = sums_[i + 3];
      for (int c = 0; c < 3; ++c)
        out.rgb.push_back(n ? static_cast<std::uint8_t>((sums_[i + c] + n / 2) / n) : 0);
    }
    return out;
  }

 private:
  std::uint32_t width_, height_, grid_width_ = 1, grid_height_ = 1;
  std::vector<std::uint64_t> sums_;  // r, g, b, count per cell
};

// EXIF orientation (1..8) applied to a small image (TIFF 6.0 / EXIF 2.32
// tag 0x0112): 2 mirror, 3 rotate 180, 4 flip, 5 transpose, 6 rotate 90
// clockwise, 7 transverse, 8 rotate 90 counter-clockwise.
RgbImage apply_orientation(const RgbImage& image, int orientation);

}  // namespace kith::media::detail
