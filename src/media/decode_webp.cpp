// WebP pixels through libwebp, which scales while decoding straight to the
// thumbnail grid's size. Animated WebP is not decoded (libwebp's simple
// decoder refuses it, and the animation decoder needs the whole canvas):
// such uploads are kept without a BlurHash.
#include <webp/decode.h>

#include <algorithm>

#include "thumbnail_grid.hpp"

namespace kith::media {

std::variant<RgbImage, DecodeError> decode_webp(std::string_view bytes) {
  WebPDecoderConfig config;
  if (!WebPInitDecoderConfig(&config)) return DecodeError::malformed;
  const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
  if (WebPGetFeatures(data, bytes.size(), &config.input) != VP8_STATUS_OK)
    return DecodeError::malformed;
  if (config.input.has_animation) return DecodeError::unsupported;
  const auto width = static_cast<std::uint32_t>(std::max(config.input.width, 0));
  const auto height = static_cast<std::uint32_t>(std::max(config.input.height, 0));
  if (width == 0 || height == 0) return DecodeError::malformed;
  if (std::uint64_t{width} * height > kMaxImagePixels) return DecodeError::too_many_pixels;
  const std::uint32_t longest = std::max(width, height);
  const std::uint32_t side = std::min(longest, kThumbnailSide);
  const auto out_width = std::max<std::uint32_t>(1, std::uint64_t{width} * side / longest);
  const auto out_height = std::max<std::uint32_t>(1, std::uint64_t{height} * side / longest);
  config.options.use_scaling = 1;
  config.options.scaled_width = static_cast<int>(out_width);
  config.options.scaled_height = static_cast<int>(out_height);
  config.output.colorspace = MODE_RGB;
  if (WebPDecode(data, bytes.size(), &config) != VP8_STATUS_OK) {
    WebPFreeDecBuffer(&config.output);
    return DecodeError::malformed;
  }
  RgbImage image;
  image.width = out_width;
  image.height = out_height;
  image.rgb.reserve(std::size_t{out_width} * out_height * 3);
  const WebPRGBABuffer& buffer = config.output.u.RGBA;
  for (std::uint32_t y = 0; y < out_height; ++y) {
    const std::uint8_t* row =
        buffer.rgba + std::size_t{y} * static_cast<std::size_t>(buffer.stride);
    image.rgb.insert(image.rgb.end(), row, row + std::size_t{out_width} * 3);
  }
  WebPFreeDecBuffer(&config.output);
  return image;
}

}  // namespace kith::media
