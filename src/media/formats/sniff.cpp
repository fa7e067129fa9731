// Which of the four accepted formats a file is, from its first bytes
// (image_format.hpp explains why magic numbers and not libmagic).
#include <array>

#include "kith/media/image_format.hpp"

namespace kith::media {

std::optional<ImageFormat> sniff_format(std::string_view b) {
  using namespace std::string_view_literals;
  if (b.size() >= 3 && b.substr(0, 3) == "\xFF\xD8\xFF"sv) return ImageFormat::jpeg;
  if (b.size() >= 8 && b.substr(0, 8) == "\x89PNG\r\n\x1A\n"sv) return ImageFormat::png;
  if (b.size() >= 6 && (b.substr(0, 6) == "GIF87a"sv || b.substr(0, 6) == "GIF89a"sv))
    return ImageFormat::gif;
  if (b.size() >= 12 && b.substr(0, 4) == "RIFF"sv && b.substr(8, 4) == "WEBP"sv)
    return ImageFormat::webp;
  return std::nullopt;
}

std::string_view mime_type(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg:
      return "image/jpeg";
    case ImageFormat::png:
      return "image/png";
    case ImageFormat::gif:
      return "image/gif";
    case ImageFormat::webp:
      return "image/webp";
  }
  return "application/octet-stream";
}

std::string_view extension(ImageFormat format) {
  switch (format) {
    case ImageFormat::jpeg:
      return "jpg";
    case ImageFormat::png:
      return "png";
    case ImageFormat::gif:
      return "gif";
    case ImageFormat::webp:
      return "webp";
  }
  return "bin";
}

std::optional<ImageFormat> format_from_extension(std::string_view ext) {
  for (ImageFormat f : {ImageFormat::jpeg, ImageFormat::png, ImageFormat::gif, ImageFormat::webp})
    if (extension(f) == ext) return f;
  return std::nullopt;
}

}  // namespace kith::media
