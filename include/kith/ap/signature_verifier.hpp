// Who signed an inbound request: the HTTP Signature of a POST to an inbox or
// of a signed GET, checked end to end and resolved to the signer's account.
//
// The building blocks exist apart (signature_header and message_signature
// parse, signature_policy judges strength, signing_string and
// build_signature_base rebuild what was signed, rsa verifies); this puts
// them in the one order that is safe: parse, then hold the signature to the
// policy (time window, (request-target), host, digest recomputed over the
// body) and rebuild the signed bytes -- all before any key is looked up, so
// that a weak or malformed signature costs kith no network request -- then
// find the key (database first, then its server, through RemoteActors), and
// verify. When verification fails with a key that was cached, the key is
// fetched once more (the actor may have rotated it) and tried again.
//
// A draft-cavage `Signature` header (or `Authorization: Signature ...`) and
// RFC 9421 `Signature-Input` + `Signature` are both read; with
// Signature-Input present the request is RFC 9421 (its first signature).
//
// What it must never do: fetch a key for a signature that fails the policy,
// accept a key that its owner does not publish (RemoteActors checks), or
// call a request signed when any step failed. Every failure is a typed
// value naming the step, for the 401 body and the log.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "kith/ap/fetcher.hpp"
#include "kith/ap/rsa.hpp"
#include "kith/db/remote_accounts.hpp"
#include "kith/http/message.hpp"

namespace kith::ap {

// After a verification failure the key is fetched again only if the
// cached copy is older than this: a stream of badly signed requests naming
// one key id must not become a stream of fetches from its server.
inline constexpr std::chrono::seconds kMinKeyRefreshInterval{60};

enum class VerifyFailure {
  none,
  unsigned_request,     // no Signature (nor Signature-Input, nor Authorization: Signature)
  malformed_signature,  // the header(s) do not parse
  policy,               // too weak: see the PolicyFailure in the reason
  signed_data,          // the signing string / signature base cannot be rebuilt
  key_unavailable,      // the key (or its actor) could not be fetched or checked
  actor_gone,           // the key's server says it is gone (404/410)
  bad_key,              // the published key is not a usable RSA key
  bad_signature,        // it does not verify, even with the key fetched again
};

// "bad_signature"...: the enumerator's name.
std::string_view describe(VerifyFailure failure);

// The parsed, policy-checked signature of a request and the exact bytes it
// must sign: everything that can be decided without the key.
struct PreparedSignature {
  std::string key_id;
  RsaScheme scheme = RsaScheme::pkcs1_sha256;
  std::string signed_data;  // the cavage signing string or the RFC 9421 signature base
  Bytes signature;
  bool rfc9421 = false;
  // RFC 9421 without alg: the scheme follows from the key (an RSA key is
  // rsa-v1_5-sha256, as Mastodon reads it).
  bool scheme_from_key = false;
};

struct PrepareResult {
  std::optional<PreparedSignature> signature;
  VerifyFailure failure = VerifyFailure::none;
  std::string reason;  // "policy: digest_mismatch"...: short, safe to send back
  explicit operator bool() const { return signature.has_value(); }
};

// Whether the request carries a signature at all (any of the three fields).
bool has_signature(const http::Request& request);

// Parses the request's signature, checks it against the policy for a
// request to `authority` (this server's host[:port], normalised) at `now`,
// and rebuilds the signed bytes. Pure: no key, no network.
PrepareResult prepare_signature(const http::Request& request, std::string_view authority,
                                std::chrono::system_clock::time_point now);

// Verifies a prepared signature with `public_key_pem`: none, bad_key or
// bad_signature.
VerifyFailure verify_prepared(const PreparedSignature& signature, std::string_view public_key_pem);

struct VerifyResult {
  std::optional<db::AccountRef> signer;  // the key's owner
  VerifyFailure failure = VerifyFailure::none;
  std::string reason;  // for the 401 body {"error": reason} and the log
  std::string key_id;  // as the signature named it ("" before parsing)
  explicit operator bool() const { return signer.has_value(); }
};

class SignatureVerifier {
 public:
  // `authority`: this server's host[:port] (normalised by the constructor).
  SignatureVerifier(RemoteActors& actors, std::string authority);

  // The signer of `request`, or why not. May fetch the key (twice at most).
  // Throws only what the database throws (core::ServiceUnavailable).
  boost::asio::awaitable<VerifyResult> verify(const http::Request& request);

  const std::string& authority() const { return authority_; }

 private:
  RemoteActors& actors_;
  std::string authority_;
};

}  // namespace kith::ap
