// The signing string of draft-cavage-http-signatures-12 (section 2.3): the
// bytes an RSA signature in a `Signature` header actually covers.
//
// Signer and verifier must build the same bytes from the same request, or
// every signature fails; and a verifier that builds them from anything but
// the request in hand lets a signature made for one request vouch for
// another. The one idea: one function, used for signing and for verifying,
// that takes each line from the request through RequestParts. It must never
// guess: a listed header that is absent, or a value that could smuggle in a
// line of its own, is an error, not an empty or trimmed line. It does not
// judge which headers ought to be signed; that is signature_policy.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "kith/ap/request_parts.hpp"
#include "kith/ap/signature_header.hpp"

namespace kith::ap {

inline constexpr std::size_t kMaxSigningStringBytes = 64 * 1024;

enum class SigningStringError {
  none,
  missing_header,         // a listed header is not in the request
  bad_header_value,       // a value with CR, LF or NUL
  unknown_pseudo_header,  // "(something)" other than the three defined
  created_not_allowed,    // (created)/(expires) with an rsa-, hmac- or ecdsa- algorithm
  missing_created,        // (created) listed without a created parameter
  missing_expires,
  too_long,  // over kMaxSigningStringBytes
};

std::string_view describe(SigningStringError error);

struct SigningStringResult {
  std::string text;
  SigningStringError error = SigningStringError::none;
  std::string detail;  // the header at fault
  explicit operator bool() const { return error == SigningStringError::none; }
};

// The signing string for `signature.headers` over `request`:
//   (request-target): <lowercased method> <target>
//   (created): <created parameter>
//   (expires): <expires parameter>
//   <name>: <values, each without surrounding whitespace, joined with ", ">
// lines joined with "\n", no final newline. `request.target` is used as
// given (path and query).
SigningStringResult build_signing_string(const CavageSignature& signature,
                                         const RequestParts& request);

}  // namespace kith::ap
