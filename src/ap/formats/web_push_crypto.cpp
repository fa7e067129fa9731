// Web Push encryption (RFC 8291 over RFC 8188, and the older "aesgcm"
// draft) and VAPID signatures (RFC 8292), with OpenSSL 3's EVP interface.
// Every OpenSSL object is owned by a std::unique_ptr; the error queue is
// cleared on the way out of each public function.
#include "kith/ap/web_push_crypto.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/rand.h>

#include <array>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace kith::webpush {
namespace {

struct PkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct BnFree {
  void operator()(BIGNUM* p) const { BN_clear_free(p); }
};
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* p) const { EVP_CIPHER_CTX_free(p); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct EcdsaSigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyFree>;
using PkeyCtxPtr = std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree>;
using ParamBldPtr = std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree>;
using ParamPtr = std::unique_ptr<OSSL_PARAM, ParamFree>;
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
using CipherCtxPtr = std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigFree>;

using ByteSpan = std::span<const std::uint8_t>;

constexpr std::size_t kKeyBytes = 16;    // AES-128
constexpr std::size_t kNonceBytes = 12;  // RFC 8188 2.3
constexpr char kCurveName[] = "prime256v1";

struct ClearErrorsOnExit {
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

void append(Bytes& out, ByteSpan bytes) {
  out.insert(out.end(), bytes.begin(), bytes.end());
}
void append(Bytes& out, std::string_view text) {
  out.insert(out.end(), text.begin(), text.end());
}

// An EC key on P-256 from its public point and, when given, its scalar.
// nullptr if the point is not on the curve or the scalar does not fit.
PkeyPtr p256_key(ByteSpan public_key, const Bytes* private_key) {
  if (public_key.size() != kPublicKeyBytes || public_key[0] != 0x04) return nullptr;
  ParamBldPtr builder(OSSL_PARAM_BLD_new());
  if (!builder) return nullptr;
  BnPtr scalar;
  if (private_key) {
    if (private_key->size() != kPrivateKeyBytes) return nullptr;
    scalar.reset(BN_bin2bn(private_key->data(), static_cast<int>(private_key->size()), nullptr));
    if (!scalar) return nullptr;
  }
  if (OSSL_PARAM_BLD_push_utf8_string(builder.get(), OSSL_PKEY_PARAM_GROUP_NAME, kCurveName, 0) !=
          1 ||
      OSSL_PARAM_BLD_push_octet_string(builder.get(), OSSL_PKEY_PARAM_PUB_KEY, public_key.data(),
                                       public_key.size()) != 1 ||
      (scalar &&
       OSSL_PARAM_BLD_push_BN(builder.get(), OSSL_PKEY_PARAM_PRIV_KEY, scalar.get()) != 1))
    return nullptr;
  ParamPtr params(OSSL_PARAM_BLD_to_param(builder.get()));
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_name(nullptr, "EC", nullptr));
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1) return nullptr;
  EVP_PKEY* raw = nullptr;
  if (EVP_PKEY_fromdata(ctx.get(), &raw, scalar ? EVP_PKEY_KEYPAIR : EVP_PKEY_PUBLIC_KEY,
                        params.get()) != 1)
    return nullptr;
  PkeyPtr key(raw);
  // The point must be on the curve (and not the point at infinity).
  PkeyCtxPtr check(EVP_PKEY_CTX_new_from_pkey(nullptr, key.get(), nullptr));
  if (!check || EVP_PKEY_public_check(check.get()) != 1) return nullptr;
  return key;
}

std::optional<Bytes> ecdh(EVP_PKEY* own, EVP_PKEY* peer) {
  PkeyCtxPtr ctx(EVP_PKEY_CTX_new_from_pkey(nullptr, own, nullptr));
  std::size_t length = 0;
  if (!ctx || EVP_PKEY_derive_init(ctx.get()) != 1 ||
      EVP_PKEY_derive_set_peer(ctx.get(), peer) != 1 ||
      EVP_PKEY_derive(ctx.get(), nullptr, &length) != 1)
    return std::nullopt;
  Bytes secret(length);
  if (EVP_PKEY_derive(ctx.get(), secret.data(), &length) != 1) return std::nullopt;
  secret.resize(length);
  return secret;
}

std::optional<Bytes> hmac_sha256(ByteSpan key, ByteSpan data) {
  Bytes out(32);
  unsigned int length = 0;
  if (!HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), data.data(), data.size(),
            out.data(), &length) ||
      length != 32)
    return std::nullopt;
  return out;
}

// RFC 5869: HKDF-Extract is HMAC(salt, IKM); HKDF-Expand for at most one
// hash length is HMAC(PRK, info || 0x01), truncated.
std::optional<Bytes> hkdf_extract(ByteSpan salt, ByteSpan ikm) {
  return hmac_sha256(salt, ikm);
}
std::optional<Bytes> hkdf_expand(ByteSpan prk, ByteSpan info, std::size_t length) {
  Bytes input(info.begin(), info.end());
  input.push_back(0x01);
  auto out = hmac_sha256(prk, input);
  if (!out || length > out->size()) return std::nullopt;
  out->resize(length);
  return out;
}

// AES-128-GCM: ciphertext || tag.
std::optional<Bytes> aes_gcm_encrypt(ByteSpan key, ByteSpan nonce, ByteSpan plaintext) {
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1)
    return std::nullopt;
  Bytes out(plaintext.size() + kTagBytes);
  int length = 0, final_length = 0;
  if (EVP_EncryptUpdate(ctx.get(), out.data(), &length, plaintext.data(),
                        static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + length, &final_length) != 1 ||
      static_cast<std::size_t>(length + final_length) != plaintext.size() ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, static_cast<int>(kTagBytes),
                          out.data() + plaintext.size()) != 1)
    return std::nullopt;
  return out;
}

std::optional<Bytes> aes_gcm_decrypt(ByteSpan key, ByteSpan nonce, ByteSpan sealed) {
  if (sealed.size() < kTagBytes) return std::nullopt;
  const std::size_t text_size = sealed.size() - kTagBytes;
  CipherCtxPtr ctx(EVP_CIPHER_CTX_new());
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_128_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, static_cast<int>(nonce.size()),
                          nullptr) != 1 ||
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), nonce.data()) != 1)
    return std::nullopt;
  Bytes out(text_size + 1);
  int length = 0, final_length = 0;
  Bytes tag(sealed.begin() + static_cast<std::ptrdiff_t>(text_size), sealed.end());
  if (EVP_DecryptUpdate(ctx.get(), out.data(), &length, sealed.data(),
                        static_cast<int>(text_size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, static_cast<int>(kTagBytes),
                          tag.data()) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), out.data() + length, &final_length) != 1)
    return std::nullopt;
  out.resize(static_cast<std::size_t>(length + final_length));
  return out;
}

std::optional<Bytes> random_bytes(std::size_t n) {
  Bytes out(n);
  if (RAND_bytes(out.data(), static_cast<int>(n)) != 1) return std::nullopt;
  return out;
}

std::optional<KeyPair> fresh_key_pair() {
  try {
    return generate_key_pair();
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

struct ContentKeys {
  Bytes key;
  Bytes nonce;
};

// RFC 8291 3.3 and 3.4, then RFC 8188 2.2 and 2.3.
std::optional<ContentKeys> aes128gcm_keys(ByteSpan ecdh_secret, ByteSpan auth_secret,
                                          ByteSpan ua_public, ByteSpan as_public, ByteSpan salt) {
  // PRK_key = HKDF-Extract(salt=auth_secret, IKM=ecdh_secret)
  // key_info = "WebPush: info" || 0x00 || ua_public || as_public
  // IKM = HKDF-Expand(PRK_key, key_info, L_key=32)
  Bytes key_info;
  append(key_info, std::string_view("WebPush: info"));
  key_info.push_back(0x00);
  append(key_info, ua_public);
  append(key_info, as_public);
  auto prk_key = hkdf_extract(auth_secret, ecdh_secret);
  if (!prk_key) return std::nullopt;
  auto ikm = hkdf_expand(*prk_key, key_info, 32);
  if (!ikm) return std::nullopt;
  // PRK = HKDF-Extract(salt, IKM); CEK and NONCE from "Content-Encoding:
  // aes128gcm" || 0x00 and "Content-Encoding: nonce" || 0x00.
  auto prk = hkdf_extract(salt, *ikm);
  if (!prk) return std::nullopt;
  Bytes cek_info, nonce_info;
  append(cek_info, std::string_view("Content-Encoding: aes128gcm"));
  cek_info.push_back(0x00);
  append(nonce_info, std::string_view("Content-Encoding: nonce"));
  nonce_info.push_back(0x00);
  auto key = hkdf_expand(*prk, cek_info, kKeyBytes);
  auto nonce = hkdf_expand(*prk, nonce_info, kNonceBytes);
  if (!key || !nonce) return std::nullopt;
  return ContentKeys{std::move(*key), std::move(*nonce)};
}

// draft-ietf-webpush-encryption-04 3.3 and draft-ietf-httpbis-encryption-
// encoding-03 2.2, 2.3 and 4.2: the "auth" step, then keys bound to a
// context of both public keys.
std::optional<ContentKeys> aesgcm_keys(ByteSpan ecdh_secret, ByteSpan auth_secret,
                                       ByteSpan ua_public, ByteSpan as_public, ByteSpan salt) {
  Bytes auth_info;
  append(auth_info, std::string_view("Content-Encoding: auth"));
  auth_info.push_back(0x00);
  auto prk_combine = hkdf_extract(auth_secret, ecdh_secret);
  if (!prk_combine) return std::nullopt;
  auto ikm = hkdf_expand(*prk_combine, auth_info, 32);
  if (!ikm) return std::nullopt;
  // context = "P-256" || 0x00 || len(ua) || ua_public || len(as) || as_public
  Bytes context;
  append(context, std::string_view("P-256"));
  context.push_back(0x00);
  context.push_back(0x00);
  context.push_back(static_cast<std::uint8_t>(ua_public.size()));
  append(context, ua_public);
  context.push_back(0x00);
  context.push_back(static_cast<std::uint8_t>(as_public.size()));
  append(context, as_public);
  auto prk = hkdf_extract(salt, *ikm);
  if (!prk) return std::nullopt;
  Bytes cek_info, nonce_info;
  append(cek_info, std::string_view("Content-Encoding: aesgcm"));
  cek_info.push_back(0x00);
  append(cek_info, context);
  append(nonce_info, std::string_view("Content-Encoding: nonce"));
  nonce_info.push_back(0x00);
  append(nonce_info, context);
  auto key = hkdf_expand(*prk, cek_info, kKeyBytes);
  auto nonce = hkdf_expand(*prk, nonce_info, kNonceBytes);
  if (!key || !nonce) return std::nullopt;
  return ContentKeys{std::move(*key), std::move(*nonce)};
}

// The shared secret of `own` (a key pair) and `peer` (a public key).
std::optional<Bytes> shared_secret(const KeyPair& own, ByteSpan peer_public) {
  PkeyPtr own_key = p256_key(own.public_key, &own.private_key);
  PkeyPtr peer_key = p256_key(peer_public, nullptr);
  if (!own_key || !peer_key) return std::nullopt;
  return ecdh(own_key.get(), peer_key.get());
}

bool usable_inputs(std::string_view plaintext, ByteSpan auth_secret, ByteSpan salt) {
  return plaintext.size() <= kMaxPlaintextBytes && auth_secret.size() == kAuthSecretBytes &&
         salt.size() == kSaltBytes;
}

}  // namespace

std::string base64url_encode(std::span<const std::uint8_t> bytes) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
    out += kAlphabet[n & 63];
  }
  if (bytes.size() - i == 1) {
    const std::uint32_t n = bytes[i] << 16;
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
  } else if (bytes.size() - i == 2) {
    const std::uint32_t n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += kAlphabet[(n >> 18) & 63];
    out += kAlphabet[(n >> 12) & 63];
    out += kAlphabet[(n >> 6) & 63];
  }
  return out;
}

std::string base64url_encode(std::string_view bytes) {
  return base64url_encode(std::span<const std::uint8_t>(
      reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
}

std::optional<Bytes> base64url_decode(std::string_view text) {
  if (text.size() > kMaxKeyTextBytes * 64) return std::nullopt;
  // Padding is optional, but if present it must complete the last quantum.
  std::size_t end = text.size();
  std::size_t pads = 0;
  while (end > 0 && text[end - 1] == '=' && pads < 2) {
    --end;
    ++pads;
  }
  if (pads > 0 && text.size() % 4 != 0) return std::nullopt;
  if (end % 4 == 1) return std::nullopt;
  Bytes out;
  out.reserve(end * 3 / 4);
  std::uint32_t accumulator = 0;
  int bits = 0;
  for (std::size_t i = 0; i < end; ++i) {
    const char c = text[i];
    int value;
    if (c >= 'A' && c <= 'Z')
      value = c - 'A';
    else if (c >= 'a' && c <= 'z')
      value = c - 'a' + 26;
    else if (c >= '0' && c <= '9')
      value = c - '0' + 52;
    else if (c == '-' || c == '+')
      value = 62;
    else if (c == '_' || c == '/')
      value = 63;
    else
      return std::nullopt;
    accumulator = (accumulator << 6) | static_cast<std::uint32_t>(value);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((accumulator >> bits) & 0xff));
    }
  }
  return out;
}

KeyPair generate_key_pair() {
  ClearErrorsOnExit clear;
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (!key) throw std::runtime_error("web push: cannot make a P-256 key");
  KeyPair pair;
  BIGNUM* raw_scalar = nullptr;
  if (EVP_PKEY_get_bn_param(key.get(), OSSL_PKEY_PARAM_PRIV_KEY, &raw_scalar) != 1)
    throw std::runtime_error("web push: cannot read the private key");
  BnPtr scalar(raw_scalar);
  pair.private_key.resize(kPrivateKeyBytes);
  if (BN_bn2binpad(scalar.get(), pair.private_key.data(), kPrivateKeyBytes) !=
      static_cast<int>(kPrivateKeyBytes))
    throw std::runtime_error("web push: cannot write the private key");
  pair.public_key.resize(kPublicKeyBytes);
  std::size_t length = 0;
  if (EVP_PKEY_get_octet_string_param(key.get(), OSSL_PKEY_PARAM_PUB_KEY, pair.public_key.data(),
                                      pair.public_key.size(), &length) != 1 ||
      length != kPublicKeyBytes || pair.public_key[0] != 0x04)
    throw std::runtime_error("web push: cannot write the public key");
  return pair;
}

bool valid_public_key(std::span<const std::uint8_t> key) {
  ClearErrorsOnExit clear;
  return p256_key(key, nullptr) != nullptr;
}

std::optional<Bytes> encrypt_aes128gcm_with(std::string_view plaintext, ByteSpan ua_public,
                                            ByteSpan auth_secret, const KeyPair& sender,
                                            ByteSpan salt) {
  ClearErrorsOnExit clear;
  if (!usable_inputs(plaintext, auth_secret, salt)) return std::nullopt;
  auto secret = shared_secret(sender, ua_public);
  if (!secret) return std::nullopt;
  auto keys = aes128gcm_keys(*secret, auth_secret, ua_public, sender.public_key, salt);
  if (!keys) return std::nullopt;
  // RFC 8188 2: the last (and only) record ends with the delimiter 0x02.
  Bytes record;
  append(record, plaintext);
  record.push_back(0x02);
  auto sealed = aes_gcm_encrypt(keys->key, keys->nonce, record);
  if (!sealed) return std::nullopt;
  // header: salt (16) | rs (uint32, network order) | idlen (1) | keyid
  Bytes body;
  body.reserve(kHeaderBytes + sealed->size());
  append(body, salt);
  body.push_back(static_cast<std::uint8_t>(kRecordSize >> 24));
  body.push_back(static_cast<std::uint8_t>(kRecordSize >> 16));
  body.push_back(static_cast<std::uint8_t>(kRecordSize >> 8));
  body.push_back(static_cast<std::uint8_t>(kRecordSize));
  body.push_back(static_cast<std::uint8_t>(sender.public_key.size()));
  append(body, sender.public_key);
  append(body, *sealed);
  return body;
}

std::optional<Bytes> encrypt_aes128gcm(std::string_view plaintext, ByteSpan ua_public,
                                       ByteSpan auth_secret) {
  auto sender = fresh_key_pair();
  auto salt = random_bytes(kSaltBytes);
  if (!sender || !salt) return std::nullopt;
  return encrypt_aes128gcm_with(plaintext, ua_public, auth_secret, *sender, *salt);
}

std::optional<std::string> decrypt_aes128gcm(ByteSpan body, const KeyPair& receiver,
                                             ByteSpan auth_secret) {
  ClearErrorsOnExit clear;
  if (body.size() < kHeaderBytes || auth_secret.size() != kAuthSecretBytes) return std::nullopt;
  const ByteSpan salt = body.subspan(0, kSaltBytes);
  const std::uint32_t record_size =
      (std::uint32_t{body[16]} << 24) | (body[17] << 16) | (body[18] << 8) | body[19];
  const std::size_t id_length = body[20];
  if (id_length != kPublicKeyBytes || body.size() < 21 + id_length) return std::nullopt;
  const ByteSpan as_public = body.subspan(21, id_length);
  const ByteSpan sealed = body.subspan(21 + id_length);
  // One record only: it must fit the record size.
  if (sealed.size() < kTagBytes + 1 || sealed.size() > record_size) return std::nullopt;
  auto secret = shared_secret(receiver, as_public);
  if (!secret) return std::nullopt;
  auto keys = aes128gcm_keys(*secret, auth_secret, receiver.public_key, as_public, salt);
  if (!keys) return std::nullopt;
  auto record = aes_gcm_decrypt(keys->key, keys->nonce, sealed);
  if (!record) return std::nullopt;
  // Padding is zeros after the delimiter; the last record's is 0x02.
  while (!record->empty() && record->back() == 0x00) record->pop_back();
  if (record->empty() || record->back() != 0x02) return std::nullopt;
  record->pop_back();
  return std::string(record->begin(), record->end());
}

std::optional<LegacyMessage> encrypt_aesgcm_with(std::string_view plaintext, ByteSpan ua_public,
                                                 ByteSpan auth_secret, const KeyPair& sender,
                                                 ByteSpan salt) {
  ClearErrorsOnExit clear;
  if (!usable_inputs(plaintext, auth_secret, salt)) return std::nullopt;
  auto secret = shared_secret(sender, ua_public);
  if (!secret) return std::nullopt;
  auto keys = aesgcm_keys(*secret, auth_secret, ua_public, sender.public_key, salt);
  if (!keys) return std::nullopt;
  // The record starts with the length of the padding (two bytes): none.
  Bytes record{0x00, 0x00};
  append(record, plaintext);
  auto sealed = aes_gcm_encrypt(keys->key, keys->nonce, record);
  if (!sealed) return std::nullopt;
  return LegacyMessage{std::move(*sealed), Bytes(salt.begin(), salt.end()), sender.public_key};
}

std::optional<LegacyMessage> encrypt_aesgcm(std::string_view plaintext, ByteSpan ua_public,
                                            ByteSpan auth_secret) {
  auto sender = fresh_key_pair();
  auto salt = random_bytes(kSaltBytes);
  if (!sender || !salt) return std::nullopt;
  return encrypt_aesgcm_with(plaintext, ua_public, auth_secret, *sender, *salt);
}

std::optional<std::string> decrypt_aesgcm(const LegacyMessage& message, const KeyPair& receiver,
                                          ByteSpan auth_secret) {
  ClearErrorsOnExit clear;
  if (message.salt.size() != kSaltBytes || auth_secret.size() != kAuthSecretBytes)
    return std::nullopt;
  auto secret = shared_secret(receiver, message.sender_public_key);
  if (!secret) return std::nullopt;
  auto keys = aesgcm_keys(*secret, auth_secret, receiver.public_key, message.sender_public_key,
                          message.salt);
  if (!keys) return std::nullopt;
  auto record = aes_gcm_decrypt(keys->key, keys->nonce, message.ciphertext);
  if (!record || record->size() < 2) return std::nullopt;
  const std::size_t padding = (std::size_t{(*record)[0]} << 8) | (*record)[1];
  if (record->size() < 2 + padding) return std::nullopt;
  return std::string(record->begin() + 2 + static_cast<std::ptrdiff_t>(padding), record->end());
}

std::optional<std::string> vapid_jwt(const KeyPair& key, std::string_view audience,
                                     std::int64_t expires_at, std::string_view subject) {
  ClearErrorsOnExit clear;
  PkeyPtr pkey = p256_key(key.public_key, &key.private_key);
  if (!pkey) return std::nullopt;
  const nlohmann::json header = {{"typ", "JWT"}, {"alg", "ES256"}};
  const nlohmann::json claims = {
      {"aud", std::string(audience)}, {"exp", expires_at}, {"sub", std::string(subject)}};
  const std::string input = base64url_encode(header.dump()) + "." + base64url_encode(claims.dump());
  MdCtxPtr ctx(EVP_MD_CTX_new());
  std::size_t length = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) != 1 ||
      EVP_DigestSign(ctx.get(), nullptr, &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return std::nullopt;
  Bytes der(length);
  if (EVP_DigestSign(ctx.get(), der.data(), &length,
                     reinterpret_cast<const unsigned char*>(input.data()), input.size()) != 1)
    return std::nullopt;
  // JWS (RFC 7518 3.4) wants R || S, 32 bytes each, not DER.
  const unsigned char* cursor = der.data();
  EcdsaSigPtr signature(d2i_ECDSA_SIG(nullptr, &cursor, static_cast<long>(length)));
  if (!signature) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(signature.get(), &r, &s);
  Bytes raw(64);
  if (BN_bn2binpad(r, raw.data(), 32) != 32 || BN_bn2binpad(s, raw.data() + 32, 32) != 32)
    return std::nullopt;
  return input + "." + base64url_encode(raw);
}

bool verify_es256_jwt(std::string_view jwt, std::span<const std::uint8_t> public_key) {
  ClearErrorsOnExit clear;
  const auto last_dot = jwt.rfind('.');
  if (last_dot == std::string_view::npos) return false;
  const std::string_view input = jwt.substr(0, last_dot);
  if (input.find('.') == std::string_view::npos) return false;
  auto raw = base64url_decode(jwt.substr(last_dot + 1));
  if (!raw || raw->size() != 64) return false;
  PkeyPtr pkey = p256_key(public_key, nullptr);
  if (!pkey) return false;
  EcdsaSigPtr signature(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(raw->data(), 32, nullptr);
  BIGNUM* s = BN_bin2bn(raw->data() + 32, 32, nullptr);
  if (!signature || !r || !s || ECDSA_SIG_set0(signature.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    return false;
  }
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(signature.get(), &der);
  if (der_length <= 0) return false;
  const std::unique_ptr<unsigned char, void (*)(unsigned char*)> der_owner(
      der, [](unsigned char* p) { OPENSSL_free(p); });
  MdCtxPtr ctx(EVP_MD_CTX_new());
  return ctx && EVP_DigestVerifyInit(ctx.get(), nullptr, EVP_sha256(), nullptr, pkey.get()) == 1 &&
         EVP_DigestVerify(ctx.get(), der, static_cast<std::size_t>(der_length),
                          reinterpret_cast<const unsigned char*>(input.data()), input.size()) == 1;
}

}  // namespace kith::webpush
