// Web Push crypto: the RFC 8291 appendix A example byte for byte (encrypt
// with its fixed sender key and salt, decrypt with its receiver key), round
// trips with fresh keys, the legacy aesgcm scheme, refusals (points off the
// curve, wrong auth secrets, oversized plaintexts, more than one record),
// base64url, and VAPID JWTs (ES256 signatures that verify, and do not
// once tampered with).
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "kith/ap/web_push_crypto.hpp"

using namespace kith::webpush;

namespace {

Bytes b64(std::string_view text) {
  auto bytes = base64url_decode(text);
  REQUIRE(bytes);
  return *bytes;
}

// RFC 8291 appendix A.
constexpr std::string_view kPlaintext = "When I grow up, I want to be a watermelon";
constexpr std::string_view kAsPrivate = "yfWPiYE-n46HLnH0KqZOF1fJJU3MYrct3AELtAQ-oRw";
constexpr std::string_view kAsPublic =
    "BP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6TlzAC8wEqKK6PBru3jl7A8";
constexpr std::string_view kUaPrivate = "q1dXpw3UpT5VOmu_cf_v6ih07Aems3njxI-JWgLcM94";
constexpr std::string_view kUaPublic =
    "BCVxsr7N_eNgVRqvHtD0zTZsEc6-VV-JvLexhqUzORcxaOzi6-AYWXvTBHm4bjyPjs7Vd8pZGH6SRpkNtoIAiw4";
constexpr std::string_view kSalt = "DGv6ra1nlYgDCS1FRnbzlw";
constexpr std::string_view kAuthSecret = "BTBZMqHH6r4Tts7J_aSIgg";
constexpr std::string_view kBody =
    "DGv6ra1nlYgDCS1FRnbzlwAAEABBBP4z9KsN6nGRTbVYI_c7VJSPQTBtkgcy27mlmlMoZIIgDll6e3vCYLocInmYWAmS6T"
    "lzAC8wEqKK6PBru3jl7A_yl95bQpu6cVPTpK4Mqgkf1CXztLVBSt2Ks3oZwbuwXPXLWyouBWLVWGNWQexSgSxsj_Qulcy4"
    "a-fN";

KeyPair sender() {
  return KeyPair{b64(kAsPrivate), b64(kAsPublic)};
}
KeyPair receiver() {
  return KeyPair{b64(kUaPrivate), b64(kUaPublic)};
}

}  // namespace

TEST_CASE("RFC 8291 appendix A: encrypting with its sender key and salt gives its body",
          "[web_push]") {
  auto body =
      encrypt_aes128gcm_with(kPlaintext, b64(kUaPublic), b64(kAuthSecret), sender(), b64(kSalt));
  REQUIRE(body);
  CHECK(body->size() == kHeaderBytes + kPlaintext.size() + 1 + kTagBytes);
  CHECK(base64url_encode(*body) == kBody);
}

TEST_CASE("RFC 8291 appendix A: the receiver decrypts its body", "[web_push]") {
  auto plaintext = decrypt_aes128gcm(b64(kBody), receiver(), b64(kAuthSecret));
  REQUIRE(plaintext);
  CHECK(*plaintext == kPlaintext);
  // Another auth secret, or one flipped byte, does not authenticate.
  Bytes other_auth = b64(kAuthSecret);
  other_auth[0] ^= 1;
  CHECK_FALSE(decrypt_aes128gcm(b64(kBody), receiver(), other_auth));
  Bytes tampered = b64(kBody);
  tampered.back() ^= 1;
  CHECK_FALSE(decrypt_aes128gcm(tampered, receiver(), b64(kAuthSecret)));
  // A header cut short.
  Bytes short_body = b64(kBody);
  short_body.resize(kHeaderBytes - 1);
  CHECK_FALSE(decrypt_aes128gcm(short_body, receiver(), b64(kAuthSecret)));
}

TEST_CASE("aes128gcm with fresh keys: each message differs and decrypts", "[web_push]") {
  const KeyPair ua = generate_key_pair();
  CHECK(ua.public_key.size() == kPublicKeyBytes);
  CHECK(ua.private_key.size() == kPrivateKeyBytes);
  CHECK(valid_public_key(ua.public_key));
  const Bytes auth = b64("AAECAwQFBgcICQoLDA0ODw");
  REQUIRE(auth.size() == kAuthSecretBytes);
  const std::string text = R"({"notification_id":"1","title":"hi"})";
  auto first = encrypt_aes128gcm(text, ua.public_key, auth);
  auto second = encrypt_aes128gcm(text, ua.public_key, auth);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first != *second);  // a fresh sender key and salt each time
  CHECK(Bytes(first->begin() + 16, first->begin() + 21) == Bytes{0x00, 0x00, 0x10, 0x00, 65});
  CHECK(decrypt_aes128gcm(*first, ua, auth) == text);
  CHECK(decrypt_aes128gcm(*second, ua, auth) == text);
}

TEST_CASE("aes128gcm: the plaintext fits one 4096-byte record", "[web_push]") {
  const KeyPair ua = generate_key_pair();
  const Bytes auth(kAuthSecretBytes, 7);
  const std::string largest(kMaxPlaintextBytes, 'x');
  auto body = encrypt_aes128gcm(largest, ua.public_key, auth);
  REQUIRE(body);
  CHECK(body->size() == kRecordSize);
  CHECK(decrypt_aes128gcm(*body, ua, auth) == largest);
  CHECK_FALSE(encrypt_aes128gcm(largest + "x", ua.public_key, auth));
  // Bad auth secrets and salts are refused.
  CHECK_FALSE(encrypt_aes128gcm("x", ua.public_key, Bytes(15, 1)));
  CHECK_FALSE(encrypt_aes128gcm_with("x", ua.public_key, auth, sender(), Bytes(15, 1)));
}

TEST_CASE("legacy aesgcm: round trip, and a wrong key does not decrypt", "[web_push]") {
  const KeyPair ua = generate_key_pair();
  const Bytes auth(kAuthSecretBytes, 3);
  auto message = encrypt_aesgcm("hello, legacy", ua.public_key, auth);
  REQUIRE(message);
  CHECK(message->salt.size() == kSaltBytes);
  CHECK(message->sender_public_key.size() == kPublicKeyBytes);
  CHECK(message->ciphertext.size() == 2 + 13 + kTagBytes);
  CHECK(decrypt_aesgcm(*message, ua, auth) == std::string("hello, legacy"));
  CHECK_FALSE(decrypt_aesgcm(*message, generate_key_pair(), auth));
  CHECK_FALSE(decrypt_aes128gcm(message->ciphertext, ua, auth));
  // Fixed inputs give a fixed output (no hidden randomness beyond key and salt).
  auto a = encrypt_aesgcm_with("x", b64(kUaPublic), b64(kAuthSecret), sender(), b64(kSalt));
  auto b = encrypt_aesgcm_with("x", b64(kUaPublic), b64(kAuthSecret), sender(), b64(kSalt));
  REQUIRE(a);
  REQUIRE(b);
  CHECK(a->ciphertext == b->ciphertext);
  CHECK(decrypt_aesgcm(*a, receiver(), b64(kAuthSecret)) == std::string("x"));
}

TEST_CASE("client public keys must be uncompressed points on P-256", "[web_push]") {
  CHECK(valid_public_key(b64(kUaPublic)));
  CHECK(valid_public_key(b64(kAsPublic)));
  Bytes off_curve = b64(kUaPublic);
  off_curve[40] ^= 1;
  CHECK_FALSE(valid_public_key(off_curve));
  const Bytes ua_public = b64(kUaPublic);
  Bytes compressed(ua_public.begin(), ua_public.begin() + 33);
  compressed[0] = 0x02;
  CHECK_FALSE(valid_public_key(compressed));
  CHECK_FALSE(valid_public_key(Bytes(65, 0)));
  Bytes infinity(65, 0);
  infinity[0] = 0x04;
  CHECK_FALSE(valid_public_key(infinity));
  CHECK_FALSE(valid_public_key(Bytes{}));
  CHECK_FALSE(encrypt_aes128gcm("x", off_curve, b64(kAuthSecret)));
}

TEST_CASE("base64url: either alphabet, optional padding, nothing else", "[web_push]") {
  CHECK(base64url_encode(std::string_view("\xfb\xff")) == "-_8");
  CHECK(base64url_decode("-_8") == Bytes{0xfb, 0xff});
  CHECK(base64url_decode("+/8=") == Bytes{0xfb, 0xff});
  CHECK(base64url_decode("") == Bytes{});
  CHECK_FALSE(base64url_decode("-_8 "));
  CHECK_FALSE(base64url_decode("A"));
  CHECK_FALSE(base64url_decode("AB=C"));
  CHECK_FALSE(base64url_decode("-_8=="));
  CHECK(base64url_encode(b64(kUaPublic)) == kUaPublic);
}

TEST_CASE("VAPID: an ES256 JWT with aud, exp and sub that verifies with the public key",
          "[web_push]") {
  const KeyPair key = generate_key_pair();
  auto jwt = vapid_jwt(key, "https://push.example.net", 1453523768, "mailto:admin@example.com");
  REQUIRE(jwt);
  CHECK(verify_es256_jwt(*jwt, key.public_key));
  const auto first_dot = jwt->find('.');
  const auto second_dot = jwt->find('.', first_dot + 1);
  auto header = base64url_decode(std::string_view(*jwt).substr(0, first_dot));
  auto claims =
      base64url_decode(std::string_view(*jwt).substr(first_dot + 1, second_dot - first_dot - 1));
  REQUIRE(header);
  REQUIRE(claims);
  const auto header_json = nlohmann::json::parse(header->begin(), header->end());
  const auto claims_json = nlohmann::json::parse(claims->begin(), claims->end());
  CHECK(header_json == nlohmann::json{{"typ", "JWT"}, {"alg", "ES256"}});
  CHECK(claims_json["aud"] == "https://push.example.net");
  CHECK(claims_json["exp"] == 1453523768);
  CHECK(claims_json["sub"] == "mailto:admin@example.com");
  // The signature is R || S (64 bytes), not DER.
  CHECK(base64url_decode(std::string_view(*jwt).substr(second_dot + 1))->size() == 64);
  // Another key, or changed claims, do not verify.
  CHECK_FALSE(verify_es256_jwt(*jwt, generate_key_pair().public_key));
  std::string tampered = *jwt;
  tampered[first_dot + 2] = tampered[first_dot + 2] == 'A' ? 'B' : 'A';
  CHECK_FALSE(verify_es256_jwt(tampered, key.public_key));
  CHECK_FALSE(verify_es256_jwt("no dots", key.public_key));
  // The RFC's fixed key signs too (a stored key pair is used the same way).
  auto fixed = vapid_jwt(sender(), "https://push.example.net", 1, "mailto:a@example.com");
  REQUIRE(fixed);
  CHECK(verify_es256_jwt(*fixed, b64(kAsPublic)));
}
