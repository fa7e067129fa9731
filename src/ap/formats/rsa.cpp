// RSA keys, signing and verification with OpenSSL 3's EVP and decoder APIs.
// RFC 8017 8.1 (RSASSA-PSS) and 8.2 (RSASSA-PKCS1-v1_5); RFC 9421 3.3.1 and
// 3.3.2 for the parameters.
#include "kith/ap/rsa.hpp"

#include <openssl/bio.h>
#include <openssl/decoder.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <climits>
#include <stdexcept>

namespace kith::ap {

namespace {

struct BioFree {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct MdCtxFree {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct DecoderCtxFree {
  void operator()(OSSL_DECODER_CTX* ctx) const { OSSL_DECODER_CTX_free(ctx); }
};
using BioPtr = std::unique_ptr<BIO, BioFree>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxFree>;
using DecoderCtxPtr = std::unique_ptr<OSSL_DECODER_CTX, DecoderCtxFree>;

// OpenSSL keeps a per-thread queue of errors; a failure leaves entries that
// a later, unrelated call could misreport. Every public function clears it
// on the way out.
struct ClearErrorsOnExit {
  ~ClearErrorsOnExit() { ERR_clear_error(); }
};

// Refuses any passphrase request: keys from the network or the database are
// never encrypted, and OpenSSL's default would prompt on the terminal.
int no_passphrase(char*, int, int, void*) {
  return -1;
}

BioPtr memory_bio(std::string_view pem) {
  if (pem.size() > kMaxKeyPemBytes || pem.size() > INT_MAX) return nullptr;
  return BioPtr(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
}

RsaError judge(EVP_PKEY* key, int min_bits) {
  const int type = EVP_PKEY_get_base_id(key);
  if (type != EVP_PKEY_RSA && type != EVP_PKEY_RSA_PSS) return RsaError::not_rsa;
  const int bits = EVP_PKEY_get_bits(key);
  if (bits < min_bits) return RsaError::key_too_small;
  if (bits > kMaxRsaKeyBits) return RsaError::key_too_large;
  return RsaError::none;
}

// Sets the padding of a signing or verifying context for `scheme`.
RsaError configure(EVP_PKEY_CTX* pctx, RsaScheme scheme) {
  if (scheme == RsaScheme::pkcs1_sha256) {
    // A key whose type is RSASSA-PSS cannot make PKCS #1 v1.5 signatures.
    if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) return RsaError::wrong_scheme;
    return RsaError::none;
  }
  // RFC 9421 3.3.1: "The mask generation function is MGF1 ... with a hash
  // function of SHA-512. The salt length (sLen) is 64 bytes."
  if (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
      EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 64) != 1 ||
      EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha512()) != 1)
    return RsaError::failed;
  return RsaError::none;
}

const EVP_MD* digest_of(RsaScheme scheme) {
  return scheme == RsaScheme::pkcs1_sha256 ? EVP_sha256() : EVP_sha512();
}

std::string bio_text(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return size > 0 ? std::string(data, static_cast<std::size_t>(size)) : std::string();
}

}  // namespace

void EvpPkeyFree::operator()(evp_pkey_st* key) const {
  EVP_PKEY_free(key);
}

std::string_view describe(RsaError error) {
  switch (error) {
    case RsaError::none:
      return "no error";
    case RsaError::bad_key:
      return "not a readable PEM key";
    case RsaError::not_rsa:
      return "not an RSA key";
    case RsaError::key_too_small:
      return "RSA key too small";
    case RsaError::key_too_large:
      return "RSA key too large";
    case RsaError::wrong_scheme:
      return "the key cannot be used with this signature scheme";
    case RsaError::bad_signature:
      return "signature does not verify";
    case RsaError::failed:
      return "RSA operation failed";
  }
  return "unknown RSA error";
}

RsaPublicKey::Parsed RsaPublicKey::from_pem(std::string_view pem, int min_bits) {
  ClearErrorsOnExit clear;
  Parsed result;
  result.error = RsaError::bad_key;
  BioPtr bio = memory_bio(pem);
  if (!bio) return result;
  EVP_PKEY* raw = nullptr;
  // The decoder reads SubjectPublicKeyInfo and PKCS #1 RSAPublicKey alike.
  DecoderCtxPtr decoder(OSSL_DECODER_CTX_new_for_pkey(&raw, "PEM", nullptr, nullptr,
                                                      EVP_PKEY_PUBLIC_KEY, nullptr, nullptr));
  if (!decoder || OSSL_DECODER_CTX_set_pem_password_cb(decoder.get(), no_passphrase, nullptr) != 1)
    return result;
  const int ok = OSSL_DECODER_from_bio(decoder.get(), bio.get());
  EvpPkeyPtr key(raw);
  if (ok != 1 || !key) return result;
  result.error = judge(key.get(), min_bits);
  if (result.error == RsaError::none) result.key = RsaPublicKey(std::move(key));
  return result;
}

int RsaPublicKey::bits() const {
  return EVP_PKEY_get_bits(key_.get());
}

RsaError RsaPublicKey::verify(RsaScheme scheme, std::string_view data,
                              std::span<const std::uint8_t> signature) const {
  ClearErrorsOnExit clear;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return RsaError::failed;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestVerifyInit(ctx.get(), &pctx, digest_of(scheme), nullptr, key_.get()) != 1)
    return RsaError::failed;
  if (const RsaError error = configure(pctx, scheme); error != RsaError::none) return error;
  const int rc = EVP_DigestVerify(ctx.get(), signature.data(), signature.size(),
                                  reinterpret_cast<const unsigned char*>(data.data()), data.size());
  return rc == 1 ? RsaError::none : RsaError::bad_signature;
}

RsaPrivateKey::Parsed RsaPrivateKey::from_pem(std::string_view pem, int min_bits) {
  ClearErrorsOnExit clear;
  Parsed result;
  result.error = RsaError::bad_key;
  BioPtr bio = memory_bio(pem);
  if (!bio) return result;
  EvpPkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, no_passphrase, nullptr));
  if (!key) return result;
  result.error = judge(key.get(), min_bits);
  if (result.error == RsaError::none) result.key = RsaPrivateKey(std::move(key));
  return result;
}

int RsaPrivateKey::bits() const {
  return EVP_PKEY_get_bits(key_.get());
}

std::optional<Bytes> RsaPrivateKey::sign(RsaScheme scheme, std::string_view data) const {
  ClearErrorsOnExit clear;
  MdCtxPtr ctx(EVP_MD_CTX_new());
  if (!ctx) return std::nullopt;
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  if (EVP_DigestSignInit(ctx.get(), &pctx, digest_of(scheme), nullptr, key_.get()) != 1)
    return std::nullopt;
  if (configure(pctx, scheme) != RsaError::none) return std::nullopt;
  const auto* bytes = reinterpret_cast<const unsigned char*>(data.data());
  std::size_t length = 0;
  if (EVP_DigestSign(ctx.get(), nullptr, &length, bytes, data.size()) != 1) return std::nullopt;
  Bytes signature(length);
  if (EVP_DigestSign(ctx.get(), signature.data(), &length, bytes, data.size()) != 1)
    return std::nullopt;
  signature.resize(length);
  return signature;
}

std::string RsaPrivateKey::public_key_pem() const {
  ClearErrorsOnExit clear;
  BioPtr bio(BIO_new(BIO_s_mem()));
  if (!bio || PEM_write_bio_PUBKEY(bio.get(), key_.get()) != 1)
    throw std::runtime_error("cannot write a public key");
  return bio_text(bio.get());
}

RsaError verify_rsa_sha256(std::string_view public_key_pem, std::string_view data,
                           std::span<const std::uint8_t> signature) {
  auto parsed = RsaPublicKey::from_pem(public_key_pem);
  if (!parsed) return parsed.error;
  return parsed.key->verify(RsaScheme::pkcs1_sha256, data, signature);
}

std::optional<Bytes> sign_rsa_sha256(std::string_view private_key_pem, std::string_view data) {
  auto parsed = RsaPrivateKey::from_pem(private_key_pem);
  if (!parsed) return std::nullopt;
  return parsed.key->sign(RsaScheme::pkcs1_sha256, data);
}

RsaKeyPair generate_rsa_key_pair(int bits) {
  ClearErrorsOnExit clear;
  if (bits < kMinRsaKeyBits || bits > kMaxRsaKeyBits)
    throw std::invalid_argument("RSA key size out of range");
  EvpPkeyPtr key(EVP_RSA_gen(static_cast<unsigned int>(bits)));
  if (!key) throw std::runtime_error("RSA key generation failed");
  BioPtr private_bio(BIO_new(BIO_s_mem()));
  BioPtr public_bio(BIO_new(BIO_s_mem()));
  if (!private_bio || !public_bio ||
      PEM_write_bio_PrivateKey(private_bio.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_bio.get(), key.get()) != 1)
    throw std::runtime_error("cannot write a new RSA key");
  return {bio_text(private_bio.get()), bio_text(public_bio.get())};
}

}  // namespace kith::ap
