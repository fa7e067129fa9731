// When a correctly signed request is also a *strongly* signed one: the rules
// an inbound HTTP signature must meet before kith acts on it, whatever the
// cryptography says.
//
// A valid signature proves only that the key holder signed *some* string.
// Misskey (CVE-2023-49079) checked signatures that did not cover the body,
// so any signed request could carry any activity. The one idea: before the
// key is even fetched, the parsed signature is held to Mastodon's strength
// rules, which the fediverse already meets, made stricter where Mastodon is
// lenient: the signature must bind the request's method and target, the host
// it was sent to, a time inside the window, and, on a request with a body, a
// digest that kith recomputes from the body it received. Each failure is a
// typed value naming the rule, for the 401 body and the log. It never looks
// at keys or verifies signatures: that is rsa.
//
// The time window is Mastodon's (app/lib/signed_request.rb):
//   EXPIRATION_WINDOW_LIMIT = 12.hours, CLOCK_SKEW_MARGIN = 1.hour,
//   expires_time ||= created_time + 5.minutes,
//   refused if created_time > now + CLOCK_SKEW_MARGIN,
//   refused if now > min(expires_time, created_time + 12 hours) + CLOCK_SKEW_MARGIN.
// So a signature without `expires` is accepted from one hour before its
// creation time (the signer's clock running fast) until 65 minutes after it.
// Unlike Mastodon, kith honours a cavage `expires`
// parameter only when (expires) is signed: an unsigned one could be added by
// anyone replaying the request, to stretch the window to 13 hours.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "kith/ap/message_signature.hpp"
#include "kith/ap/request_parts.hpp"
#include "kith/ap/rsa.hpp"
#include "kith/ap/signature_header.hpp"

namespace kith::ap {

inline constexpr std::chrono::seconds kClockSkewMargin{60 * 60};          // CLOCK_SKEW_MARGIN
inline constexpr std::chrono::seconds kDefaultSignatureLifetime{5 * 60};  // created + 5.minutes
inline constexpr std::chrono::seconds kMaxSignatureLifetime{12 * 60 *
                                                            60};  // EXPIRATION_WINDOW_LIMIT

enum class PolicyFailure {
  none,
  unsupported_algorithm,  // not rsa-sha256/hs2019 (cavage), rsa-v1_5-sha256/rsa-pss-sha512 (9421)
  key_id_missing,         // RFC 9421 signature without keyid
  request_target_not_signed,  // cavage (request-target); 9421 @target-uri or @authority with
                              // @path/@query
  method_not_signed,          // RFC 9421 @method
  host_not_signed,            // cavage host
  host_mismatch,              // the signed Host is not this server
  time_not_signed,            // neither date nor (created) (cavage)
  date_missing,
  date_malformed,
  created_missing,      // (created) signed, or RFC 9421, without a created parameter
  created_not_allowed,  // (created)/(expires) signed with an rsa- algorithm (cavage-12 2.3)
  expires_missing,      // (expires) signed without an expires parameter
  signed_in_future,     // more than kClockSkewMargin ahead
  expired,              // past its expiry plus kClockSkewMargin
  digest_not_signed,    // a request with a body whose digest is not signed
  digest_missing,       // digest signed but the header absent
  digest_malformed,
  digest_unsupported,  // no SHA-256 or SHA-512 digest
  digest_mismatch,     // the digest is not that of the body received
};

std::string_view describe(PolicyFailure failure);

struct PolicyResult {
  PolicyFailure failure = PolicyFailure::none;
  std::string detail;  // e.g. the Date value, for the log
  explicit operator bool() const { return failure == PolicyFailure::none; }
};

// The RSA scheme a cavage `algorithm` stands for: "rsa-sha256", and "hs2019"
// or none with an RSA key (as everywhere in the fediverse), are PKCS #1 v1.5
// with SHA-256. nullopt for anything else.
std::optional<RsaScheme> cavage_rsa_scheme(std::string_view algorithm);

// The RSA scheme of an RFC 9421 signature: "rsa-v1_5-sha256",
// "rsa-pss-sha512", and no alg at all means what the key says; for an
// ordinary RSA key that is rsa-v1_5-sha256, as Mastodon does. nullopt for
// other algorithms.
std::optional<RsaScheme> message_signature_rsa_scheme(const std::optional<std::string>& alg);

// Mastodon's strength rules for a draft-cavage signature, made stricter as
// described above. `request.authority` (this server's host[:port]) is what
// the signed Host must name; `body` is the body received.
PolicyResult check_cavage_policy(const CavageSignature& signature, const RequestParts& request,
                                 std::string_view body, std::chrono::system_clock::time_point now);

// The same for RFC 9421 (Mastodon's HttpMessageSignature rules): keyid and
// created required; @method and the target (@target-uri, or @authority or a
// signed Host with @request-target or @path and @query) signed; on a request
// with a body, Content-Digest signed and recomputed.
PolicyResult check_message_signature_policy(const MessageSignature& signature,
                                            const RequestParts& request, std::string_view body,
                                            std::chrono::system_clock::time_point now);

// RFC 9110 5.6.7 HTTP-date: IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT"),
// and the obsolete rfc850-date and asctime-date forms recipients must accept.
std::optional<std::chrono::sys_seconds> parse_http_date(std::string_view text);
// IMF-fixdate, for the Date header of requests kith signs.
std::string format_http_date(std::chrono::sys_seconds time);

}  // namespace kith::ap
