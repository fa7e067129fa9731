// Base64 (RFC 4648 section 4, the standard alphabet) for signature values,
// digests and structured-field byte sequences.
//
// Signatures and digests arrive base64-encoded in headers that an attacker
// writes. The one idea: decoding is strict about the alphabet and the
// length, so that a value has one reading, and lenient only where the specs
// ask recipients to be (missing '=' padding when the caller allows it, and
// non-zero pad bits, RFC 8941 4.2.7). It must never skip characters it does
// not understand (whitespace, line breaks, the URL-safe alphabet), which is
// what general-purpose decoders such as OpenSSL's EVP_DecodeBlock do.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kith::ap {

using Bytes = std::vector<std::uint8_t>;

enum class Base64Padding { required, optional };

// nullopt for a character outside A-Z a-z 0-9 + /, an '=' that is not part
// of the final padding, more than two '=', a length of 4n+1, or (padding
// required) a length that is not a multiple of four.
std::optional<Bytes> base64_decode(std::string_view text,
                                   Base64Padding padding = Base64Padding::required);

// Padded, standard alphabet.
std::string base64_encode(std::span<const std::uint8_t> bytes);
std::string base64_encode(std::string_view bytes);

}  // namespace kith::ap
