// draft-cavage-http-signatures-12 section 2.3, Signature String Construction.
#include "kith/ap/signing_string.hpp"

namespace kith::ap {

namespace {

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

std::string_view trim_ows(std::string_view value) {
  while (!value.empty() && is_ows(value.front())) value.remove_prefix(1);
  while (!value.empty() && is_ows(value.back())) value.remove_suffix(1);
  return value;
}

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool restricted_algorithm(std::string_view algorithm) {
  for (std::string_view prefix : {"rsa", "hmac", "ecdsa"})
    if (algorithm.substr(0, prefix.size()) == prefix) return true;
  return false;
}

}  // namespace

std::string_view describe(SigningStringError error) {
  switch (error) {
    case SigningStringError::none:
      return "no error";
    case SigningStringError::missing_header:
      return "a signed header is missing from the request";
    case SigningStringError::bad_header_value:
      return "a signed header value has a line break";
    case SigningStringError::unknown_pseudo_header:
      return "unknown signed pseudo-header";
    case SigningStringError::created_not_allowed:
      return "(created) and (expires) cannot be signed with this algorithm";
    case SigningStringError::missing_created:
      return "(created) is signed but created is absent";
    case SigningStringError::missing_expires:
      return "(expires) is signed but expires is absent";
    case SigningStringError::too_long:
      return "signing string too long";
  }
  return "unknown signing string error";
}

SigningStringResult build_signing_string(const CavageSignature& signature,
                                         const RequestParts& request) {
  SigningStringResult result;
  auto fail = [&](SigningStringError error, std::string_view header) {
    result.text.clear();
    result.error = error;
    result.detail = std::string(header);
    return result;
  };
  for (const auto& name : signature.headers) {
    if (!result.text.empty()) result.text += '\n';
    if (name == "(request-target)") {
      // "concatenating the lowercased :method, an ASCII space, and the :path
      // pseudo-headers" - ":path" being path and query (RFC 7540 8.1.2.3);
      // "lowercasing only applies to the :method pseudo-header".
      constexpr std::string_view kBreaks("\r\n\0", 3);
      if (request.method.find_first_of(kBreaks) != std::string_view::npos ||
          request.target.find_first_of(kBreaks) != std::string_view::npos)
        return fail(SigningStringError::bad_header_value, name);
      result.text += "(request-target): ";
      for (char c : request.method) result.text += ascii_lower(c);
      result.text += ' ';
      result.text += request.target;
    } else if (name == "(created)" || name == "(expires)") {
      // "If the header field name is `(created)` and the `algorithm`
      // parameter starts with `rsa`, `hmac`, or `ecdsa` an implementation
      // MUST produce an error. If the `created` Signature Parameter is not
      // specified, or is not an integer, an implementation MUST produce an
      // error." The same for (expires).
      if (restricted_algorithm(signature.algorithm))
        return fail(SigningStringError::created_not_allowed, name);
      const bool created = name == "(created)";
      const auto& time = created ? signature.created : signature.expires;
      if (!time)
        return fail(
            created ? SigningStringError::missing_created : SigningStringError::missing_expires,
            name);
      result.text += name + ": " + time->text;
    } else if (name.front() == '(') {
      return fail(SigningStringError::unknown_pseudo_header, name);
    } else {
      // "If a header specified in the headers parameter is malformed or
      // cannot be matched with a provided header in the message, the
      // implementation MUST produce an error."
      const auto values = request.headers ? request.headers(name) : std::vector<std::string_view>{};
      if (values.empty()) return fail(SigningStringError::missing_header, name);
      // "Leading and trailing optional whitespace (OWS) in the header field
      // value MUST be omitted"; "If there are multiple instances of the same
      // header field, all header field values associated with the header
      // field MUST be concatenated, separated by a ASCII comma and an ASCII
      // space `, `"; an empty value leaves "name: ".
      result.text += name + ": ";
      bool first = true;
      for (std::string_view value : values) {
        // A value with a line break would add a line of the sender's choosing.
        if (value.find_first_of(std::string_view("\r\n\0", 3)) != std::string_view::npos)
          return fail(SigningStringError::bad_header_value, name);
        if (!first) result.text += ", ";
        first = false;
        result.text += trim_ows(value);
      }
    }
    if (result.text.size() > kMaxSigningStringBytes)
      return fail(SigningStringError::too_long, name);
  }
  return result;
}

}  // namespace kith::ap
