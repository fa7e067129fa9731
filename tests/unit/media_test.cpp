// kith::media on real files (tests/unit/fixtures/media, made with cjpeg,
// cwebp and exiftool, which put GPS positions, XMP and comments in them):
// the type comes from the bytes, metadata goes and pixels stay, dimensions
// (as displayed), the BlurHash, the pixel cap, and refusal of truncated and
// garbage files. Also the multipart file parts the upload endpoints read.
#include <catch2/catch.hpp>

#include <fstream>
#include <sstream>
#include <string>

#include "kith/api/params.hpp"
#include "kith/media/blurhash.hpp"
#include "kith/media/decode.hpp"
#include "kith/media/file_store.hpp"
#include "kith/media/image_format.hpp"
#include "kith/media/processing.hpp"

using namespace kith::media;

namespace {

std::string fixture(const std::string& name) {
  std::ifstream in(std::string(KITH_SOURCE_DIR) + "/tests/unit/fixtures/media/" + name,
                   std::ios::binary);
  REQUIRE(in);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

bool contains(const std::string& haystack, std::string_view needle) {
  return haystack.find(needle) != std::string::npos;
}

constexpr std::size_t kMax = 16u << 20;

}  // namespace

TEST_CASE("media: the type comes from the bytes") {
  CHECK(sniff_format(fixture("gps.jpg")) == ImageFormat::jpeg);
  CHECK(sniff_format(fixture("gps.png")) == ImageFormat::png);
  CHECK(sniff_format(fixture("comment.gif")) == ImageFormat::gif);
  CHECK(sniff_format(fixture("gps.webp")) == ImageFormat::webp);
  // Whatever the file is called or claims to be: there is no name to give.
  auto processed = process_image(fixture("gps.png"), kMax);
  REQUIRE(std::holds_alternative<ProcessedImage>(processed));
  CHECK(std::get<ProcessedImage>(processed).format == ImageFormat::png);
  CHECK(mime_type(ImageFormat::png) == "image/png");
  for (std::string bad :
       {std::string(), std::string("hello"), std::string("<svg onload=x>"),
        std::string("\xFF\xD8", 2), std::string("RIFF\0\0\0\0WAVE", 12), std::string("GIF88a")})
    CHECK_FALSE(sniff_format(bad));
}

TEST_CASE("media: dimensions as displayed") {
  auto dims = [](const std::string& name, ImageFormat f) {
    auto d = read_dimensions(f, fixture(name));
    REQUIRE(d);
    return std::pair{d->width, d->height};
  };
  CHECK(dims("gps.jpg", ImageFormat::jpeg) == std::pair{64u, 48u});
  CHECK(dims("rotated.jpg", ImageFormat::jpeg) == std::pair{48u, 64u});  // orientation 6
  CHECK(dims("gps.png", ImageFormat::png) == std::pair{40u, 30u});
  CHECK(dims("comment.gif", ImageFormat::gif) == std::pair{20u, 10u});
  CHECK(dims("gps.webp", ImageFormat::webp) == std::pair{64u, 48u});
}

TEST_CASE("media: JPEG EXIF (GPS), XMP and comments are removed, pixels are not") {
  const std::string original = fixture("gps.jpg");
  // exiftool's tags are there to begin with (0x8825: the GPS IFD pointer).
  REQUIRE(contains(original, std::string("\x88\x25", 2)));
  REQUIRE(contains(original, "secret"));
  auto stripped = strip_metadata(ImageFormat::jpeg, original);
  REQUIRE(stripped);
  CHECK_FALSE(contains(*stripped, std::string("Exif\0\0", 6)));
  CHECK_FALSE(contains(*stripped, std::string("\x88\x25", 2)));
  CHECK_FALSE(contains(*stripped, "http://ns.adobe.com/xap"));
  CHECK_FALSE(contains(*stripped, "secret"));
  CHECK_FALSE(contains(*stripped, "KithCam"));
  CHECK(stripped->size() < original.size());
  // The scan data is the same bytes, so the decoded pixels are the same.
  const std::size_t scan = original.find("\xFF\xDA");
  CHECK(stripped->ends_with(original.substr(scan)));
  CHECK(std::get<RgbImage>(decode_thumbnail(ImageFormat::jpeg, original)).rgb ==
        std::get<RgbImage>(decode_thumbnail(ImageFormat::jpeg, *stripped)).rgb);
  // Stripping is idempotent.
  CHECK(strip_metadata(ImageFormat::jpeg, *stripped) == stripped);
}

TEST_CASE("media: a JPEG's orientation survives as a minimal EXIF segment, its GPS does not") {
  const std::string original = fixture("rotated.jpg");
  CHECK(jpeg_orientation(original) == 6);
  auto stripped = strip_metadata(ImageFormat::jpeg, original);
  REQUIRE(stripped);
  CHECK(jpeg_orientation(*stripped) == 6);
  REQUIRE(contains(original, std::string("\x88\x25", 2)));
  CHECK_FALSE(contains(*stripped, std::string("\x88\x25", 2)));
  // APP1, length 34: the TIFF header and one IFD entry (Orientation).
  const std::size_t app1 = stripped->find("\xFF\xE1");
  REQUIRE(app1 != std::string::npos);
  CHECK(stripped->substr(app1 + 2, 2) == std::string("\x00\x22", 2));
  auto pixels = decode_thumbnail(ImageFormat::jpeg, *stripped);
  REQUIRE(std::holds_alternative<RgbImage>(pixels));
  CHECK(std::get<RgbImage>(pixels).width < std::get<RgbImage>(pixels).height);  // turned upright
}

TEST_CASE("media: PNG text, time and EXIF chunks are removed, image chunks kept") {
  const std::string original = fixture("gps.png");
  REQUIRE(contains(original, "eXIf"));
  auto stripped = strip_metadata(ImageFormat::png, original);
  REQUIRE(stripped);
  for (const char* chunk : {"eXIf", "tEXt", "tIME", "iTXt", "zTXt", "secret place"})
    CHECK_FALSE(contains(*stripped, chunk));
  CHECK(contains(*stripped, "IDAT"));
  CHECK(stripped->ends_with(std::string("IEND\xAE\x42\x60\x82", 8)));
  CHECK(std::get<RgbImage>(decode_thumbnail(ImageFormat::png, original)).rgb ==
        std::get<RgbImage>(decode_thumbnail(ImageFormat::png, *stripped)).rgb);
}

TEST_CASE("media: WebP EXIF and XMP chunks and their VP8X flags are removed") {
  const std::string original = fixture("gps.webp");
  REQUIRE(contains(original, "EXIF"));
  auto stripped = strip_metadata(ImageFormat::webp, original);
  REQUIRE(stripped);
  CHECK_FALSE(contains(*stripped, "EXIF"));
  CHECK_FALSE(contains(*stripped, "XMP "));
  CHECK_FALSE(contains(*stripped, "someone"));
  const std::size_t vp8x = stripped->find("VP8X");
  REQUIRE(vp8x != std::string::npos);
  CHECK((static_cast<unsigned char>((*stripped)[vp8x + 8]) & 0x0C) == 0);
  // The RIFF size is the file's size minus 8.
  const auto size = static_cast<std::size_t>(static_cast<unsigned char>((*stripped)[4])) |
                    static_cast<std::size_t>(static_cast<unsigned char>((*stripped)[5])) << 8 |
                    static_cast<std::size_t>(static_cast<unsigned char>((*stripped)[6])) << 16;
  CHECK(size == stripped->size() - 8);
  CHECK(std::get<RgbImage>(decode_thumbnail(ImageFormat::webp, original)).rgb ==
        std::get<RgbImage>(decode_thumbnail(ImageFormat::webp, *stripped)).rgb);
}

TEST_CASE("media: GIF comments and foreign application extensions go, looping stays") {
  const std::string original = fixture("comment.gif");
  auto stripped = strip_metadata(ImageFormat::gif, original);
  REQUIRE(stripped);
  CHECK_FALSE(contains(*stripped, "taken at home"));
  CHECK_FALSE(contains(*stripped, "XMP DataXMP"));
  CHECK(contains(*stripped, "NETSCAPE2.0"));
  auto pixels = decode_thumbnail(ImageFormat::gif, *stripped);
  REQUIRE(std::holds_alternative<RgbImage>(pixels));
  const RgbImage& image = std::get<RgbImage>(pixels);
  CHECK(image.width == 20);
  CHECK(image.height == 10);
  // The top-left 5x5 block is palette entry 0, red.
  CHECK(image.rgb[0] == 255);
  CHECK(image.rgb[1] == 0);
  CHECK(image.rgb[2] == 0);
}

TEST_CASE("media: BlurHash") {
  // Expected hashes computed by the reference C encoder (woltapp/blurhash
  // C/encode.c) on the same pixels. (The AC components of one colour are
  // not zero: the basis cos(pi i x / width) is not balanced on a grid.)
  RgbImage red{8, 6, {}};
  for (int i = 0; i < 8 * 6; ++i) red.rgb.insert(red.rgb.end(), {255, 0, 0});
  CHECK(blurhash(red) == "LsTI:j]9fQ]9|csUfQsUfQfQfQfQ");
  CHECK(blurhash(red, 1, 1) == "00TI:j");
  RgbImage gradient{32, 24, {}};
  for (int y = 0; y < 24; ++y)
    for (int x = 0; x < 32; ++x)
      gradient.rgb.insert(gradient.rgb.end(),
                          {static_cast<std::uint8_t>(x * 8), static_cast<std::uint8_t>(y * 10),
                           static_cast<std::uint8_t>((x + y) * 4)});
  CHECK(blurhash(gradient) == "LxH27b2kwzX5mAWYjuf7gKfkfQfj");
  CHECK(blurhash(RgbImage{}) == "");
  CHECK(blurhash(red, 0, 3) == "");
  // (The encoder also gives the reference C encoder's published hash for
  // its pic1.png, "LaJHjmVu8_~po#smR+a~xaoLWCRj"; that picture is too big
  // to keep here.)
  for (const char* name : {"gps.jpg", "gps.png", "comment.gif", "gps.webp"}) {
    auto processed = process_image(fixture(name), kMax);
    REQUIRE(std::holds_alternative<ProcessedImage>(processed));
    const std::string& hash = std::get<ProcessedImage>(processed).blurhash;
    CHECK(hash.size() == 28);
    CHECK(hash.front() == 'L');
  }
}

TEST_CASE("media: truncated, garbage, too large and too many pixels are refused") {
  for (const char* name : {"gps.jpg", "gps.png", "comment.gif", "gps.webp"}) {
    const std::string original = fixture(name);
    for (std::size_t keep : {original.size() / 2, original.size() - 3, std::size_t{20}}) {
      auto result = process_image(original.substr(0, keep), kMax);
      REQUIRE(std::holds_alternative<ProcessError>(result));
      CHECK(std::get<ProcessError>(result).status == 422);
    }
  }
  auto garbage = process_image("definitely not an image", kMax);
  REQUIRE(std::holds_alternative<ProcessError>(garbage));
  CHECK(std::get<ProcessError>(garbage).status == 422);
  auto large = process_image(fixture("gps.jpg"), 100);
  REQUIRE(std::holds_alternative<ProcessError>(large));
  CHECK(std::get<ProcessError>(large).status == 413);

  // A decompression bomb: the JPEG's frame header claims 60000 x 60000.
  std::string bomb = fixture("gps.jpg");
  const std::size_t sof = bomb.find("\xFF\xC0");
  REQUIRE(sof != std::string::npos);
  bomb.replace(sof + 5, 4, std::string("\xEA\x60\xEA\x60", 4));
  auto refused = process_image(bomb, kMax);
  REQUIRE(std::holds_alternative<ProcessError>(refused));
  CHECK(std::get<ProcessError>(refused).status == 422);
  CHECK(contains(std::get<ProcessError>(refused).message, "megapixels"));
  CHECK(std::get<DecodeError>(decode_thumbnail(ImageFormat::jpeg, bomb)) ==
        DecodeError::too_many_pixels);
}

TEST_CASE("media: stored file names are kith's own") {
  CHECK(FileStore::valid_name("abcdefghijklmnopqrstuvwx.png"));
  CHECK(FileStore::valid_name("ab-d_fghijklmnopqrstuvwx.webp"));
  for (const char* bad : {"../../etc/passwd", "abcdefghijklmnopqrstuvwx.svg", "short.png",
                          "abcdefghijklmnop/rstuvwx.png", ".abcdefghijklmnopqrstuvwx.png.tmp",
                          "abcdefghijklmnopqrstuvwx.png.tmp", "abcdefghijklmnopqrstuvwx"})
    CHECK_FALSE(FileStore::valid_name(bad));
}

TEST_CASE("params: multipart file parts are kept apart from text fields") {
  kith::http::Request request;
  request.method = "POST";
  request.headers.push_back({"Content-Type", "multipart/form-data; boundary=XyZ"});
  const std::string png = fixture("gps.png");
  request.body =
      "--XyZ\r\nContent-Disposition: form-data; name=\"description\"\r\n\r\nA cat\r\n"
      "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"photo.jpg\"\r\n"
      "Content-Type: image/jpeg\r\n\r\n" +
      png + "\r\n--XyZ--\r\n";
  auto parsed = kith::api::read_params(request);
  REQUIRE(std::holds_alternative<kith::api::Params>(parsed));
  const auto& params = std::get<kith::api::Params>(parsed);
  CHECK(params.first("description") == "A cat");
  CHECK_FALSE(params.first("file"));  // a file is not a text parameter
  const kith::api::UploadedFile* file = params.file("file");
  REQUIRE(file);
  CHECK(file->filename == "photo.jpg");
  CHECK(file->content_type == "image/jpeg");
  CHECK(file->bytes == png);
  CHECK(params.file("avatar") == nullptr);

  // More file parts than kMaxMultipartFiles: 400.
  std::string many;
  for (std::size_t i = 0; i <= kith::api::kMaxMultipartFiles; ++i)
    many += "--XyZ\r\nContent-Disposition: form-data; name=\"f" + std::to_string(i) +
            "\"; filename=\"a\"\r\n\r\nx\r\n";
  request.body = many + "--XyZ--\r\n";
  auto refused = kith::api::read_params(request);
  REQUIRE(std::holds_alternative<kith::http::Response>(refused));
  CHECK(std::get<kith::http::Response>(refused).status == 400);
}
