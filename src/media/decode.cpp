// decode_thumbnail (decode.hpp): one decoder per format, then the JPEG's
// EXIF orientation applied to the small result.
#include "kith/media/decode.hpp"

#include "thumbnail_grid.hpp"

namespace kith::media {

std::variant<RgbImage, DecodeError> decode_jpeg(std::string_view bytes);
std::variant<RgbImage, DecodeError> decode_png(std::string_view bytes);
std::variant<RgbImage, DecodeError> decode_gif(std::string_view bytes);
std::variant<RgbImage, DecodeError> decode_webp(std::string_view bytes);

namespace detail {

RgbImage apply_orientation(const RgbImage& in, int orientation) {
  if (orientation < 2 || orientation > 8) return in;
  const bool transposed = orientation >= 5;
  RgbImage out;
  out.width = transposed ? in.height : in.width;
  out.height = transposed ? in.width : in.height;
  out.rgb.resize(in.rgb.size());
  for (std::uint32_t y = 0; y < out.height; ++y) {
    for (std::uint32_t x = 0; x < out.width; ++x) {
      // The source pixel shown at (x, y).
      std::uint32_t sx = x, sy = y;
      const std::uint32_t w = out.width - 1, h = out.height - 1;
      switch (orientation) {
        case 2:
          sx = w - x;
          break;
        case 3:
          sx = w - x;
          sy = h - y;
          break;
        case 4:
          sy = h - y;
          break;
        case 5:
          sx = y;
          sy = x;
          break;
        case 6:
          sx = y;
          sy = w - x;
          break;
        case 7:
          sx = h - y;
          sy = w - x;
          break;
        case 8:
          sx = h - y;
          sy = x;
          break;
      }
      const std::size_t from = (std::size_t{sy} * in.width + sx) * 3;
      const std::size_t to = (std::size_t{y} * out.width + x) * 3;
      for (int c = 0; c < 3; ++c) out.rgb[to + c] = in.rgb[from + c];
    }
  }
  return out;
}

}  // namespace detail

std::variant<RgbImage, DecodeError> decode_thumbnail(ImageFormat format, std::string_view bytes) {
  switch (format) {
    case ImageFormat::jpeg: {
      auto result = decode_jpeg(bytes);
      if (auto* image = std::get_if<RgbImage>(&result))
        return detail::apply_orientation(*image, jpeg_orientation(bytes));
      return result;
    }
    case ImageFormat::png:
      return decode_png(bytes);
    case ImageFormat::gif:
      return decode_gif(bytes);
    case ImageFormat::webp:
      return decode_webp(bytes);
  }
  return DecodeError::malformed;
}

}  // namespace kith::media
