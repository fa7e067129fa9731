// PNG pixels through libpng, one row at a time into the thumbnail grid.
// Interlaced images are read pass by pass without libpng's de-interlacing
// (which needs the whole image in memory): every pixel comes in exactly
// one of the seven Adam7 passes, at a position the PNG_PASS_* macros give.
// libpng reports errors by longjmp to the setjmp in decode_png; the work is
// in read_pixels, whose objects belong to its caller.
#include <png.h>

#include <csetjmp>
#include <cstring>
#include <optional>
#include <vector>

#include "thumbnail_grid.hpp"

namespace kith::media {
namespace {

struct Input {
  std::string_view bytes;
  std::size_t pos = 0;
};

void on_read(png_structp png, png_bytep out, png_size_t length) {
  auto* input = static_cast<Input*>(png_get_io_ptr(png));
  if (length > input->bytes.size() - input->pos) png_error(png, "truncated");
  std::memcpy(out, input->bytes.data() + input->pos, length);
  input->pos += length;
}
[[noreturn]] void on_error(png_structp png, png_const_charp) {
  png_longjmp(png, 1);
}
void on_warning(png_structp, png_const_charp) {}

struct Work {
  std::optional<detail::ThumbnailGrid> grid;
  std::vector<png_byte> row;
  bool too_many_pixels = false;
};

[[gnu::noinline]] void read_pixels(png_structp png, png_infop info, Work& work) {
  png_read_info(png, info);
  const png_uint_32 width = png_get_image_width(png, info);
  const png_uint_32 height = png_get_image_height(png, info);
  if (std::uint64_t{width} * height > kMaxImagePixels) {
    work.too_many_pixels = true;
    return;
  }
  png_set_expand(png);  // palette -> RGB, gray < 8 bits -> 8, tRNS -> alpha
  png_set_strip_16(png);
  png_set_gray_to_rgb(png);
  png_set_strip_alpha(png);
  png_read_update_info(png, info);
  if (png_get_channels(png, info) != 3) png_error(png, "unexpected channels");
  work.grid.emplace(width, height);
  work.row.resize(png_get_rowbytes(png, info));
  const bool interlaced = png_get_interlace_type(png, info) == PNG_INTERLACE_ADAM7;
  const int passes = interlaced ? PNG_INTERLACE_ADAM7_PASSES : 1;
  for (int pass = 0; pass < passes; ++pass) {
    const png_uint_32 rows = interlaced ? PNG_PASS_ROWS(height, pass) : height;
    const png_uint_32 cols = interlaced ? PNG_PASS_COLS(width, pass) : width;
    if (rows == 0 || cols == 0) continue;  // libpng skips empty passes too
    for (png_uint_32 r = 0; r < rows; ++r) {
      png_read_row(png, work.row.data(), nullptr);
      const png_uint_32 y = interlaced ? PNG_ROW_FROM_PASS_ROW(r, pass) : r;
      for (png_uint_32 c = 0; c < cols; ++c) {
        const png_uint_32 x = interlaced ? PNG_COL_FROM_PASS_COL(c, pass) : c;
        const png_byte* p = &work.row[std::size_t{c} * 3];
        work.grid->add(x, y, p[0], p[1], p[2]);
      }
    }
  }
}

}  // namespace

std::variant<RgbImage, DecodeError> decode_png(std::string_view bytes) {
  Input input{bytes};
  Work work;
  png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, nullptr, on_error, on_warning);
  if (!png) return DecodeError::malformed;
  png_infop info = png_create_info_struct(png);
  if (!info) {
    png_destroy_read_struct(&png, nullptr, nullptr);
    return DecodeError::malformed;
  }
  if (setjmp(png_jmpbuf(png))) {
    png_destroy_read_struct(&png, &info, nullptr);
    return DecodeError::malformed;
  }
  png_set_read_fn(png, &input, on_read);
  png_set_user_limits(png, 1u << 20, 1u << 20);
  read_pixels(png, info, work);
  png_destroy_read_struct(&png, &info, nullptr);
  if (work.too_many_pixels) return DecodeError::too_many_pixels;
  if (!work.grid) return DecodeError::malformed;
  return work.grid->finish();
}

}  // namespace kith::media
