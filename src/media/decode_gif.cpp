// GIF pixels through giflib: the first frame only, a line at a time (an
// animation's first frame is what a placeholder should look like). giflib
// reports errors by return value, so no longjmp here.
#include <gif_lib.h>

#include <cstring>
#include <memory>
#include <vector>

#include "thumbnail_grid.hpp"

namespace kith::media {
namespace {

struct Input {
  std::string_view bytes;
  std::size_t pos = 0;
};

int on_read(GifFileType* gif, GifByteType* out, int length) {
  auto* input = static_cast<Input*>(gif->UserData);
  const std::size_t n =
      std::min(static_cast<std::size_t>(std::max(length, 0)), input->bytes.size() - input->pos);
  std::memcpy(out, input->bytes.data() + input->pos, n);
  input->pos += n;
  return static_cast<int>(n);
}

struct Closer {
  void operator()(GifFileType* gif) const {
    int error = 0;
    DGifCloseFile(gif, &error);
  }
};

}  // namespace

std::variant<RgbImage, DecodeError> decode_gif(std::string_view bytes) {
  Input input{bytes};
  int error = 0;
  std::unique_ptr<GifFileType, Closer> gif(DGifOpen(&input, on_read, &error));
  if (!gif) return DecodeError::malformed;
  const std::uint32_t width = static_cast<std::uint32_t>(std::max(gif->SWidth, 0));
  const std::uint32_t height = static_cast<std::uint32_t>(std::max(gif->SHeight, 0));
  if (width == 0 || height == 0) return DecodeError::malformed;
  if (std::uint64_t{width} * height > kMaxImagePixels) return DecodeError::too_many_pixels;
  while (true) {
    GifRecordType type;
    if (DGifGetRecordType(gif.get(), &type) == GIF_ERROR) return DecodeError::malformed;
    if (type == TERMINATE_RECORD_TYPE) return DecodeError::malformed;  // no image
    if (type == EXTENSION_RECORD_TYPE) {
      int code = 0;
      GifByteType* extension = nullptr;
      if (DGifGetExtension(gif.get(), &code, &extension) == GIF_ERROR)
        return DecodeError::malformed;
      while (extension)
        if (DGifGetExtensionNext(gif.get(), &extension) == GIF_ERROR) return DecodeError::malformed;
      continue;
    }
    if (type != IMAGE_DESC_RECORD_TYPE) return DecodeError::malformed;
    if (DGifGetImageDesc(gif.get()) == GIF_ERROR) return DecodeError::malformed;
    const GifImageDesc& frame = gif->Image;
    if (frame.Width <= 0 || frame.Height <= 0 ||
        std::uint64_t(frame.Width) * std::uint64_t(frame.Height) > kMaxImagePixels)
      return DecodeError::malformed;
    const ColorMapObject* colors = frame.ColorMap ? frame.ColorMap : gif->SColorMap;
    if (!colors || !colors->Colors) return DecodeError::malformed;
    detail::ThumbnailGrid grid(width, height);
    std::vector<GifPixelType> line(static_cast<std::size_t>(frame.Width));
    // GIF89a appendix E: interlaced rows come in four passes.
    static constexpr int kStart[] = {0, 4, 2, 1}, kStep[] = {8, 8, 4, 2};
    const int passes = frame.Interlace ? 4 : 1;
    for (int pass = 0; pass < passes; ++pass) {
      const int start = frame.Interlace ? kStart[pass] : 0,
                step = frame.Interlace ? kStep[pass] : 1;
      for (int y = start; y < frame.Height; y += step) {
        if (DGifGetLine(gif.get(), line.data(), frame.Width) == GIF_ERROR)
          return DecodeError::malformed;
        const long canvas_y = long{frame.Top} + y;
        if (canvas_y < 0 || canvas_y >= long(height)) continue;
        for (int x = 0; x < frame.Width; ++x) {
          const long canvas_x = long{frame.Left} + x;
          if (canvas_x < 0 || canvas_x >= long(width)) continue;
          const int index = line[static_cast<std::size_t>(x)];
          if (index >= colors->ColorCount) continue;
          const GifColorType& c = colors->Colors[index];
          grid.add(static_cast<std::uint32_t>(canvas_x), static_cast<std::uint32_t>(canvas_y),
                   c.Red, c.Green, c.Blue);
        }
      }
    }
    return grid.finish();
  }
}

}  // namespace kith::media
