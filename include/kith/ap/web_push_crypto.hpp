// Web Push message encryption and VAPID: what turns a notification into the
// bytes a push service (Mozilla autopush, Google FCM, Apple, a UnifiedPush
// distributor) forwards to a phone without being able to read them.
//
// The one idea: these are pure functions of bytes, through OpenSSL 3's EVP
// interface, so each can be checked against the RFCs' own examples. A
// message is encrypted for the subscription's public key (p256dh) and auth
// secret with a fresh P-256 key and a fresh salt each time:
//   RFC 8291 (Message Encryption for Web Push) derives the key: ECDH, then
//     HKDF-SHA256 with the auth secret and "WebPush: info" || 0x00 ||
//     ua_public || as_public;
//   RFC 8188 (aes128gcm) frames it: a header (salt, record size 4096, the
//     sender's public key) and ONE record, plaintext || 0x02, AES-128-GCM.
// Subscriptions made with `standard: false` (clients written for Mastodon
// before 4.4) get the older draft scheme Mastodon still sends them, "aesgcm"
// (draft-ietf-webpush-encryption-04 over draft-ietf-httpbis-encryption-
// encoding-03): the salt and the sender's key travel in the Encryption and
// Crypto-Key headers and the record starts with a two-byte padding length.
// RFC 8292 (VAPID) proves to the push service which server sends: a JWT
// signed with ES256 by the instance's key pair, whose public half the client
// passed to the push service when it subscribed.
// The internal functions that take the sender's key and salt exist for the
// RFC 8291 appendix A test vector; production code never chooses them.
//
// What it must never do: reuse a sender key or a salt, accept a client key
// that is not a point on P-256, produce a record larger than the record
// size, or leak OpenSSL errors into an unrelated later call.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace kith::webpush {

using Bytes = std::vector<std::uint8_t>;

inline constexpr std::size_t kPublicKeyBytes = 65;   // uncompressed point: 0x04 || X || Y
inline constexpr std::size_t kPrivateKeyBytes = 32;  // the scalar
inline constexpr std::size_t kAuthSecretBytes = 16;  // RFC 8291 3.2
inline constexpr std::size_t kSaltBytes = 16;        // RFC 8188 2.1
inline constexpr std::uint32_t kRecordSize = 4096;   // RFC 8291 4: one record
inline constexpr std::size_t kTagBytes = 16;
// salt (16) + rs (4) + idlen (1) + keyid (65): RFC 8291 4.
inline constexpr std::size_t kHeaderBytes = 86;
// RFC 8291 4: a push service need not take more than 4096 bytes of body;
// without the 86-byte header, the 16-byte tag and the 1-byte delimiter that
// leaves 3993 bytes of plaintext.
inline constexpr std::size_t kMaxPlaintextBytes = 3993;
// A key or secret as base64 text, from the network: longer is refused before
// decoding.
inline constexpr std::size_t kMaxKeyTextBytes = 256;

// RFC 4648 5 without padding.
std::string base64url_encode(std::span<const std::uint8_t> bytes);
std::string base64url_encode(std::string_view bytes);
// The URL-safe alphabet or the standard one (clients send either), padding
// optional; nullopt for anything else (whitespace too), or a length of 4n+1,
// or input over kMaxKeyTextBytes * 64.
std::optional<Bytes> base64url_decode(std::string_view text);

// A P-256 key pair as raw bytes.
struct KeyPair {
  Bytes private_key;  // kPrivateKeyBytes
  Bytes public_key;   // kPublicKeyBytes, uncompressed
};

// A fresh key pair. Throws std::runtime_error if OpenSSL cannot make one.
KeyPair generate_key_pair();

// Whether `key` is an uncompressed P-256 point on the curve (not the point
// at infinity): what subscription[keys][p256dh] must be.
bool valid_public_key(std::span<const std::uint8_t> key);

// RFC 8291 + RFC 8188: the whole request body (header and one record) for
// `plaintext` (at most kMaxPlaintextBytes) to the user agent `ua_public` with
// `auth_secret`. nullopt if the plaintext is too long, a key is unusable, or
// OpenSSL fails.
std::optional<Bytes> encrypt_aes128gcm(std::string_view plaintext,
                                       std::span<const std::uint8_t> ua_public,
                                       std::span<const std::uint8_t> auth_secret);
// The same with the sender's key pair and the salt given (test vectors only).
std::optional<Bytes> encrypt_aes128gcm_with(std::string_view plaintext,
                                            std::span<const std::uint8_t> ua_public,
                                            std::span<const std::uint8_t> auth_secret,
                                            const KeyPair& sender,
                                            std::span<const std::uint8_t> salt);
// The receiving side (tests, and the unit test of the vector): the plaintext,
// or nullopt if the body is malformed, has more than one record, or does not
// authenticate.
std::optional<std::string> decrypt_aes128gcm(std::span<const std::uint8_t> body,
                                             const KeyPair& receiver,
                                             std::span<const std::uint8_t> auth_secret);

// The legacy "aesgcm" scheme: the ciphertext, and what goes into the
// Encryption (salt=) and Crypto-Key (dh=) headers.
struct LegacyMessage {
  Bytes ciphertext;
  Bytes salt;
  Bytes sender_public_key;
};
std::optional<LegacyMessage> encrypt_aesgcm(std::string_view plaintext,
                                            std::span<const std::uint8_t> ua_public,
                                            std::span<const std::uint8_t> auth_secret);
std::optional<LegacyMessage> encrypt_aesgcm_with(std::string_view plaintext,
                                                 std::span<const std::uint8_t> ua_public,
                                                 std::span<const std::uint8_t> auth_secret,
                                                 const KeyPair& sender,
                                                 std::span<const std::uint8_t> salt);
std::optional<std::string> decrypt_aesgcm(const LegacyMessage& message, const KeyPair& receiver,
                                          std::span<const std::uint8_t> auth_secret);

// RFC 8292 2: a JWT {"typ":"JWT","alg":"ES256"}.{"aud":..,"exp":..,"sub":..}
// signed by `key`. `audience` is the push resource's origin, `expires_at`
// Unix seconds (at most 24 hours ahead), `subject` a mailto: or https: URI.
// nullopt if signing fails.
std::optional<std::string> vapid_jwt(const KeyPair& key, std::string_view audience,
                                     std::int64_t expires_at, std::string_view subject);
// Whether `jwt` carries a valid ES256 signature by `public_key` (the claims
// are the caller's to check).
bool verify_es256_jwt(std::string_view jwt, std::span<const std::uint8_t> public_key);

}  // namespace kith::webpush
