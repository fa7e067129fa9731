// RSA signatures for HTTP Signatures: RSASSA-PKCS1-v1_5 with SHA-256 (what
// the fediverse calls rsa-sha256, and hs2019 with an RSA key) and RSASSA-PSS
// with SHA-512 (RFC 9421's rsa-pss-sha512), through OpenSSL's EVP interface.
//
// Keys come from other servers as PEM text and every inbound activity is
// checked against one. The one idea: a key is parsed and judged once (it
// must be RSA, at least kMinRsaKeyBits and at most kMaxRsaKeyBits) into an
// owning value, and signing and verifying are plain functions of it. Every
// OpenSSL object is owned by a std::unique_ptr with its free function, so no
// path leaks, and OpenSSL's error queue is cleared after a failure so that
// one bad key cannot confuse the next operation on the thread. Nothing here
// ever prompts for a passphrase: an encrypted private key is simply refused.
//
// Key size: kith refuses RSA keys under 2048 bits, as Mastodon (which makes
// 2048-bit keys and whose verifier accepts what OpenSSL accepts) is where
// nearly all keys come from; 1024-bit keys are factorable by a determined
// attacker. Keys over 8192 bits are refused too: verification cost grows with
// the key, and a hostile server chooses its key.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "kith/ap/base64.hpp"

struct evp_pkey_st;  // OpenSSL's EVP_PKEY

namespace kith::ap {

inline constexpr int kMinRsaKeyBits = 2048;
inline constexpr int kMaxRsaKeyBits = 8192;
inline constexpr std::size_t kMaxKeyPemBytes = 16 * 1024;

enum class RsaScheme {
  pkcs1_sha256,  // RSASSA-PKCS1-v1_5 with SHA-256: cavage rsa-sha256 and hs2019, RFC 9421
                 // rsa-v1_5-sha256
  pss_sha512,    // RSASSA-PSS, SHA-512, MGF1 with SHA-512, 64-byte salt: RFC 9421 rsa-pss-sha512
};

enum class RsaError {
  none,
  bad_key,        // not a PEM key OpenSSL can read (or encrypted)
  not_rsa,        // an EC, Ed25519... key
  key_too_small,  // under the minimum size
  key_too_large,  // over kMaxRsaKeyBits
  wrong_scheme,   // an RSA-PSS-only key asked for PKCS #1 v1.5
  bad_signature,  // the signature does not verify
  failed,         // OpenSSL failed otherwise
};

std::string_view describe(RsaError error);

struct EvpPkeyFree {
  void operator()(evp_pkey_st* key) const;
};
using EvpPkeyPtr = std::unique_ptr<evp_pkey_st, EvpPkeyFree>;

class RsaPublicKey {
 public:
  struct Parsed;
  // Reads "-----BEGIN PUBLIC KEY-----" (SubjectPublicKeyInfo, what ActivityPub
  // actors publish) or "-----BEGIN RSA PUBLIC KEY-----" (PKCS #1).
  // `min_bits` is lowered only by tests of old published vectors.
  static Parsed from_pem(std::string_view pem, int min_bits = kMinRsaKeyBits);

  int bits() const;
  RsaError verify(RsaScheme scheme, std::string_view data,
                  std::span<const std::uint8_t> signature) const;

 private:
  explicit RsaPublicKey(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

struct RsaPublicKey::Parsed {
  std::optional<RsaPublicKey> key;
  RsaError error = RsaError::none;
  explicit operator bool() const { return key.has_value(); }
};

class RsaPrivateKey {
 public:
  struct Parsed;
  // Reads an unencrypted PKCS #8 ("BEGIN PRIVATE KEY") or PKCS #1
  // ("BEGIN RSA PRIVATE KEY") key.
  static Parsed from_pem(std::string_view pem, int min_bits = kMinRsaKeyBits);

  int bits() const;
  // nullopt only if OpenSSL fails (or a PSS-only key is asked for PKCS #1).
  std::optional<Bytes> sign(RsaScheme scheme, std::string_view data) const;
  // "-----BEGIN PUBLIC KEY-----..." for the actor's publicKeyPem.
  std::string public_key_pem() const;

 private:
  explicit RsaPrivateKey(EvpPkeyPtr key) : key_(std::move(key)) {}
  EvpPkeyPtr key_;
};

struct RsaPrivateKey::Parsed {
  std::optional<RsaPrivateKey> key;
  RsaError error = RsaError::none;
  explicit operator bool() const { return key.has_value(); }
};

// One-shot forms of the above, for callers that hold PEM text.
RsaError verify_rsa_sha256(std::string_view public_key_pem, std::string_view data,
                           std::span<const std::uint8_t> signature);
std::optional<Bytes> sign_rsa_sha256(std::string_view private_key_pem, std::string_view data);

struct RsaKeyPair {
  std::string private_pem;  // PKCS #8
  std::string public_pem;   // SubjectPublicKeyInfo
};

// A new key pair (for a new actor). Throws std::runtime_error if OpenSSL
// cannot make one, which only happens without entropy or memory.
RsaKeyPair generate_rsa_key_pair(int bits = kMinRsaKeyBits);

}  // namespace kith::ap
