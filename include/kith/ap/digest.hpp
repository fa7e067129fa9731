// Body digests: the `Digest` header of RFC 3230 that cavage signatures sign
// ("SHA-256=<base64>"), and the `Content-Digest` field of RFC 9530 that
// RFC 9421 signatures sign ("sha-256=:<base64>:").
//
// A signature covers the digest header, not the body; the body is bound to
// the signature only if the receiver recomputes the digest and compares
// (Misskey CVE-2023-49079 checked the signature and never the body). The one
// idea: verification always recomputes from the body it was given and
// compares in constant time, and it fails unless at least one algorithm it
// knows (SHA-256, SHA-512) is present and every known one present matches.
// Unknown algorithms are ignored, never trusted.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kith/ap/base64.hpp"

namespace kith::ap {

inline constexpr std::size_t kMaxDigestHeaderBytes = 1024;
inline constexpr std::size_t kMaxDigestEntries = 8;

// One algorithm's digest. `algorithm` is in lower case ("sha-256");
// `digest` holds the decoded bytes for SHA-256 and SHA-512 and is empty for
// algorithms kith does not know.
struct DigestEntry {
  std::string algorithm;
  Bytes digest;
  bool operator==(const DigestEntry&) const = default;
};

enum class DigestError {
  none,
  too_long,
  syntax,  // not a list of algorithm=value
  duplicate_algorithm,
  too_many,
  bad_value,  // a known algorithm's value is not base64 of the right length
};

std::string_view describe(DigestError error);

struct DigestListResult {
  std::optional<std::vector<DigestEntry>> entries;
  DigestError error = DigestError::none;
  explicit operator bool() const { return entries.has_value(); }
};

// RFC 3230 4.3.2: Digest = "Digest" ":" #(instance-digest),
// instance-digest = digest-algorithm "=" <encoded digest output>; algorithm
// names are case-insensitive (RFC 3230 3.1).
DigestListResult parse_digest_header(std::string_view value);

// RFC 9530 2: Content-Digest is a Dictionary whose keys are algorithms and
// whose values are Byte Sequences.
DigestListResult parse_content_digest(std::string_view value);

Bytes sha256(std::string_view data);
Bytes sha512(std::string_view data);

// "SHA-256=<base64>" and "sha-256=:<base64>:" for a body kith sends.
std::string digest_header_sha256(std::string_view body);
std::string content_digest_sha256(std::string_view body);

// Equal length and equal bytes, in time that depends only on the length.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

enum class DigestCheck {
  match,
  mismatch,
  malformed,    // the header does not parse
  unsupported,  // no SHA-256 or SHA-512 in it
};

std::string_view describe(DigestCheck check);

// Parses the header value and checks every SHA-256 and SHA-512 digest in it
// against `body`.
DigestCheck check_digest_header(std::string_view value, std::string_view body);
DigestCheck check_content_digest(std::string_view value, std::string_view body);

}  // namespace kith::ap
