// libFuzzer target: the header parsers of HTTP Signatures. One input is fed
// to each of them: the draft-cavage Signature and Authorization headers, RFC
// 8941 dictionaries, RFC 9421 Signature-Input + Signature (the input split
// at its first newline), Digest and Content-Digest, base64 and HTTP dates;
// parsed signatures then go through the signing-string and signature-base
// builders and the strength policy against a fixed request.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks round trips
// (what kith serialises parses back to the same value: cavage headers, RFC
// 8941 dictionaries, base64, HTTP dates) and that a built signing string or
// signature base has exactly one line per signed component, so no value can
// smuggle in a line of its own.
#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>
#include <vector>

#include "kith/ap/base64.hpp"
#include "kith/ap/digest.hpp"
#include "kith/ap/message_signature.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signature_policy.hpp"
#include "kith/ap/signing_string.hpp"
#include "kith/ap/structured_field.hpp"

namespace {

using namespace kith::ap;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

// A request whose header values are taken from the input, so that the
// builders see hostile values too.
struct FuzzRequest {
  std::vector<kith::http::Header> headers;
  explicit FuzzRequest(std::string_view input) {
    const std::string value(input.substr(0, 64));
    headers = {{"Host", "localhost:8443"},
               {"Date", "Tue, 14 Nov 2023 22:13:20 GMT"},
               {"Digest", digest_header_sha256(input)},
               {"Content-Digest", content_digest_sha256(input)},
               {"Cache-Control", "max-age=60"},
               {"Cache-Control", " must-revalidate "},
               {"X-Input", value}};
  }
  RequestParts parts() const {
    return RequestParts{"POST", "/users/alice/inbox?page=1&x=%20", "https", "localhost:8443",
                        header_lookup(headers)};
  }
};

const std::chrono::system_clock::time_point kNow{std::chrono::seconds(1'700'000'000)};

std::size_t lines(std::string_view text) {
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n')) + 1;
}

void check_cavage(std::string_view input, const CavageResult& parsed, const FuzzRequest& request) {
  require(parsed.signature.has_value() == (parsed.error == CavageError::none), "value or error");
  if (!parsed) return;
  const CavageSignature& signature = *parsed.signature;
  require(!signature.key_id.empty() && signature.key_id.size() <= kMaxKeyIdBytes, "keyId bounded");
  require(!signature.headers.empty() && signature.headers.size() <= kMaxSignedHeaders,
          "headers bounded");
  require(!signature.signature.empty() && signature.signature.size() <= kMaxSignatureBytes,
          "signature bounded");

  // Serialising and parsing again gives the same signature (with the
  // headers list now explicit).
  // (A header near the size limit can outgrow it: the default headers
  // list is written out, and token values gain quotes.)
  CavageSignature explicit_headers = signature;
  explicit_headers.headers_given = true;
  const std::string serialized = serialize_signature_header(signature);
  if (serialized.size() <= kMaxSignatureHeaderBytes) {
    const auto again = parse_signature_header(serialized);
    require(again.signature.has_value(), "a serialised header parses");
    require(*again.signature == explicit_headers, "serialise/parse round trip");
  }

  const auto text = build_signing_string(signature, request.parts());
  if (text) {
    require(lines(text.text) == signature.headers.size(), "one line per signed header");
    require(text.text.find('\r') == std::string::npos, "no CR in the signing string");
  } else {
    require(text.text.empty(), "no text on error");
  }
  (void)check_cavage_policy(signature, request.parts(), input, kNow);
}

void check_dictionary(std::string_view input) {
  const auto parsed = sf::parse_dictionary(input);
  if (!parsed) return;
  const std::string text = sf::serialize(*parsed.dictionary);
  const auto again = sf::parse_dictionary(text);
  require(again.dictionary.has_value(), "a serialised dictionary parses");
  require(*again.dictionary == *parsed.dictionary, "dictionary round trip");
  require(sf::serialize(*again.dictionary) == text, "serialisation is a fixed point");
}

void check_message_signatures(std::string_view input, const FuzzRequest& request) {
  const auto newline = input.find('\n');
  const std::string_view signature_input = input.substr(0, newline);
  const std::string_view signature =
      newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const auto parsed = parse_message_signatures(signature_input, signature);
  if (!parsed) {
    require(parsed.signatures.empty(), "no signatures on error");
    return;
  }
  require(parsed.signatures.size() <= kMaxMessageSignatures, "signature count bounded");
  for (const auto& one : parsed.signatures) {
    require(one.input.items.size() <= kMaxCoveredComponents, "component count bounded");
    const auto base = build_signature_base(one, request.parts());
    if (base) {
      require(lines(base.base) == one.input.items.size() + 1, "one line per component");
      require(base.base.ends_with("\"@signature-params\": " + one.signature_params()),
              "signature params last");
      require(std::all_of(base.base.begin(), base.base.end(),
                          [](char c) { return static_cast<unsigned char>(c) < 0x80; }),
              "the base is ASCII");
    }
    (void)check_message_signature_policy(one, request.parts(), input, kNow);
    (void)message_signature_rsa_scheme(one.alg);
  }
}

void check_digests(std::string_view input) {
  const auto digest = parse_digest_header(input);
  require(digest.entries.has_value() == (digest.error == DigestError::none), "value or error");
  if (digest) require(digest.entries->size() <= kMaxDigestEntries, "digest count bounded");
  (void)check_digest_header(input, input);
  const auto content = parse_content_digest(input);
  if (content) require(content.entries->size() <= kMaxDigestEntries, "digest count bounded");
  (void)check_content_digest(input, input);
}

void check_base64(std::string_view input) {
  for (auto padding : {Base64Padding::required, Base64Padding::optional}) {
    const auto decoded = base64_decode(input, padding);
    if (!decoded) continue;
    const auto again = base64_decode(base64_encode(*decoded));
    require(again.has_value() && *again == *decoded, "base64 round trip");
  }
}

void check_date(std::string_view input) {
  const auto date = parse_http_date(input);
  if (!date) return;
  require(parse_http_date(format_http_date(*date)) == date, "HTTP date round trip");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const FuzzRequest request(input);
    check_cavage(input, parse_signature_header(input), request);
    check_cavage(input, parse_authorization_header(input), request);
    check_dictionary(input);
    check_message_signatures(input, request);
    check_digests(input);
    check_base64(input);
    check_date(input);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
