// Digest (RFC 3230) and Content-Digest (RFC 9530) parsing, SHA-2 with
// OpenSSL, and the comparison against a received body.
#include "kith/ap/digest.hpp"
#include "kith/http/message.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>

#include <stdexcept>

#include "kith/ap/structured_field.hpp"

namespace kith::ap {

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

// Digest length for the algorithms kith checks, 0 for the others.
std::size_t known_length(std::string_view algorithm) {
  if (algorithm == "sha-256") return 32;
  if (algorithm == "sha-512") return 64;
  return 0;
}

Bytes digest_with(const EVP_MD* md, std::string_view data) {
  Bytes out(static_cast<std::size_t>(EVP_MD_get_size(md)));
  unsigned int length = 0;
  if (EVP_Digest(data.data(), data.size(), out.data(), &length, md, nullptr) != 1)
    throw std::runtime_error("EVP_Digest failed");
  out.resize(length);
  return out;
}

DigestCheck compare(const DigestListResult& parsed, std::string_view body) {
  if (!parsed) return DigestCheck::malformed;
  bool any = false;
  for (const auto& entry : *parsed.entries) {
    if (entry.algorithm == "sha-256") {
      if (!constant_time_equal(entry.digest, sha256(body))) return DigestCheck::mismatch;
      any = true;
    } else if (entry.algorithm == "sha-512") {
      if (!constant_time_equal(entry.digest, sha512(body))) return DigestCheck::mismatch;
      any = true;
    }
  }
  return any ? DigestCheck::match : DigestCheck::unsupported;
}

}  // namespace

std::string_view describe(DigestError error) {
  switch (error) {
    case DigestError::none:
      return "no error";
    case DigestError::too_long:
      return "digest header too long";
    case DigestError::syntax:
      return "digest header is not a list of algorithm=value";
    case DigestError::duplicate_algorithm:
      return "digest header repeats an algorithm";
    case DigestError::too_many:
      return "digest header has too many digests";
    case DigestError::bad_value:
      return "digest value is not base64 of a digest of the right size";
  }
  return "unknown digest error";
}

std::string_view describe(DigestCheck check) {
  switch (check) {
    case DigestCheck::match:
      return "digest matches the body";
    case DigestCheck::mismatch:
      return "digest does not match the body";
    case DigestCheck::malformed:
      return "digest header is malformed";
    case DigestCheck::unsupported:
      return "digest header has no SHA-256 or SHA-512 digest";
  }
  return "unknown digest result";
}

DigestListResult parse_digest_header(std::string_view value) {
  DigestListResult result;
  auto fail = [&](DigestError error) {
    result.entries.reset();
    result.error = error;
    return result;
  };
  if (value.size() > kMaxDigestHeaderBytes) return fail(DigestError::too_long);
  std::vector<DigestEntry> entries;
  std::size_t i = 0;
  auto skip_ows = [&] {
    while (i < value.size() && is_ows(value[i])) ++i;
  };
  skip_ows();
  while (true) {
    // digest-algorithm = token
    const std::size_t name_start = i;
    while (i < value.size() && http::is_token_char(value[i])) ++i;
    if (i == name_start || i == value.size() || value[i] != '=') return fail(DigestError::syntax);
    DigestEntry entry{lower(value.substr(name_start, i - name_start)), {}};
    ++i;
    // <encoded digest output>: up to the next comma, without whitespace.
    const std::size_t value_start = i;
    while (i < value.size() && value[i] != ',' && !is_ows(value[i])) {
      const auto byte = static_cast<unsigned char>(value[i]);
      if (byte <= 0x20 || byte >= 0x7F) return fail(DigestError::syntax);
      ++i;
    }
    const std::string_view encoded = value.substr(value_start, i - value_start);
    if (encoded.empty()) return fail(DigestError::syntax);
    if (const std::size_t length = known_length(entry.algorithm); length > 0) {
      auto bytes = base64_decode(encoded, Base64Padding::required);
      if (!bytes || bytes->size() != length) return fail(DigestError::bad_value);
      entry.digest = std::move(*bytes);
    }
    for (const auto& seen : entries)
      if (seen.algorithm == entry.algorithm) return fail(DigestError::duplicate_algorithm);
    if (entries.size() == kMaxDigestEntries) return fail(DigestError::too_many);
    entries.push_back(std::move(entry));
    skip_ows();
    if (i == value.size()) break;
    if (value[i] != ',') return fail(DigestError::syntax);
    ++i;
    skip_ows();
  }
  result.entries = std::move(entries);
  return result;
}

DigestListResult parse_content_digest(std::string_view value) {
  DigestListResult result;
  auto fail = [&](DigestError error) {
    result.entries.reset();
    result.error = error;
    return result;
  };
  if (value.size() > kMaxDigestHeaderBytes) return fail(DigestError::too_long);
  sf::Limits limits;
  limits.max_bytes = kMaxDigestHeaderBytes;
  limits.max_members = kMaxDigestEntries;
  const auto parsed = sf::parse_dictionary(value, limits);
  if (!parsed) {
    if (parsed.error == sf::Error::duplicate_key) return fail(DigestError::duplicate_algorithm);
    if (parsed.error == sf::Error::too_many) return fail(DigestError::too_many);
    return fail(DigestError::syntax);
  }
  std::vector<DigestEntry> entries;
  for (const auto& member : *parsed.dictionary) {
    // RFC 9530 2: "Each member value MUST be a Byte Sequence".
    const auto* item = std::get_if<sf::Item>(&member.value);
    const auto* bytes = item ? std::get_if<Bytes>(&item->value) : nullptr;
    if (!bytes) return fail(DigestError::syntax);
    DigestEntry entry{member.key, {}};
    if (const std::size_t length = known_length(entry.algorithm); length > 0) {
      if (bytes->size() != length) return fail(DigestError::bad_value);
      entry.digest = *bytes;
    }
    entries.push_back(std::move(entry));
  }
  result.entries = std::move(entries);
  return result;
}

Bytes sha256(std::string_view data) {
  return digest_with(EVP_sha256(), data);
}
Bytes sha512(std::string_view data) {
  return digest_with(EVP_sha512(), data);
}

std::string digest_header_sha256(std::string_view body) {
  return "SHA-256=" + base64_encode(sha256(body));
}

std::string content_digest_sha256(std::string_view body) {
  return "sha-256=:" + base64_encode(sha256(body)) + ":";
}

bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b) {
  if (a.size() != b.size()) return false;
  return a.empty() || CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

DigestCheck check_digest_header(std::string_view value, std::string_view body) {
  return compare(parse_digest_header(value), body);
}

DigestCheck check_content_digest(std::string_view value, std::string_view body) {
  return compare(parse_content_digest(value), body);
}

}  // namespace kith::ap
