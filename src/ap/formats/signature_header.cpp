// draft-cavage-http-signatures-12 sections 2.1 (parameters), 3.1
// (Authorization) and 4.1 (Signature header).
#include "kith/ap/signature_header.hpp"
#include "kith/http/message.hpp"

#include <algorithm>

namespace kith::ap {

namespace {

char ascii_lower(char c) {
  return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

std::string lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = ascii_lower(c);
  return out;
}

bool is_ows(char c) {
  return c == ' ' || c == '\t';
}

struct Param {
  std::string name;  // lower case
  std::string value;
};

// RFC 7235 2.1:
//   auth-param    = token BWS "=" BWS ( token / quoted-string )
//   quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE
//   qdtext        = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
//   quoted-pair   = "\" ( HTAB / SP / VCHAR / obs-text )
// and the list rule of RFC 9110 5.6.1: elements separated by OWS "," OWS.
// obs-text (bytes above 0x7F) is refused: nothing legitimate needs it here.
std::optional<std::vector<Param>> split_params(std::string_view text, CavageError& error) {
  std::vector<Param> params;
  std::size_t i = 0;
  auto skip_ows = [&] {
    while (i < text.size() && is_ows(text[i])) ++i;
  };
  skip_ows();
  while (true) {
    const std::size_t name_start = i;
    while (i < text.size() && http::is_token_char(text[i])) ++i;
    if (i == name_start) return std::nullopt;
    Param param{lower(text.substr(name_start, i - name_start)), {}};
    skip_ows();
    if (i >= text.size() || text[i] != '=') return std::nullopt;
    ++i;
    skip_ows();
    if (i < text.size() && text[i] == '"') {
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char c = text[i++];
        if (c == '"') {
          closed = true;
          break;
        }
        if (c == '\\') {
          if (i >= text.size()) return std::nullopt;
          c = text[i++];
        }
        const auto byte = static_cast<unsigned char>(c);
        if ((byte < 0x20 && c != '\t') || byte >= 0x7F) return std::nullopt;
        param.value += c;
      }
      if (!closed) return std::nullopt;
    } else {
      const std::size_t value_start = i;
      while (i < text.size() && http::is_token_char(text[i])) ++i;
      if (i == value_start) return std::nullopt;
      param.value = std::string(text.substr(value_start, i - value_start));
    }
    // cavage-12 2.2: "If any of the parameters listed above are erroneously
    // duplicated in the associated header field, then the signature MUST NOT
    // be processed." kith applies that to every parameter.
    for (const auto& seen : params) {
      if (seen.name == param.name) {
        error = CavageError::duplicate_parameter;
        return std::nullopt;
      }
    }
    if (params.size() == kMaxSignatureParameters) {
      error = CavageError::too_many_parameters;
      return std::nullopt;
    }
    params.push_back(std::move(param));
    skip_ows();
    if (i == text.size()) return params;
    if (text[i] != ',') return std::nullopt;
    ++i;
    skip_ows();
  }
}

// cavage-12 2.1.4: "The value MUST be a Unix timestamp integer value."
// 2.1.5 allows sub-second precision for `expires` "using decimal notation".
std::optional<SignatureTime> parse_time(std::string_view text, bool fraction_allowed) {
  const auto dot = text.find('.');
  const std::string_view whole = text.substr(0, dot);
  if (whole.empty() || whole.size() > 15) return std::nullopt;  // year 31 million is enough
  if (!std::all_of(whole.begin(), whole.end(), [](char c) { return c >= '0' && c <= '9'; }))
    return std::nullopt;
  if (dot != std::string_view::npos) {
    const std::string_view fraction = text.substr(dot + 1);
    if (!fraction_allowed || fraction.empty() || fraction.size() > 9) return std::nullopt;
    if (!std::all_of(fraction.begin(), fraction.end(), [](char c) { return c >= '0' && c <= '9'; }))
      return std::nullopt;
  }
  SignatureTime time{std::string(text), 0};
  for (char c : whole) time.seconds = time.seconds * 10 + (c - '0');
  return time;
}

bool starts_with_any(std::string_view text, std::initializer_list<std::string_view> prefixes) {
  return std::any_of(prefixes.begin(), prefixes.end(),
                     [&](std::string_view p) { return text.substr(0, p.size()) == p; });
}

// A field name (RFC 9110 5.1: a token) or a pseudo-header such as
// "(request-target)": a token in parentheses.
bool valid_header_name(std::string_view name) {
  if (name.size() >= 3 && name.front() == '(' && name.back() == ')')
    name = name.substr(1, name.size() - 2);
  return !name.empty() && std::all_of(name.begin(), name.end(), http::is_token_char);
}

std::string quote(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + '"';
}

}  // namespace

bool CavageSignature::signs(std::string_view header) const {
  return std::find(headers.begin(), headers.end(), header) != headers.end();
}

std::string_view describe(CavageError error) {
  switch (error) {
    case CavageError::none:
      return "no error";
    case CavageError::too_long:
      return "Signature header too long";
    case CavageError::not_signature_scheme:
      return "Authorization scheme is not Signature";
    case CavageError::syntax:
      return "Signature header is not a list of name=value parameters";
    case CavageError::too_many_parameters:
      return "Signature header has too many parameters";
    case CavageError::duplicate_parameter:
      return "Signature header repeats a parameter";
    case CavageError::missing_key_id:
      return "Signature header has no keyId";
    case CavageError::key_id_too_long:
      return "Signature keyId too long";
    case CavageError::missing_signature:
      return "Signature header has no signature";
    case CavageError::bad_signature:
      return "Signature value is not valid base64 of a signature";
    case CavageError::bad_headers:
      return "Signature headers list is empty, repeats a name or is too long";
    case CavageError::bad_created:
      return "Signature created is not a Unix time";
    case CavageError::bad_expires:
      return "Signature expires is not a Unix time";
  }
  return "unknown Signature header error";
}

CavageResult parse_signature_header(std::string_view value) {
  CavageResult result;
  auto fail = [&](CavageError error) {
    result.signature.reset();
    result.error = error;
    return result;
  };
  if (value.size() > kMaxSignatureHeaderBytes) return fail(CavageError::too_long);
  CavageError split_error = CavageError::syntax;
  auto params = split_params(value, split_error);
  if (!params) return fail(split_error);

  CavageSignature signature;
  std::optional<std::string> key_id, encoded, headers;
  for (auto& param : *params) {
    // cavage-12 2.2: "Any parameter that is not recognized as a parameter
    // ... MUST be ignored."
    if (param.name == "keyid") {
      key_id = std::move(param.value);
    } else if (param.name == "signature") {
      encoded = std::move(param.value);
    } else if (param.name == "algorithm") {
      signature.algorithm = lower(param.value);
    } else if (param.name == "headers") {
      headers = std::move(param.value);
    } else if (param.name == "created") {
      signature.created = parse_time(param.value, false);
      if (!signature.created) return fail(CavageError::bad_created);
    } else if (param.name == "expires") {
      signature.expires = parse_time(param.value, true);
      if (!signature.expires) return fail(CavageError::bad_expires);
    }
  }

  // 2.1.1: keyId is REQUIRED (an empty one names nothing).
  if (!key_id || key_id->empty()) return fail(CavageError::missing_key_id);
  if (key_id->size() > kMaxKeyIdBytes) return fail(CavageError::key_id_too_long);
  signature.key_id = std::move(*key_id);

  // 2.1.2: signature is REQUIRED, "a base 64 encoded digital signature".
  if (!encoded || encoded->empty()) return fail(CavageError::missing_signature);
  if (encoded->size() > (kMaxSignatureBytes + 2) / 3 * 4) return fail(CavageError::bad_signature);
  auto bytes = base64_decode(*encoded, Base64Padding::required);
  if (!bytes || bytes->empty()) return fail(CavageError::bad_signature);
  signature.signature = std::move(*bytes);

  // 2.1.6: headers is "a lowercased, quoted list of HTTP header fields,
  // separated by a single space character"; "A zero-length headers parameter
  // value MUST NOT be used". Runs of spaces or tabs are accepted as one
  // separator (Mastodon splits on any whitespace); names are lowercased.
  if (headers) {
    signature.headers_given = true;
    std::size_t i = 0;
    while (i < headers->size()) {
      while (i < headers->size() && is_ows((*headers)[i])) ++i;
      const std::size_t start = i;
      while (i < headers->size() && !is_ows((*headers)[i])) ++i;
      if (i == start) break;
      std::string name = lower(std::string_view(*headers).substr(start, i - start));
      if (!valid_header_name(name) || signature.signs(name)) return fail(CavageError::bad_headers);
      if (signature.headers.size() == kMaxSignedHeaders) return fail(CavageError::bad_headers);
      signature.headers.push_back(std::move(name));
    }
    if (signature.headers.empty()) return fail(CavageError::bad_headers);
  } else {
    // 2.1.6: "If not specified, implementations MUST operate as if the field
    // were specified with a single value, `(created)`". Algorithms starting
    // with rsa, hmac or ecdsa may not sign (created) (2.3), and for them the
    // default was "date" in the drafts before version 10, as Mastodon does.
    const bool legacy = starts_with_any(signature.algorithm, {"rsa", "hmac", "ecdsa"});
    signature.headers = {legacy ? "date" : "(created)"};
  }
  result.signature = std::move(signature);
  return result;
}

CavageResult parse_authorization_header(std::string_view value) {
  // RFC 7235 2.1: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
  // with a case-insensitive auth-scheme.
  constexpr std::string_view kScheme = "signature";
  if (value.size() <= kScheme.size() || lower(value.substr(0, kScheme.size())) != kScheme ||
      value[kScheme.size()] != ' ') {
    CavageResult result;
    result.error = CavageError::not_signature_scheme;
    return result;
  }
  value.remove_prefix(kScheme.size());
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  return parse_signature_header(value);
}

std::string serialize_signature_header(const CavageSignature& signature) {
  std::string out = "keyId=" + quote(signature.key_id);
  if (!signature.algorithm.empty()) out += ",algorithm=" + quote(signature.algorithm);
  if (signature.created) out += ",created=" + signature.created->text;
  if (signature.expires) out += ",expires=" + signature.expires->text;
  std::string headers;
  for (const auto& name : signature.headers) {
    if (!headers.empty()) headers += ' ';
    headers += name;
  }
  out += ",headers=" + quote(headers);
  out += ",signature=" + quote(base64_encode(signature.signature));
  return out;
}

}  // namespace kith::ap
