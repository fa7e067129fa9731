// RFC 9421 against the RFC itself: kith parses the published Signature-Input
// and Signature fields of Appendix B.2 and sections 3.2 and 4.3, rebuilds the
// signature base from the published test-request, compares it byte for byte
// with the published base, and verifies the published signatures with the
// published keys (B.1.1 rsa-v1_5-sha256, B.1.2 rsa-pss-sha512). Then the
// refusals: labels that do not pair, repeated components, wrong parameter
// types, components kith does not support, and missing fields.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/ap/message_signature.hpp"
#include "kith/ap/rsa.hpp"
#include "signature_vectors.hpp"

using namespace kith::ap;
namespace vectors = kith::test::vectors;

namespace {

// RFC 9421 B.2, "test-request":
//   POST /foo?param=Value&Pet=dog HTTP/1.1
//   Host: example.com
//   Date: Tue, 20 Apr 2021 02:07:55 GMT
//   Content-Type: application/json
//   Content-Digest: sha-512=:WZDPaVn/...Jwew==:
//   Content-Length: 18
const std::vector<kith::http::Header>& test_request_headers() {
  static const std::vector<kith::http::Header> headers = {
      {"Host", "example.com"},
      {"Date", "Tue, 20 Apr 2021 02:07:55 GMT"},
      {"Content-Type", "application/json"},
      {"Content-Digest",
       "sha-512=:WZDPaVn/"
       "7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"},
      {"Content-Length", "18"},
  };
  return headers;
}

RequestParts test_request() {
  return RequestParts{"POST", "/foo?param=Value&Pet=dog", "https", "example.com",
                      header_lookup(test_request_headers())};
}

// Strips "label=" from a published field line: what remains is one member.
MessageSignature parse_one(std::string_view input, std::string_view signature) {
  const auto parsed = parse_message_signatures(input, signature);
  INFO(describe(parsed.error) << " " << parsed.detail);
  REQUIRE(parsed);
  REQUIRE(parsed.signatures.size() == 1);
  return parsed.signatures.front();
}

RsaPublicKey key(std::string_view pem) {
  auto parsed = RsaPublicKey::from_pem(pem);
  REQUIRE(parsed);
  return std::move(*parsed.key);
}

}  // namespace

TEST_CASE("RFC 9421: B.2.1 minimal signature, base and rsa-pss-sha512", "[signature]") {
  const auto signature = parse_one(vectors::kB21SignatureInput, vectors::kB21Signature);
  CHECK(signature.label == "sig-b21");
  CHECK(signature.input.items.empty());
  CHECK(signature.created == 1618884473);
  CHECK(signature.keyid == "test-key-rsa-pss");
  CHECK(signature.nonce == "b3k2pp5k7z-50gnwp.yemd");
  CHECK_FALSE(signature.alg);
  const auto base = build_signature_base(signature, test_request());
  REQUIRE(base);
  CHECK(base.base == vectors::kB21Base);
  const auto public_key = key(vectors::kTestKeyRsaPssPublic);
  CHECK(public_key.verify(RsaScheme::pss_sha512, base.base, signature.signature) == RsaError::none);
  // The same bytes are not a PKCS #1 v1.5 signature.
  CHECK(public_key.verify(RsaScheme::pkcs1_sha256, base.base, signature.signature) ==
        RsaError::bad_signature);
}

TEST_CASE("RFC 9421: B.2.2 selective components with @query-param", "[signature]") {
  const auto signature = parse_one(vectors::kB22SignatureInput, vectors::kB22Signature);
  CHECK(signature.tag == "header-example");
  const auto base = build_signature_base(signature, test_request());
  REQUIRE(base);
  CHECK(base.base == vectors::kB22Base);
  CHECK(key(vectors::kTestKeyRsaPssPublic)
            .verify(RsaScheme::pss_sha512, base.base, signature.signature) == RsaError::none);
}

TEST_CASE("RFC 9421: B.2.3 full coverage", "[signature]") {
  const auto signature = parse_one(vectors::kB23SignatureInput, vectors::kB23Signature);
  const auto base = build_signature_base(signature, test_request());
  REQUIRE(base);
  CHECK(base.base == vectors::kB23Base);
  CHECK(key(vectors::kTestKeyRsaPssPublic)
            .verify(RsaScheme::pss_sha512, base.base, signature.signature) == RsaError::none);
  // One changed header value and it no longer verifies.
  auto headers = test_request_headers();
  headers[2].value = "application/activity+json";
  RequestParts changed = test_request();
  changed.headers = header_lookup(headers);
  const auto other = build_signature_base(signature, changed);
  REQUIRE(other);
  CHECK(key(vectors::kTestKeyRsaPssPublic)
            .verify(RsaScheme::pss_sha512, other.base, signature.signature) ==
        RsaError::bad_signature);
}

TEST_CASE("RFC 9421: sections 2.5 and 3.2 example", "[signature]") {
  const auto signature = parse_one(vectors::kSection32SignatureInput, vectors::kSection32Signature);
  const auto base = build_signature_base(signature, test_request());
  REQUIRE(base);
  CHECK(base.base == vectors::kSection25Base);
  CHECK(key(vectors::kTestKeyRsaPssPublic)
            .verify(RsaScheme::pss_sha512, base.base, signature.signature) == RsaError::none);
}

TEST_CASE("RFC 9421: section 4.3 proxy signature with rsa-v1_5-sha256", "[signature]") {
  // Both signatures of the forwarded message, in two fields each with two
  // members; the client's sig1 (ECDSA) is parsed but not verified here.
  const std::string input =
      R"(sig1=("@method" "@authority" "@path" "content-digest" "content-type" "content-length");created=1618884475;keyid="test-key-ecc-p256", )"
      R"(proxy_sig=("@method" "@authority" "@path" "content-digest" "content-type" "content-length" "forwarded");created=1618884480;keyid="test-key-rsa";alg="rsa-v1_5-sha256";expires=1618884540)";
  const std::string fields =
      "sig1=:X5spyd6CFnAG5QnDyHfqoSNICd+BUP4LYMz2Q0JXlb//"
      "4Ijpzp+kve2w4NIyqeAuM7jTDX+sNalzA8ESSaHD3A==:, "
      "proxy_sig=:" +
      std::string(vectors::kProxySigSignature) + ":";
  const auto parsed = parse_message_signatures(input, fields);
  REQUIRE(parsed);
  REQUIRE(parsed.signatures.size() == 2);
  const MessageSignature& proxy = parsed.signatures[1];
  CHECK(proxy.label == "proxy_sig");
  CHECK(proxy.alg == "rsa-v1_5-sha256");
  CHECK(proxy.expires == 1618884540);

  std::vector<kith::http::Header> headers = {
      {"Host", "origin.host.internal.example"},
      {"Date", "Tue, 20 Apr 2021 02:07:56 GMT"},
      {"Content-Type", "application/json"},
      {"Content-Length", "18"},
      {"Forwarded", "for=192.0.2.123;host=example.com;proto=https"},
      {"Content-Digest",
       "sha-512=:WZDPaVn/"
       "7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7BNNyealdVLvRwEmTHWXvJwew==:"},
  };
  const RequestParts request{"POST", "/foo?param=Value&Pet=dog", "https",
                             "origin.host.internal.example", header_lookup(headers)};
  const auto base = build_signature_base(proxy, request);
  REQUIRE(base);
  CHECK(base.base == vectors::kProxySigBase);
  // The PKCS #1 "RSA PUBLIC KEY" form of B.1.1 verifies it...
  CHECK(
      key(vectors::kTestKeyRsaPublic).verify(RsaScheme::pkcs1_sha256, base.base, proxy.signature) ==
      RsaError::none);
  // ...and PKCS #1 v1.5 is deterministic: kith's signer with B.1.1's private
  // key reproduces the published bytes exactly.
  auto private_key = RsaPrivateKey::from_pem(vectors::kTestKeyRsaPrivate);
  REQUIRE(private_key);
  const auto signed_again = private_key.key->sign(RsaScheme::pkcs1_sha256, base.base);
  REQUIRE(signed_again);
  CHECK(base64_encode(*signed_again) == vectors::kProxySigSignature);
}

TEST_CASE("RFC 9421: derived components and the 2.2.8 query parameter examples", "[signature]") {
  const std::vector<kith::http::Header> headers = {{"Host", "www.example.com"}};
  const RequestParts request{"GET",
                             "/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+"
                             "plus+whitespace&fa%C3%A7ade%22%3A%20=something&empty=&flag",
                             "https", "www.example.com", header_lookup(headers)};
  const auto parsed = parse_message_signatures(
      R"(s=("@method" "@target-uri" "@authority" "@scheme" "@request-target" "@path" "@query" "@query-param";name="var" "@query-param";name="bar" "@query-param";name="fa%C3%A7ade%22%3A%20" "@query-param";name="empty" "@query-param";name="flag");created=1)",
      "s=:AAAA:");
  REQUIRE(parsed);
  const auto base = build_signature_base(parsed.signatures.front(), request);
  REQUIRE(base);
  CHECK(base.base ==
        "\"@method\": GET\n"
        "\"@target-uri\": "
        "https://www.example.com/"
        "parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%"
        "A7ade%22%3A%20=something&empty=&flag\n"
        "\"@authority\": www.example.com\n"
        "\"@scheme\": https\n"
        "\"@request-target\": "
        "/parameters?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%"
        "A7ade%22%3A%20=something&empty=&flag\n"
        "\"@path\": /parameters\n"
        "\"@query\": "
        "?var=this%20is%20a%20big%0Amultiline%20value&bar=with+plus+whitespace&fa%C3%A7ade%22%3A%"
        "20=something&empty=&flag\n"
        "\"@query-param\";name=\"var\": this%20is%20a%20big%0Amultiline%20value\n"
        "\"@query-param\";name=\"bar\": with%20plus%20whitespace\n"
        "\"@query-param\";name=\"fa%C3%A7ade%22%3A%20\": something\n"
        "\"@query-param\";name=\"empty\": \n"
        "\"@query-param\";name=\"flag\": \n"
        "\"@signature-params\": (\"@method\" \"@target-uri\" \"@authority\" \"@scheme\" "
        "\"@request-target\" \"@path\" \"@query\" \"@query-param\";name=\"var\" "
        "\"@query-param\";name=\"bar\" \"@query-param\";name=\"fa%C3%A7ade%22%3A%20\" "
        "\"@query-param\";name=\"empty\" \"@query-param\";name=\"flag\");created=1");

  // 2.2.7: no query at all gives "?"; 2.2.6: an empty path is "/".
  const RequestParts bare{"GET", "", "https", "example.com", header_lookup(headers)};
  const auto q = parse_message_signatures(R"(s=("@path" "@query"))", "s=:AAAA:");
  const auto bare_base = build_signature_base(q.signatures.front(), bare);
  REQUIRE(bare_base);
  CHECK(bare_base.base ==
        "\"@path\": /\n\"@query\": ?\n\"@signature-params\": (\"@path\" \"@query\")");
}

TEST_CASE("RFC 9421: a signature kith makes verifies as the RFC's would", "[signature]") {
  // make_signature_input + build_signature_base, signed with the B.1.2
  // private key (an RSASSA-PSS key in PKCS #8), verified with its public key.
  const sf::InnerList input =
      make_signature_input({"@method", "@target-uri", "content-digest"}, 1618884473,
                           "test-key-rsa-pss", "rsa-pss-sha512");
  MessageSignature signature;
  signature.input = input;
  const auto base = build_signature_base(signature, test_request());
  REQUIRE(base);
  CHECK(
      signature.signature_params() ==
      R"(("@method" "@target-uri" "content-digest");created=1618884473;keyid="test-key-rsa-pss";alg="rsa-pss-sha512")");
  auto private_key = RsaPrivateKey::from_pem(vectors::kTestKeyRsaPssPrivate);
  REQUIRE(private_key);
  const auto bytes = private_key.key->sign(RsaScheme::pss_sha512, base.base);
  REQUIRE(bytes);
  // The fields a receiver would get, parsed back.
  const auto parsed = parse_message_signatures("sig=" + signature.signature_params(),
                                               "sig=:" + base64_encode(*bytes) + ":");
  REQUIRE(parsed);
  const auto rebuilt = build_signature_base(parsed.signatures.front(), test_request());
  REQUIRE(rebuilt);
  CHECK(rebuilt.base == base.base);
  CHECK(key(vectors::kTestKeyRsaPssPublic)
            .verify(RsaScheme::pss_sha512, rebuilt.base, parsed.signatures.front().signature) ==
        RsaError::none);
}

TEST_CASE("RFC 9421: refused Signature-Input and Signature fields", "[signature]") {
  struct Case {
    std::string input;
    std::string signature;
    MessageSignatureError error;
  };
  const std::string sig = "s=:AAAA:";
  const std::vector<Case> cases = {
      {"", "", MessageSignatureError::none},  // no signatures at all: parsed, empty
      {R"(s=("@method"))", "", MessageSignatureError::labels_differ},
      {R"(s=("@method"))", "t=:AAAA:", MessageSignatureError::labels_differ},
      {R"(s=("@method"), t=("@path"))", sig, MessageSignatureError::labels_differ},
      {R"(s=("@method"))", "s=:AAAA:, t=:AAAA:", MessageSignatureError::labels_differ},
      {R"(s="@method")", sig, MessageSignatureError::malformed_signature_input},
      {R"(s=(@method))", sig, MessageSignatureError::malformed_signature_input},
      {R"(s=(1))", sig, MessageSignatureError::malformed_signature_input},
      {R"(s=("@method")", sig, MessageSignatureError::malformed_signature_input},
      {R"(s=("@method"), s=("@path"))", sig, MessageSignatureError::malformed_signature_input},
      {R"(s=("@method"))", "s=AAAA", MessageSignatureError::malformed_signature},
      {R"(s=("@method"))", "s=(:AAAA:)", MessageSignatureError::malformed_signature},
      {R"(s=("@method"))", "s=::", MessageSignatureError::malformed_signature},
      {R"(s=("@method"))", "s=:AA AA:", MessageSignatureError::malformed_signature},
      {R"(s=("@method" "@method"))", sig, MessageSignatureError::duplicate_component},
      {R"(s=("date" "date"))", sig, MessageSignatureError::duplicate_component},
      {R"(s=("@query-param";name="a" "@query-param";name="a"))", sig,
       MessageSignatureError::duplicate_component},
      {R"(s=("x";a;b "x";b;a))", sig, MessageSignatureError::duplicate_component},
      {R"(s=("Date"))", sig, MessageSignatureError::bad_component},
      {R"(s=(""))", sig, MessageSignatureError::bad_component},
      {R"(s=("@signature-params"))", sig, MessageSignatureError::bad_component},
      {R"(s=();created="1")", sig, MessageSignatureError::bad_parameter},
      {R"(s=();created=1.5)", sig, MessageSignatureError::bad_parameter},
      {R"(s=();expires=?1)", sig, MessageSignatureError::bad_parameter},
      {R"(s=();keyid=abc)", sig, MessageSignatureError::bad_parameter},
      {R"(s=();alg=rsa-pss-sha512)", sig, MessageSignatureError::bad_parameter},
      {R"(s=();nonce=1)", sig, MessageSignatureError::bad_parameter},
      {R"(s=();tag=:AAAA:)", sig, MessageSignatureError::bad_parameter},
      {std::string(kMaxSignatureInputBytes + 1, 'a'), sig, MessageSignatureError::too_long},
  };
  for (const auto& c : cases) {
    INFO(c.input << " | " << c.signature);
    const auto parsed = parse_message_signatures(c.input, c.signature);
    CHECK(parsed.error == c.error);
    if (c.error != MessageSignatureError::none) CHECK(parsed.signatures.empty());
  }
  // Distinct parameters make distinct components (RFC 9421 2).
  CHECK(parse_message_signatures(R"(s=("@query-param";name="a" "@query-param";name="b"))", sig));

  std::string many_inputs, many_signatures;
  for (std::size_t i = 0; i <= kMaxMessageSignatures; ++i) {
    const std::string label = "s" + std::to_string(i);
    many_inputs += (i ? ", " : "") + label + "=()";
    many_signatures += (i ? ", " : "") + label + "=:AAAA:";
  }
  CHECK(parse_message_signatures(many_inputs, many_signatures).error ==
        MessageSignatureError::too_many_signatures);
}

TEST_CASE("RFC 9421: signature bases that cannot be built", "[signature]") {
  struct Case {
    std::string input;
    SignatureBaseError error;
  };
  const std::vector<Case> cases = {
      {R"(s=("x-missing"))", SignatureBaseError::missing_header},
      {R"(s=("@status"))", SignatureBaseError::unsupported_component},
      {R"(s=("@unknown"))", SignatureBaseError::unsupported_component},
      {R"(s=("@method";req))", SignatureBaseError::unsupported_parameter},
      {R"(s=("date";sf))", SignatureBaseError::unsupported_parameter},
      {R"(s=("date";key="a"))", SignatureBaseError::unsupported_parameter},
      {R"(s=("date";bs))", SignatureBaseError::unsupported_parameter},
      {R"(s=("date";tr))", SignatureBaseError::unsupported_parameter},
      {R"(s=("@query-param"))", SignatureBaseError::unsupported_parameter},
      {R"(s=("@query-param";name=abc))", SignatureBaseError::unsupported_parameter},
      {R"(s=("@query-param";name="Pet";x))", SignatureBaseError::unsupported_parameter},
      {R"(s=("@query-param";name="nope"))", SignatureBaseError::missing_query_param},
      {R"(s=("@query-param";name="pet"))", SignatureBaseError::missing_query_param},
      {R"(s=("@query-param";name="twice"))", SignatureBaseError::missing_query_param},
      {R"(s=("x-newline"))", SignatureBaseError::bad_value},
      {R"(s=("x-utf8"))", SignatureBaseError::bad_value},
  };
  std::vector<kith::http::Header> headers = {
      {"Date", "Tue, 20 Apr 2021 02:07:55 GMT"}, {"X-Newline", "a\nb"}, {"X-Utf8", "caf\xc3\xa9"}};
  const RequestParts request{"POST", "/foo?param=Value&Pet=dog&twice=1&twice=2", "https",
                             "example.com", header_lookup(headers)};
  for (const auto& c : cases) {
    INFO(c.input);
    const auto parsed = parse_message_signatures(c.input, "s=:AAAA:");
    REQUIRE(parsed);
    const auto base = build_signature_base(parsed.signatures.front(), request);
    CHECK(base.error == c.error);
    CHECK(base.base.empty());
  }
}
