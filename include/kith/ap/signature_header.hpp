// The `Signature` header of draft-cavage-http-signatures-12, the form of
// HTTP Signatures that Mastodon and most of the fediverse send, and its
// `Authorization: Signature ...` variant.
//
// The header names a key, the signed header fields and the signature. The
// one idea: parse it into a typed value exactly once, refusing anything
// ambiguous (a parameter given twice, a non-numeric time, a malformed
// signature), so that the policy that judges it and the code that rebuilds
// the signed string read the same thing. It never decides whether a
// signature is good or strong enough: that is signing_string, rsa and
// signature_policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/ap/base64.hpp"

namespace kith::ap {

inline constexpr std::size_t kMaxSignatureHeaderBytes = 8 * 1024;
inline constexpr std::size_t kMaxKeyIdBytes = 2048;         // a URL (kith::http::kMaxUrlLength)
inline constexpr std::size_t kMaxSignedHeaders = 32;        // names in `headers`
inline constexpr std::size_t kMaxSignatureParameters = 16;  // known and unknown ones together
inline constexpr std::size_t kMaxSignatureBytes = 1024;     // decoded: an RSA-8192 signature

// A Unix time given as a signature parameter: the text as sent (it goes
// into the signing string unchanged) and its value in whole seconds.
struct SignatureTime {
  std::string text;
  std::int64_t seconds = 0;
  bool operator==(const SignatureTime&) const = default;
};

struct CavageSignature {
  std::string key_id;
  std::string algorithm;             // lower case; empty when not given
  std::vector<std::string> headers;  // lower case, in signing order
  bool headers_given = false;        // false: `headers` is the default below
  Bytes signature;
  std::optional<SignatureTime> created;
  std::optional<SignatureTime> expires;

  bool operator==(const CavageSignature&) const = default;
  bool signs(std::string_view header) const;  // `header` in lower case
};

enum class CavageError {
  none,
  too_long,              // over kMaxSignatureHeaderBytes
  not_signature_scheme,  // Authorization with another scheme
  syntax,                // not a list of name=value pairs
  too_many_parameters,
  duplicate_parameter,
  missing_key_id,
  key_id_too_long,
  missing_signature,
  bad_signature,  // not base64, or longer than kMaxSignatureBytes
  bad_headers,    // empty, a repeated or invalid name, or over kMaxSignedHeaders
  bad_created,    // not a Unix time in whole seconds
  bad_expires,    // not a Unix time (whole, or with a decimal fraction)
};

std::string_view describe(CavageError error);

struct CavageResult {
  std::optional<CavageSignature> signature;
  CavageError error = CavageError::none;
  explicit operator bool() const { return signature.has_value(); }
};

// Parses a Signature header value:
//   keyId="...",algorithm="rsa-sha256",headers="(request-target) host date",
//   signature="base64"[,created=1402170695][,expires=1402170699]
// RFC 7235 auth-params: name "=" (token / quoted-string), separated by commas
// with optional whitespace. Names are case-insensitive; unknown parameters
// are ignored (cavage-12 2.2) but still count against the limits and may not
// repeat. When `headers` is absent it defaults, as in cavage-12 2.1.6 and
// Mastodon, to "(created)" for hs2019 or no algorithm, and to "date" for
// the rsa-, hmac- and ecdsa- algorithms (whose signatures may not sign
// (created)).
CavageResult parse_signature_header(std::string_view value);

// Parses an Authorization header value "Signature <params>" (cavage-12 3.1).
CavageResult parse_authorization_header(std::string_view value);

// The Signature header value for a signature kith makes: keyId, algorithm
// (when set), headers, signature, and created/expires when set.
std::string serialize_signature_header(const CavageSignature& signature);

}  // namespace kith::ap
