// Decoding an uploaded image into a few pixels, for its BlurHash: Debian's
// decoders (libjpeg-turbo, libpng, giflib, libwebp), each asked for as little
// as it can give (libjpeg-turbo scales by 1/8 while decoding, libwebp to the
// target size; libpng and giflib are read a row at a time) and averaged into
// a grid of at most kThumbnailSide pixels a side, so memory stays small
// whatever the image's size.
//
// Must never: decode an image of more than kMaxImagePixels (a decompression
// bomb: a few kilobytes that claim gigapixels), let a decoder's error end the
// process (libjpeg and libpng report errors by longjmp; both are caught right
// at the call), or shell out to a converter.
#pragma once

#include <cstdint>
#include <string_view>
#include <variant>

#include "kith/media/blurhash.hpp"
#include "kith/media/image_format.hpp"

namespace kith::media {

// Largest image decoded, width x height (Mastodon's limit is 8,294,400 for
// its pixel work; a phone's 50 MP photo is the largest real case).
inline constexpr std::uint64_t kMaxImagePixels = 50'000'000;
// Longest side of the grid the BlurHash is computed on.
inline constexpr std::uint32_t kThumbnailSide = 32;
// A progressive JPEG may have many scans; each costs a pass over the
// coefficients. libjpeg-turbo's advice against scan-count DoS: cap them.
inline constexpr int kMaxJpegScans = 256;

enum class DecodeError {
  malformed,        // the decoder refused the data
  too_many_pixels,  // over kMaxImagePixels
  unsupported,      // a valid file kith does not decode (animated WebP)
};

// The image (as displayed: EXIF orientation applied for JPEG) averaged to
// at most kThumbnailSide x kThumbnailSide, or why not.
std::variant<RgbImage, DecodeError> decode_thumbnail(ImageFormat format, std::string_view bytes);

}  // namespace kith::media
