// HTTP Message Signatures (RFC 9421): the `Signature-Input` and `Signature`
// fields, and the signature base that a signature covers.
//
// RFC 9421 is the standard successor of the cavage draft; Mastodon 4.5 and
// Fedify already verify it and some servers send it. The one idea: both
// fields are parsed as RFC 8941 Dictionaries (structured_field.hpp) into one
// MessageSignature per label, and the signature base is rebuilt from the
// request through RequestParts and from the *re-serialised* covered
// components, as RFC 9421 3.2 step 7 prescribes, so that nothing from the
// received bytes is signed without having been parsed. It supports what a
// request needs: the derived components @method, @target-uri, @authority,
// @scheme, @request-target, @path, @query and @query-param, and header
// fields; component parameters other than `name` (sf, key, bs, req, tr) are
// refused. It never decides which components are required or whether the
// time is right; that is signature_policy.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/ap/base64.hpp"
#include "kith/ap/request_parts.hpp"
#include "kith/ap/structured_field.hpp"

namespace kith::ap {

inline constexpr std::size_t kMaxSignatureInputBytes = 8 * 1024;
inline constexpr std::size_t kMaxSignatureFieldBytes = 8 * 1024;
inline constexpr std::size_t kMaxMessageSignatures = 8;   // labels in one message
inline constexpr std::size_t kMaxCoveredComponents = 32;  // per signature
inline constexpr std::size_t kMaxSignatureBaseBytes = 64 * 1024;

struct MessageSignature {
  std::string label;
  // The covered components (Strings, with their parameters) and the
  // signature parameters, exactly as parsed from Signature-Input.
  sf::InnerList input;
  std::optional<std::int64_t> created;
  std::optional<std::int64_t> expires;
  std::optional<std::string> keyid;
  std::optional<std::string> alg;
  std::optional<std::string> nonce;
  std::optional<std::string> tag;
  Bytes signature;

  // The @signature-params value: the serialisation of `input`.
  std::string signature_params() const;
  // True when a component with this name (and no parameters) is covered.
  bool covers(std::string_view name) const;
};

enum class MessageSignatureError {
  none,
  too_long,
  malformed_signature_input,  // not a Dictionary of Inner Lists of Strings
  malformed_signature,        // not a Dictionary of Byte Sequences
  labels_differ,              // a label in one field and not the other
  too_many_signatures,
  too_many_components,
  bad_component,  // empty name, upper case, or @signature-params listed
  duplicate_component,
  bad_parameter,  // created/expires not Integers, keyid/alg/nonce/tag not Strings
};

std::string_view describe(MessageSignatureError error);

struct MessageSignaturesResult {
  std::vector<MessageSignature> signatures;
  MessageSignatureError error = MessageSignatureError::none;
  std::string detail;  // the label or component at fault
  explicit operator bool() const { return error == MessageSignatureError::none; }
};

// Parses the two field values (each with several field lines combined by
// ", "). Every label must appear in both (RFC 9421 4: "The presence of a
// label in one field but not in the other is an error").
MessageSignaturesResult parse_message_signatures(std::string_view signature_input,
                                                 std::string_view signature);

enum class SignatureBaseError {
  none,
  missing_header,         // a covered field is not in the request
  missing_query_param,    // @query-param names a parameter absent (or repeated) in the query
  unsupported_component,  // an unknown derived component, or @status in a request
  unsupported_parameter,  // a component parameter other than name on @query-param
  bad_value,              // a value with a newline or non-ASCII byte
  too_long,
};

std::string_view describe(SignatureBaseError error);

struct SignatureBaseResult {
  std::string base;
  SignatureBaseError error = SignatureBaseError::none;
  std::string detail;  // the component at fault
  explicit operator bool() const { return error == SignatureBaseError::none; }
};

// RFC 9421 2.5: one line per covered component,
//   "<component identifier>": <component value>
// and last the line "@signature-params": <serialised Signature-Input member>.
SignatureBaseResult build_signature_base(const MessageSignature& signature,
                                         const RequestParts& request);

// The Signature-Input member value for a signature kith makes over
// `components` (plain names) with created, keyid and alg. Returned as an
// InnerList so that the base and the header are serialised from one value.
sf::InnerList make_signature_input(const std::vector<std::string>& components, std::int64_t created,
                                   std::string_view keyid, std::string_view alg);

}  // namespace kith::ap
