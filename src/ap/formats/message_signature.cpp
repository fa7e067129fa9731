// RFC 9421 sections 2 (components), 2.5 (signature base), 4.1 and 4.2 (the
// Signature-Input and Signature fields).
#include "kith/ap/message_signature.hpp"

#include <algorithm>

namespace kith::ap {

namespace {

std::string_view trim_ows(std::string_view value) {
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  return value;
}

// The name of a covered component: the String value of the item.
const std::string& component_name(const sf::Item& item) {
  return std::get<std::string>(item.value);
}

// RFC 9421 2: "One component identifier is distinct from another if the
// component name differs, or if any of the parameters differ for the same
// component name ... the order of parameters is not significant when
// comparing two component identifiers for equality checks."
bool same_component(const sf::Item& a, const sf::Item& b) {
  if (component_name(a) != component_name(b) || a.params.size() != b.params.size()) return false;
  for (const auto& param : a.params) {
    const sf::BareItem* other = sf::find(b.params, param.key);
    if (!other || !(*other == param.value)) return false;
  }
  return true;
}

bool lower_case_field_name(std::string_view name) {
  // RFC 9421 2.1: "implementations MUST use lowercased field names".
  return std::none_of(name.begin(), name.end(), [](char c) { return c >= 'A' && c <= 'Z'; });
}

// The ABNF of 2.5: field values are *field-content without obs-text, and
// derived values *( VCHAR / SP ); no line breaks, nothing above 0x7E.
bool printable(std::string_view value) {
  return std::all_of(value.begin(), value.end(), [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return (byte >= 0x20 && byte < 0x7F) || c == '\t';
  });
}

// application/x-www-form-urlencoded parsing (WHATWG URL 5.1): split on "&",
// then on the first "=", "+" is a space, percent-escapes are decoded (a "%"
// not followed by two hex digits stays as it is).
std::string form_decode(std::string_view text) {
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '+') {
      out += ' ';
    } else if (text[i] == '%' && i + 2 < text.size() && hex(text[i + 1]) >= 0 &&
               hex(text[i + 2]) >= 0) {
      out += static_cast<char>(hex(text[i + 1]) * 16 + hex(text[i + 2]));
      i += 2;
    } else {
      out += text[i];
    }
  }
  return out;
}

// "percent-encode after encoding" with the application/x-www-form-urlencoded
// percent-encode set: everything but ASCII alphanumerics and *-._ is escaped
// (RFC 9421 2.2.8 shows a space as %20, not "+").
std::string form_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '*' ||
        c == '-' || c == '.' || c == '_') {
      out += c;
    } else {
      out += '%';
      out += kHex[byte >> 4];
      out += kHex[byte & 0x0F];
    }
  }
  return out;
}

struct DerivedContext {
  std::string_view path;   // "/" when empty
  std::string_view query;  // without "?"
  bool has_query = false;
};

DerivedContext split_target(std::string_view target) {
  DerivedContext context;
  const auto question = target.find('?');
  context.path = target.substr(0, question);
  if (question != std::string_view::npos) {
    context.has_query = true;
    context.query = target.substr(question + 1);
  }
  if (context.path.empty()) context.path = "/";
  return context;
}

std::optional<std::string> string_param(const sf::Parameters& params, std::string_view key,
                                        bool& bad) {
  const sf::BareItem* value = sf::find(params, key);
  if (!value) return std::nullopt;
  if (const auto* text = std::get_if<std::string>(value)) return *text;
  bad = true;
  return std::nullopt;
}

std::optional<std::int64_t> integer_param(const sf::Parameters& params, std::string_view key,
                                          bool& bad) {
  const sf::BareItem* value = sf::find(params, key);
  if (!value) return std::nullopt;
  if (const auto* number = std::get_if<std::int64_t>(value)) return *number;
  bad = true;
  return std::nullopt;
}

}  // namespace

std::string MessageSignature::signature_params() const {
  return sf::serialize(input);
}

bool MessageSignature::covers(std::string_view name) const {
  return std::any_of(input.items.begin(), input.items.end(), [&](const sf::Item& item) {
    return item.params.empty() && component_name(item) == name;
  });
}

std::string_view describe(MessageSignatureError error) {
  switch (error) {
    case MessageSignatureError::none:
      return "no error";
    case MessageSignatureError::too_long:
      return "Signature-Input or Signature too long";
    case MessageSignatureError::malformed_signature_input:
      return "Signature-Input is not a dictionary of component lists";
    case MessageSignatureError::malformed_signature:
      return "Signature is not a dictionary of byte sequences";
    case MessageSignatureError::labels_differ:
      return "Signature-Input and Signature have different labels";
    case MessageSignatureError::too_many_signatures:
      return "too many signatures";
    case MessageSignatureError::too_many_components:
      return "too many covered components";
    case MessageSignatureError::bad_component:
      return "invalid covered component";
    case MessageSignatureError::duplicate_component:
      return "covered component listed twice";
    case MessageSignatureError::bad_parameter:
      return "signature parameter of the wrong type";
  }
  return "unknown message signature error";
}

std::string_view describe(SignatureBaseError error) {
  switch (error) {
    case SignatureBaseError::none:
      return "no error";
    case SignatureBaseError::missing_header:
      return "a covered field is missing from the request";
    case SignatureBaseError::missing_query_param:
      return "a covered query parameter is missing or repeated";
    case SignatureBaseError::unsupported_component:
      return "unsupported covered component";
    case SignatureBaseError::unsupported_parameter:
      return "unsupported component parameter";
    case SignatureBaseError::bad_value:
      return "a covered value has a line break or non-ASCII byte";
    case SignatureBaseError::too_long:
      return "signature base too long";
  }
  return "unknown signature base error";
}

MessageSignaturesResult parse_message_signatures(std::string_view signature_input,
                                                 std::string_view signature) {
  MessageSignaturesResult result;
  auto fail = [&](MessageSignatureError error, std::string_view detail = {}) {
    result.signatures.clear();
    result.error = error;
    result.detail = std::string(detail);
    return result;
  };
  if (signature_input.size() > kMaxSignatureInputBytes ||
      signature.size() > kMaxSignatureFieldBytes)
    return fail(MessageSignatureError::too_long);

  sf::Limits limits;
  limits.max_members = kMaxMessageSignatures;
  limits.max_inner_items = kMaxCoveredComponents;
  limits.max_bytes = std::max(kMaxSignatureInputBytes, kMaxSignatureFieldBytes);
  // RFC 9421 4.1: "The Signature-Input field is a Dictionary structured
  // field ... The member's value is the serialization of the covered
  // components Inner List plus all signature metadata parameters".
  const auto inputs = sf::parse_dictionary(signature_input, limits);
  if (!inputs) {
    if (inputs.error == sf::Error::too_many)
      return fail(MessageSignatureError::too_many_signatures);
    return fail(MessageSignatureError::malformed_signature_input, sf::describe(inputs.error));
  }
  // RFC 9421 4.2: "The Signature field is a Dictionary structured field ...
  // The member's value is a Byte Sequence containing the signature value".
  const auto values = sf::parse_dictionary(signature, limits);
  if (!values) return fail(MessageSignatureError::malformed_signature, sf::describe(values.error));
  if (inputs.dictionary->size() != values.dictionary->size())
    return fail(MessageSignatureError::labels_differ);

  for (const auto& member : *inputs.dictionary) {
    MessageSignature parsed;
    parsed.label = member.key;
    const auto* list = std::get_if<sf::InnerList>(&member.value);
    if (!list) return fail(MessageSignatureError::malformed_signature_input, member.key);
    for (std::size_t i = 0; i < list->items.size(); ++i) {
      const sf::Item& item = list->items[i];
      const auto* name = std::get_if<std::string>(&item.value);
      if (!name) return fail(MessageSignatureError::malformed_signature_input, member.key);
      // 2: names are lower-case field names or derived names starting "@";
      // 2.3: "@signature-params" MUST NOT be listed.
      if (name->empty() || !lower_case_field_name(*name) || *name == "@signature-params")
        return fail(MessageSignatureError::bad_component, *name);
      // 2: "Within a single list of covered components, each component
      // identifier MUST occur only once."
      for (std::size_t j = 0; j < i; ++j)
        if (same_component(list->items[j], item))
          return fail(MessageSignatureError::duplicate_component, *name);
    }
    parsed.input = *list;

    // 2.3: created and expires are Integers; keyid, alg, nonce, tag Strings.
    bool bad = false;
    parsed.created = integer_param(list->params, "created", bad);
    parsed.expires = integer_param(list->params, "expires", bad);
    parsed.keyid = string_param(list->params, "keyid", bad);
    parsed.alg = string_param(list->params, "alg", bad);
    parsed.nonce = string_param(list->params, "nonce", bad);
    parsed.tag = string_param(list->params, "tag", bad);
    if (bad) return fail(MessageSignatureError::bad_parameter, member.key);

    const sf::Member* value = sf::find(*values.dictionary, member.key);
    if (!value) return fail(MessageSignatureError::labels_differ, member.key);
    const auto* item = std::get_if<sf::Item>(&value->value);
    const auto* bytes = item ? std::get_if<Bytes>(&item->value) : nullptr;
    if (!bytes || bytes->empty())
      return fail(MessageSignatureError::malformed_signature, member.key);
    parsed.signature = *bytes;
    result.signatures.push_back(std::move(parsed));
  }
  return result;
}

SignatureBaseResult build_signature_base(const MessageSignature& signature,
                                         const RequestParts& request) {
  SignatureBaseResult result;
  auto fail = [&](SignatureBaseError error, std::string_view detail) {
    result.base.clear();
    result.error = error;
    result.detail = std::string(detail);
    return result;
  };
  const DerivedContext context = split_target(request.target);

  // 2.5 step 2: for each covered component, in order.
  for (const sf::Item& item : signature.input.items) {
    const std::string& name = component_name(item);
    std::string value;
    if (!name.empty() && name.front() == '@') {
      // Only @query-param takes a parameter (name); req, tr, sf, key and bs
      // do not apply to request-derived components kith reads.
      const bool query_param = name == "@query-param";
      for (const auto& param : item.params)
        if (!(query_param && param.key == "name"))
          return fail(SignatureBaseError::unsupported_parameter, name);
      if (name == "@method") {
        // 2.2.1: "the value of the method as a string", case kept.
        value = request.method;
      } else if (name == "@target-uri") {
        // 2.2.2: "the full absolute target URI of the request".
        value = std::string(request.scheme) + "://" + std::string(request.authority) +
                std::string(request.target);
      } else if (name == "@authority") {
        // 2.2.3: host lower-cased, default port omitted (RequestParts).
        value = request.authority;
      } else if (name == "@scheme") {
        // 2.2.4: "the scheme as a lowercase string".
        value = request.scheme;
        for (char& c : value)
          if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      } else if (name == "@request-target") {
        // 2.2.5: for origin-form, "the absolute path and query".
        value = request.target;
      } else if (name == "@path") {
        // 2.2.6: no query, no "?"; an empty path is "/".
        value = context.path;
      } else if (name == "@query") {
        // 2.2.7: "including the leading ? character"; "?" alone when absent.
        value = "?" + std::string(context.query);
      } else if (query_param) {
        // 2.2.8: the REQUIRED name parameter holds the encoded nameString;
        // the value is the encoded valueString; a name that does not occur,
        // or occurs more than once, is an error.
        const sf::BareItem* wanted = sf::find(item.params, "name");
        const auto* wanted_name = wanted ? std::get_if<std::string>(wanted) : nullptr;
        if (!wanted_name) return fail(SignatureBaseError::unsupported_parameter, name);
        int found = 0;
        std::string_view query = context.query;
        while (context.has_query) {
          const auto amp = query.find('&');
          const std::string_view pair = query.substr(0, amp);
          if (!pair.empty()) {
            const auto eq = pair.find('=');
            const std::string encoded_name = form_encode(form_decode(pair.substr(0, eq)));
            if (encoded_name == *wanted_name) {
              ++found;
              value = eq == std::string_view::npos ? std::string()
                                                   : form_encode(form_decode(pair.substr(eq + 1)));
            }
          }
          if (amp == std::string_view::npos) break;
          query.remove_prefix(amp + 1);
        }
        if (found != 1) return fail(SignatureBaseError::missing_query_param, *wanted_name);
      } else {
        // @status is for responses (2.2.9); anything else is unknown.
        return fail(SignatureBaseError::unsupported_component, name);
      }
      if (!printable(value)) return fail(SignatureBaseError::bad_value, name);
    } else {
      // 2.1: a header field. Parameters (sf, key, bs, req, tr) unsupported.
      if (!item.params.empty()) return fail(SignatureBaseError::unsupported_parameter, name);
      const auto values = request.headers ? request.headers(name) : std::vector<std::string_view>{};
      // "If the field cannot be found in the message ... produce an error."
      if (values.empty()) return fail(SignatureBaseError::missing_header, name);
      // "Strip leading and trailing whitespace from each item"; "Concatenate
      // the list of values together with a single comma (",") and a single
      // space (" ") between each item."
      for (std::size_t i = 0; i < values.size(); ++i) {
        if (i > 0) value += ", ";
        value += trim_ows(values[i]);
      }
      if (!printable(value)) return fail(SignatureBaseError::bad_value, name);
    }
    // Steps 2.1-2.6: the serialised identifier, ": ", the value, "\n".
    result.base += sf::serialize(item);
    result.base += ": ";
    result.base += value;
    result.base += '\n';
    if (result.base.size() > kMaxSignatureBaseBytes)
      return fail(SignatureBaseError::too_long, name);
  }
  // Step 3: "@signature-params": and the serialised Inner List.
  result.base += "\"@signature-params\": ";
  result.base += signature.signature_params();
  if (result.base.size() > kMaxSignatureBaseBytes)
    return fail(SignatureBaseError::too_long, "@signature-params");
  return result;
}

sf::InnerList make_signature_input(const std::vector<std::string>& components, std::int64_t created,
                                   std::string_view keyid, std::string_view alg) {
  sf::InnerList list;
  for (const auto& name : components) list.items.push_back(sf::Item{name, {}});
  list.params.push_back({"created", created});
  list.params.push_back({"keyid", std::string(keyid)});
  if (!alg.empty()) list.params.push_back({"alg", std::string(alg)});
  return list;
}

}  // namespace kith::ap
