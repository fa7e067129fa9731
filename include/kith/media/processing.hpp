// What an upload goes through before it is stored: the type from its bytes,
// its size, its metadata removed, its dimensions and its BlurHash. One
// function, so the endpoints (media, avatar, header) cannot skip a step.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <variant>

#include "kith/media/image_format.hpp"

namespace kith::media {

struct ProcessedImage {
  ImageFormat format = ImageFormat::png;
  Dimensions dimensions;  // as displayed
  std::string bytes;      // without metadata: what is stored and served
  std::string blurhash;   // "" when the image could not be decoded (animated WebP)
};

// Why an upload was refused: an HTTP status (413 too large, 422 otherwise)
// and a message for the client.
struct ProcessError {
  int status = 422;
  std::string message;
};

// Quick checks, without decoding: a known image type (422) of at most
// `max_bytes` (413).
std::variant<ImageFormat, ProcessError> check_upload(std::string_view bytes, std::size_t max_bytes);

// Everything: check_upload, then stripping, dimensions, the pixel cap and
// decoding. Blocking CPU work (up to a full decode): not on an I/O thread.
std::variant<ProcessedImage, ProcessError> process_image(std::string_view bytes,
                                                         std::size_t max_bytes);

}  // namespace kith::media
