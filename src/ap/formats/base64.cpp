// Strict base64: RFC 4648 sections 3.2 (padding), 3.3 (no characters outside
// the alphabet) and 4 (the alphabet).
#include "kith/ap/base64.hpp"

#include <array>

namespace kith::ap {

namespace {

constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

constexpr std::array<std::int8_t, 256> make_table() {
  std::array<std::int8_t, 256> table{};
  for (auto& v : table) v = -1;
  for (int i = 0; i < 64; ++i)
    table[static_cast<unsigned char>(kAlphabet[i])] = static_cast<std::int8_t>(i);
  return table;
}

constexpr std::array<std::int8_t, 256> kTable = make_table();

}  // namespace

std::optional<Bytes> base64_decode(std::string_view text, Base64Padding padding) {
  // RFC 4648 3.2: at most two '=' and only at the very end.
  std::size_t pads = 0;
  while (pads < text.size() && text[text.size() - 1 - pads] == '=') ++pads;
  if (pads > 2) return std::nullopt;
  if (pads > 0 && text.size() % 4 != 0) return std::nullopt;
  if (pads == 0 && padding == Base64Padding::required && text.size() % 4 != 0) return std::nullopt;
  const std::string_view data = text.substr(0, text.size() - pads);
  // Four characters carry three bytes; a lone trailing character carries
  // only six bits and is never valid.
  if (data.size() % 4 == 1) return std::nullopt;
  if (pads > 0 && (data.size() % 4) + pads != 4) return std::nullopt;

  Bytes out;
  out.reserve(data.size() / 4 * 3 + 2);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (char c : data) {
    const std::int8_t value = kTable[static_cast<unsigned char>(c)];
    if (value < 0) return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((accumulator >> bits) & 0xFF));
    }
  }
  // The remaining 2 or 4 bits are pad bits; RFC 8941 4.2.7 asks parsers not
  // to fail when they are non-zero, since some encoders set them.
  return out;
}

std::string base64_encode(std::span<const std::uint8_t> bytes) {
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n =
        (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (const std::size_t rest = bytes.size() - i; rest > 0) {
    std::uint32_t n = std::uint32_t{bytes[i]} << 16;
    if (rest == 2) n |= std::uint32_t{bytes[i + 1]} << 8;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += rest == 2 ? kAlphabet[(n >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string base64_encode(std::string_view bytes) {
  return base64_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

}  // namespace kith::ap
