// process_image (processing.hpp): sniff, strip, measure, decode. The
// BlurHash and the pixel cap are computed on the stripped bytes, which are
// the ones stored: what is checked is what is served.
#include "kith/media/processing.hpp"

#include "kith/media/blurhash.hpp"
#include "kith/media/decode.hpp"

namespace kith::media {

std::variant<ImageFormat, ProcessError> check_upload(std::string_view bytes,
                                                     std::size_t max_bytes) {
  if (bytes.size() > max_bytes)
    return ProcessError{413, "File is too large (at most " + std::to_string(max_bytes) + " bytes)"};
  auto format = sniff_format(bytes);
  if (!format)
    return ProcessError{422,
                        "Validation failed: File content type is invalid "
                        "(JPEG, PNG, GIF and WebP images are accepted)"};
  return *format;
}

std::variant<ProcessedImage, ProcessError> process_image(std::string_view bytes,
                                                         std::size_t max_bytes) {
  auto checked = check_upload(bytes, max_bytes);
  if (auto* error = std::get_if<ProcessError>(&checked)) return std::move(*error);
  ProcessedImage out;
  out.format = std::get<ImageFormat>(checked);
  const ProcessError malformed{422, "Validation failed: File could not be read as an image"};
  auto stripped = strip_metadata(out.format, bytes);
  if (!stripped) return malformed;
  out.bytes = std::move(*stripped);
  auto dimensions = read_dimensions(out.format, out.bytes);
  if (!dimensions) return malformed;
  out.dimensions = *dimensions;
  if (std::uint64_t{dimensions->width} * dimensions->height > kMaxImagePixels)
    return ProcessError{422, "Validation failed: Image has more than " +
                                 std::to_string(kMaxImagePixels / 1'000'000) + " megapixels"};
  auto pixels = decode_thumbnail(out.format, out.bytes);
  if (auto* image = std::get_if<RgbImage>(&pixels)) {
    out.blurhash = blurhash(*image);
  } else if (std::get<DecodeError>(pixels) == DecodeError::too_many_pixels) {
    return ProcessError{422, "Validation failed: Image has more than " +
                                 std::to_string(kMaxImagePixels / 1'000'000) + " megapixels"};
  } else if (std::get<DecodeError>(pixels) == DecodeError::malformed) {
    return malformed;
  }
  return out;
}

}  // namespace kith::media
