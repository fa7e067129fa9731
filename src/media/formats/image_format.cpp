// The format-independent entry points of image_format.hpp, dispatching to
// one file per container.
#include "kith/media/image_format.hpp"

namespace kith::media {

std::optional<Dimensions> jpeg_dimensions(std::string_view bytes);
std::optional<Dimensions> png_dimensions(std::string_view bytes);
std::optional<Dimensions> gif_dimensions(std::string_view bytes);
std::optional<Dimensions> webp_dimensions(std::string_view bytes);
std::optional<std::string> strip_jpeg(std::string_view bytes);
std::optional<std::string> strip_png(std::string_view bytes);
std::optional<std::string> strip_gif(std::string_view bytes);
std::optional<std::string> strip_webp(std::string_view bytes);

std::optional<Dimensions> read_dimensions(ImageFormat format, std::string_view bytes) {
  if (sniff_format(bytes) != format) return std::nullopt;
  switch (format) {
    case ImageFormat::jpeg:
      return jpeg_dimensions(bytes);
    case ImageFormat::png:
      return png_dimensions(bytes);
    case ImageFormat::gif:
      return gif_dimensions(bytes);
    case ImageFormat::webp:
      return webp_dimensions(bytes);
  }
  return std::nullopt;
}

std::optional<std::string> strip_metadata(ImageFormat format, std::string_view bytes) {
  if (sniff_format(bytes) != format) return std::nullopt;
  switch (format) {
    case ImageFormat::jpeg:
      return strip_jpeg(bytes);
    case ImageFormat::png:
      return strip_png(bytes);
    case ImageFormat::gif:
      return strip_gif(bytes);
    case ImageFormat::webp:
      return strip_webp(bytes);
  }
  return std::nullopt;
}

}  // namespace kith::media
