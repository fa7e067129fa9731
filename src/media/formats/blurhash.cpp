// The BlurHash encoder (blurhash.hpp), from the algorithm's description:
//   each component (i, j) is the mean over the pixels of
//     cos(pi i x / width) cos(pi j y / height) * linear(pixel),
//   times 2 for every component but the DC one; the DC is written as an
//   sRGB colour in 4 base-83 digits, the AC components relative to the
//   largest one, each channel quantised to 19 levels on a square-root
//   scale, in 2 digits; the hash starts with the component counts and the
//   quantised maximum.
#include "kith/media/blurhash.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace kith::media {
namespace {

constexpr std::string_view kDigits =
    "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz#$%*+,-.:;=?@[]^_{|}~";

void base83(std::string& out, int value, int length) {
  for (int i = 1; i <= length; ++i) {
    int divisor = 1;
    for (int k = 0; k < length - i; ++k) divisor *= 83;
    out += kDigits[static_cast<std::size_t>((value / divisor) % 83)];
  }
}

double srgb_to_linear(std::uint8_t value) {
  const double v = value / 255.0;
  return v <= 0.04045 ? v / 12.92 : std::pow((v + 0.055) / 1.055, 2.4);
}

int linear_to_srgb(double value) {
  const double v = std::clamp(value, 0.0, 1.0);
  if (v <= 0.0031308) return static_cast<int>(v * 12.92 * 255 + 0.5);
  return static_cast<int>((1.055 * std::pow(v, 1 / 2.4) - 0.055) * 255 + 0.5);
}

double sign_pow(double value, double exponent) {
  return std::copysign(std::pow(std::fabs(value), exponent), value);
}

}  // namespace

std::string blurhash(const RgbImage& image, int x_components, int y_components) {
  const std::size_t w = image.width, h = image.height;
  if (w == 0 || h == 0 || image.rgb.size() != w * h * 3) return "";
  if (x_components < 1 || x_components > 9 || y_components < 1 || y_components > 9) return "";

  std::array<double, 256> linear{};
  for (int v = 0; v < 256; ++v)
    linear[static_cast<std::size_t>(v)] = srgb_to_linear(static_cast<std::uint8_t>(v));
  std::vector<std::array<double, 3>> factors;
  for (int j = 0; j < y_components; ++j) {
    for (int i = 0; i < x_components; ++i) {
      std::array<double, 3> sum{};
      for (std::size_t y = 0; y < h; ++y) {
        const double cy = std::cos(M_PI * j * static_cast<double>(y) / static_cast<double>(h));
        for (std::size_t x = 0; x < w; ++x) {
          const double basis =
              cy * std::cos(M_PI * i * static_cast<double>(x) / static_cast<double>(w));
          const std::uint8_t* p = &image.rgb[(y * w + x) * 3];
          for (int c = 0; c < 3; ++c) sum[static_cast<std::size_t>(c)] += basis * linear[p[c]];
        }
      }
      const double scale = (i == 0 && j == 0 ? 1.0 : 2.0) / static_cast<double>(w * h);
      for (double& s : sum) s *= scale;
      factors.push_back(sum);
    }
  }

  std::string out;
  base83(out, (x_components - 1) + (y_components - 1) * 9, 1);
  double maximum = 1;
  if (factors.size() > 1) {
    double actual = 0;
    for (std::size_t k = 1; k < factors.size(); ++k)
      for (double v : factors[k]) actual = std::max(actual, std::fabs(v));
    const int quantised = std::clamp(static_cast<int>(std::floor(actual * 166 - 0.5)), 0, 82);
    maximum = (quantised + 1) / 166.0;
    base83(out, quantised, 1);
  } else {
    base83(out, 0, 1);
  }
  const auto& dc = factors[0];
  base83(out, (linear_to_srgb(dc[0]) << 16) + (linear_to_srgb(dc[1]) << 8) + linear_to_srgb(dc[2]),
         4);
  for (std::size_t k = 1; k < factors.size(); ++k) {
    int value = 0;
    for (double v : factors[k]) {
      const int q =
          std::clamp(static_cast<int>(std::floor(sign_pow(v / maximum, 0.5) * 9 + 9.5)), 0, 18);
      value = value * 19 + q;
    }
    base83(out, value, 2);
  }
  return out;
}

}  // namespace kith::media
