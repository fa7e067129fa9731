// JPEG pixels through libjpeg-turbo, scaled down by up to 1/8 while decoding
// (the IDCT does it for nearly free). libjpeg reports fatal errors by
// calling error_exit, which must not return: ours longjmps back to
// decode_jpeg, where nothing but C state lives between setjmp and the
// decoder (the work is in read_pixels, whose objects belong to its caller).
#include <csetjmp>
#include <cstdio>
#include <optional>
#include <vector>

#include <jpeglib.h>

#include "thumbnail_grid.hpp"

namespace kith::media {
namespace {

// Most memory libjpeg may take for one decode (progressive images keep
// all their coefficients until the last scan).
constexpr long kMaxJpegDecoderMemory = 96L * 1024 * 1024;

struct ErrorManager {
  jpeg_error_mgr base;  // first: libjpeg sees a jpeg_error_mgr*
  std::jmp_buf jump;
};

[[noreturn]] void on_error(j_common_ptr info) {
  std::longjmp(reinterpret_cast<ErrorManager*>(info->err)->jump, 1);
}
void on_message(j_common_ptr, int) {}  // corrupt-data warnings: the decoder recovers
void on_output(j_common_ptr) {}        // nothing to stderr

void on_progress(j_common_ptr info) {
  auto* d = reinterpret_cast<j_decompress_ptr>(info);
  if (d->input_scan_number > kMaxJpegScans) on_error(info);
}

struct Work {
  std::optional<detail::ThumbnailGrid> grid;
  std::vector<JSAMPLE> row;
  bool too_many_pixels = false;
};

// 1, 2, 4 or 8: the largest reduction that still leaves kThumbnailSide
// pixels on the shorter side (or any, for small images).
unsigned scale_denominator(JDIMENSION width, JDIMENSION height) {
  unsigned denom = 8;
  while (denom > 1 && std::min(width, height) / denom < kThumbnailSide) denom /= 2;
  return denom;
}

[[gnu::noinline]] void read_pixels(jpeg_decompress_struct& info, Work& work) {
  jpeg_read_header(&info, TRUE);
  if (std::uint64_t{info.image_width} * info.image_height > kMaxImagePixels) {
    work.too_many_pixels = true;
    return;
  }
  info.scale_num = 1;
  info.scale_denom = scale_denominator(info.image_width, info.image_height);
  const bool cmyk = info.jpeg_color_space == JCS_CMYK || info.jpeg_color_space == JCS_YCCK;
  info.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  info.dct_method = JDCT_IFAST;
  // A progressive JPEG keeps every coefficient of the image while decoding:
  // a few hundred bytes can ask for hundreds of megabytes. libjpeg-turbo
  // refuses (through on_error) past this.
  info.mem->max_memory_to_use = kMaxJpegDecoderMemory;
  jpeg_start_decompress(&info);
  if (info.output_width == 0 || info.output_height == 0)
    on_error(reinterpret_cast<j_common_ptr>(&info));
  work.grid.emplace(info.output_width, info.output_height);
  work.row.resize(std::size_t{info.output_width} * info.output_components);
  while (info.output_scanline < info.output_height) {
    const JDIMENSION y = info.output_scanline;
    JSAMPROW row = work.row.data();
    if (jpeg_read_scanlines(&info, &row, 1) != 1) on_error(reinterpret_cast<j_common_ptr>(&info));
    for (JDIMENSION x = 0; x < info.output_width; ++x) {
      const JSAMPLE* p = &work.row[std::size_t{x} * info.output_components];
      if (cmyk) {
        // Adobe writes CMYK inverted (APP14); libjpeg hands it over as stored.
        const unsigned k = p[3];
        work.grid->add(x, y, static_cast<std::uint8_t>(p[0] * k / 255),
                       static_cast<std::uint8_t>(p[1] * k / 255),
                       static_cast<std::uint8_t>(p[2] * k / 255));
      } else {
        work.grid->add(x, y, p[0], p[1], p[2]);
      }
    }
  }
  jpeg_finish_decompress(&info);
}

}  // namespace

std::variant<RgbImage, DecodeError> decode_jpeg(std::string_view bytes) {
  jpeg_decompress_struct info{};
  ErrorManager errors{};
  jpeg_progress_mgr progress{};
  Work work;
  info.err = jpeg_std_error(&errors.base);
  errors.base.error_exit = on_error;
  errors.base.emit_message = on_message;
  errors.base.output_message = on_output;
  progress.progress_monitor = on_progress;
  if (setjmp(errors.jump)) {
    jpeg_destroy_decompress(&info);
    return DecodeError::malformed;
  }
  jpeg_create_decompress(&info);
  info.progress = &progress;
  jpeg_mem_src(&info, reinterpret_cast<const unsigned char*>(bytes.data()),
               static_cast<unsigned long>(bytes.size()));
  read_pixels(info, work);
  jpeg_destroy_decompress(&info);
  if (work.too_many_pixels) return DecodeError::too_many_pixels;
  if (!work.grid) return DecodeError::malformed;
  return work.grid->finish();
}

}  // namespace kith::media
