// SignatureVerifier (signature_verifier.hpp): parse, policy, signed bytes,
// key, RSA -- in that order. Compare Mastodon's SignatureVerification
// concern and SignedRequest, and GoToSocial's federation/authenticate.go.
#include "kith/ap/signature_verifier.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "kith/ap/acct.hpp"
#include "kith/ap/message_signature.hpp"
#include "kith/ap/request_parts.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signature_policy.hpp"
#include "kith/ap/signing_string.hpp"

namespace kith::ap {

std::string_view describe(VerifyFailure failure) {
  switch (failure) {
    case VerifyFailure::none:
      return "none";
    case VerifyFailure::unsigned_request:
      return "unsigned_request";
    case VerifyFailure::malformed_signature:
      return "malformed_signature";
    case VerifyFailure::policy:
      return "policy";
    case VerifyFailure::signed_data:
      return "signed_data";
    case VerifyFailure::key_unavailable:
      return "key_unavailable";
    case VerifyFailure::actor_gone:
      return "actor_gone";
    case VerifyFailure::bad_key:
      return "bad_key";
    case VerifyFailure::bad_signature:
      return "bad_signature";
  }
  return "unknown";
}

namespace {

// Every value of a field joined with ", " (RFC 9110 5.3), and how many lines.
std::pair<std::string, std::size_t> combined(const http::Request& request, std::string_view name) {
  std::string joined;
  std::size_t lines = 0;
  for (const http::Header& header : request.headers) {
    if (!http::iequals(header.name, name)) continue;
    if (lines++ > 0) joined += ", ";
    joined += header.value;
  }
  return {std::move(joined), lines};
}

PrepareResult fail(VerifyFailure failure, std::string reason) {
  PrepareResult result;
  result.failure = failure;
  result.reason = std::move(reason);
  return result;
}

PrepareResult prepare_cavage(const CavageResult& parsed, const RequestParts& parts,
                             std::string_view body, std::chrono::system_clock::time_point now) {
  if (!parsed)
    return fail(VerifyFailure::malformed_signature,
                fmt::format("malformed_signature: {}", describe(parsed.error)));
  const CavageSignature& signature = *parsed.signature;
  const PolicyResult policy = check_cavage_policy(signature, parts, body, now);
  if (!policy)
    return fail(VerifyFailure::policy, fmt::format("policy: {}", describe(policy.failure)));
  const std::optional<RsaScheme> scheme = cavage_rsa_scheme(signature.algorithm);
  if (!scheme) return fail(VerifyFailure::policy, "policy: unsupported_algorithm");
  SigningStringResult text = build_signing_string(signature, parts);
  if (!text)
    return fail(VerifyFailure::signed_data,
                fmt::format("signed_data: {} {}", describe(text.error), text.detail));
  PrepareResult result;
  result.signature.emplace();
  result.signature->key_id = signature.key_id;
  result.signature->scheme = *scheme;
  result.signature->signed_data = std::move(text.text);
  result.signature->signature = signature.signature;
  return result;
}

PrepareResult prepare_message_signature(const std::string& input, const std::string& value,
                                        const RequestParts& parts, std::string_view body,
                                        std::chrono::system_clock::time_point now) {
  MessageSignaturesResult parsed = parse_message_signatures(input, value);
  if (!parsed || parsed.signatures.empty())
    return fail(VerifyFailure::malformed_signature,
                fmt::format("malformed_signature: {}", describe(parsed.error)));
  // The first signature is the sender's (Mastodon reads the first too); a
  // proxy's added signature would come later.
  const MessageSignature& signature = parsed.signatures.front();
  const PolicyResult policy = check_message_signature_policy(signature, parts, body, now);
  if (!policy)
    return fail(VerifyFailure::policy, fmt::format("policy: {}", describe(policy.failure)));
  const std::optional<RsaScheme> scheme = message_signature_rsa_scheme(signature.alg);
  if (!scheme || !signature.keyid)
    return fail(VerifyFailure::policy, "policy: unsupported_algorithm");
  SignatureBaseResult base = build_signature_base(signature, parts);
  if (!base)
    return fail(VerifyFailure::signed_data,
                fmt::format("signed_data: {} {}", describe(base.error), base.detail));
  PrepareResult result;
  result.signature.emplace();
  result.signature->key_id = *signature.keyid;
  result.signature->scheme = *scheme;
  result.signature->signed_data = std::move(base.base);
  result.signature->signature = signature.signature;
  result.signature->rfc9421 = true;
  result.signature->scheme_from_key = !signature.alg.has_value();
  return result;
}

}  // namespace

bool has_signature(const http::Request& request) {
  if (request.header("Signature") || request.header("Signature-Input")) return true;
  const auto authorization = request.header("Authorization");
  return authorization && authorization->size() >= 10 &&
         http::iequals(authorization->substr(0, 10), "Signature ");
}

PrepareResult prepare_signature(const http::Request& request, std::string_view authority,
                                std::chrono::system_clock::time_point now) {
  const RequestParts parts{request.method, request.target, "https", authority,
                           header_lookup(request.headers)};
  auto [input, input_lines] = combined(request, "Signature-Input");
  auto [value, value_lines] = combined(request, "Signature");
  if (input_lines > 0) {
    if (value_lines == 0)
      return fail(VerifyFailure::malformed_signature, "malformed_signature: no Signature field");
    return prepare_message_signature(input, value, parts, request.body, now);
  }
  if (value_lines > 1)
    return fail(VerifyFailure::malformed_signature, "malformed_signature: more than one Signature");
  if (value_lines == 1)
    return prepare_cavage(parse_signature_header(value), parts, request.body, now);
  if (const auto authorization = request.header("Authorization");
      authorization && has_signature(request))
    return prepare_cavage(parse_authorization_header(*authorization), parts, request.body, now);
  return fail(VerifyFailure::unsigned_request, "unsigned_request: no signature");
}

VerifyFailure verify_prepared(const PreparedSignature& signature, std::string_view public_key_pem) {
  RsaPublicKey::Parsed key = RsaPublicKey::from_pem(public_key_pem);
  if (!key) return VerifyFailure::bad_key;
  const RsaError error =
      key.key->verify(signature.scheme, signature.signed_data, signature.signature);
  if (error == RsaError::none) return VerifyFailure::none;
  if (error == RsaError::wrong_scheme) return VerifyFailure::bad_key;
  return VerifyFailure::bad_signature;
}

SignatureVerifier::SignatureVerifier(RemoteActors& actors, std::string authority)
    : actors_(actors) {
  AuthorityResult normal = normalize_authority(authority);
  authority_ = normal ? normal.authority : authority;
}

boost::asio::awaitable<VerifyResult> SignatureVerifier::verify(const http::Request& request) {
  VerifyResult result;
  PrepareResult prepared = prepare_signature(request, authority_, std::chrono::system_clock::now());
  if (!prepared) {
    result.failure = prepared.failure;
    result.reason = std::move(prepared.reason);
    co_return result;
  }
  const PreparedSignature& signature = *prepared.signature;
  result.key_id = signature.key_id;

  RemoteActors::KeyLookup lookup = co_await actors_.lookup_key(signature.key_id);
  if (!lookup.account) {
    result.failure = lookup.failure == FetchFailure::gone ? VerifyFailure::actor_gone
                                                          : VerifyFailure::key_unavailable;
    result.reason = fmt::format("{}: {}", describe(result.failure), describe(lookup.failure));
    spdlog::info("signature by {}: key not had: {}", signature.key_id, lookup.detail);
    co_return result;
  }
  VerifyFailure failure = verify_prepared(signature, lookup.account->public_key_pem);
  if (failure != VerifyFailure::none && !lookup.account->local()) {
    // The actor may have a new key. Fetch once more, unless the copy in
    // hand is itself brand new.
    const auto fetched = last_fetched(*lookup.account);
    if (!fetched || std::chrono::system_clock::now() - *fetched >= kMinKeyRefreshInterval) {
      RemoteActors::KeyLookup again =
          co_await actors_.lookup_key(signature.key_id, Refresh::always);
      if (again.account && again.account->public_key_pem != lookup.account->public_key_pem) {
        failure = verify_prepared(signature, again.account->public_key_pem);
        lookup = std::move(again);
      } else if (!again.account && again.failure == FetchFailure::gone) {
        failure = VerifyFailure::actor_gone;
      }
    }
  }
  if (failure != VerifyFailure::none) {
    result.failure = failure;
    result.reason = std::string(describe(failure));
    co_return result;
  }
  result.signer = std::move(lookup.account);
  co_return result;
}

}  // namespace kith::ap
