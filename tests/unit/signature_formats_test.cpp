// The wire formats under HTTP Signatures, each from its spec: strict base64,
// RFC 8941 dictionaries (parse, refuse, serialise back unchanged), the
// draft-cavage Signature header (good forms, defaults, and a block of
// hostile ones), the cavage signing string (the draft's own example), and
// Digest / Content-Digest (parsing, recomputing, refusing).
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "kith/ap/base64.hpp"
#include "kith/ap/digest.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signing_string.hpp"
#include "kith/ap/structured_field.hpp"

using namespace kith::ap;
using namespace std::string_literals;

namespace {

std::string text_of(const Bytes& bytes) {
  return std::string(bytes.begin(), bytes.end());
}

// A request as the signature code sees it, over an owned header list.
struct FakeRequest {
  std::string method = "POST";
  std::string target = "/foo?param=value&pet=dog";
  std::vector<kith::http::Header> headers;
  RequestParts parts() const {
    return RequestParts{method, target, "https", "example.com", header_lookup(headers)};
  }
};

}  // namespace

TEST_CASE("base64: RFC 4648 test vectors and strictness", "[signature]") {
  // RFC 4648 10.
  const std::vector<std::pair<std::string, std::string>> vectors = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    INFO(encoded);
    CHECK(base64_encode(plain) == encoded);
    const auto decoded = base64_decode(encoded);
    REQUIRE(decoded);
    CHECK(text_of(*decoded) == plain);
  }
  CHECK(text_of(base64_decode("Zg", Base64Padding::optional).value()) == "f");
  CHECK(text_of(base64_decode("Zm8", Base64Padding::optional).value()) == "fo");
  CHECK(base64_decode("Zh==").has_value());  // non-zero pad bits are tolerated
  CHECK(base64_decode("+/+/").value() == Bytes{0xfb, 0xff, 0xbf});

  const std::vector<std::string> bad = {
      "Zg",    "Zm8",    "Z",     "Zg=",   "Zg===", "=",       "==",      "Zm9v=", "Zg==Zg==",
      "Zm 9v", "Zm9v\n", " Zm9v", "Zm9v ", "Zm-_",  "Zm9v\0"s, "Zm\x80v", "Z===",  "Zm=v",
  };
  for (const auto& text : bad) {
    INFO(text);
    CHECK_FALSE(base64_decode(text).has_value());
  }
  CHECK_FALSE(base64_decode("Z", Base64Padding::optional).has_value());
  CHECK_FALSE(base64_decode("Zm9vY", Base64Padding::optional).has_value());
}

TEST_CASE("structured fields: dictionaries from RFC 8941 examples", "[signature]") {
  struct Case {
    std::string input;
    std::string serialized;  // the RFC's canonical form
  };
  const std::vector<Case> cases = {
      {R"(en="Applepie", da=:w4ZibGV0w6ZydGU=:)", R"(en="Applepie", da=:w4ZibGV0w6ZydGU=:)"},
      {"a=?0, b, c; foo=bar", "a=?0, b, c;foo=bar"},
      {"rating=1.5, feelings=(joy sadness)", "rating=1.5, feelings=(joy sadness)"},
      {"a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid", "a=(1 2), b=3, c=4;aa=bb, d=(5 6);valid"},
      {"  a=1 ,\tb=2  ", "a=1, b=2"},
      {"a=(  1   2  )", "a=(1 2)"},
      {"a=()", "a=()"},
      {"a=1.50, b=-0.001, c=123456789012.123", "a=1.5, b=-0.001, c=123456789012.123"},
      {"a=-999999999999999, b=999999999999999", "a=-999999999999999, b=999999999999999"},
      {R"(a="\"\\")", R"(a="\"\\")"},
      {"a=*tok:en/x", "a=*tok:en/x"},
      {"a=:cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg:",
       "a=:cHJldGVuZCB0aGlzIGlzIGJpbmFyeSBjb250ZW50Lg==:"},
      {"a=?1;x", "a;x"},
      {"*a=1", "*a=1"},
      {"", ""},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    const auto parsed = sf::parse_dictionary(c.input);
    REQUIRE(parsed);
    CHECK(sf::serialize(*parsed.dictionary) == c.serialized);
    // Serialising is a fixed point.
    const auto again = sf::parse_dictionary(c.serialized);
    REQUIRE(again);
    CHECK(*again.dictionary == *parsed.dictionary);
  }
}

TEST_CASE("structured fields: refused dictionaries", "[signature]") {
  struct Case {
    std::string input;
    sf::Error error;
  };
  const std::vector<Case> cases = {
      {"a=1,", sf::Error::syntax},  // trailing comma
      {"a=1,,b=2", sf::Error::syntax},
      {"A=1", sf::Error::syntax},  // upper-case key
      {"1a=1", sf::Error::syntax},
      {"a =1", sf::Error::syntax},
      {"a= 1", sf::Error::syntax},
      {"a=1 b=2", sf::Error::syntax},
      {"a=(1,2)", sf::Error::syntax},
      {"a=(1", sf::Error::syntax},
      {"a=((1))", sf::Error::syntax},  // no nested inner lists
      {"a=\"unterminated", sf::Error::syntax},
      {R"(a="\x")", sf::Error::syntax},  // only \" and \\ may be escaped
      {"a=\"tab\there\"", sf::Error::syntax},
      {"a=\"\xc3\xa9\"", sf::Error::syntax},      // non-ASCII
      {"a=1234567890123456", sf::Error::syntax},  // 16 digits
      {"a=1234567890123.1", sf::Error::syntax},   // 13 integer digits in a decimal
      {"a=1.1234", sf::Error::syntax},
      {"a=1.", sf::Error::syntax},
      {"a=-", sf::Error::syntax},
      {"a=--1", sf::Error::syntax},
      {"a=:aGVsbG8:x", sf::Error::syntax},
      {"a=:aGV sbG8=:", sf::Error::syntax},
      {"a=:aGVsbG8=", sf::Error::syntax},
      {"a=:a-_b:", sf::Error::syntax},
      {"a=?2", sf::Error::syntax},
      {"a=?", sf::Error::syntax},
      {"a=@1659578233", sf::Error::syntax},  // RFC 9651 Date: not supported
      {"a=%\"x\"", sf::Error::syntax},       // RFC 9651 Display String
      {"a=1;B=2", sf::Error::syntax},
      {"a=1;", sf::Error::syntax},
      {"a=#", sf::Error::syntax},
      {"a=1, a=2", sf::Error::duplicate_key},  // RFC 8941 keeps the last; kith refuses
      {"a=1;x=1;x=2", sf::Error::duplicate_key},
      {"a=(1);x;x", sf::Error::duplicate_key},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    const auto parsed = sf::parse_dictionary(c.input);
    CHECK_FALSE(parsed);
    CHECK(parsed.error == c.error);
  }
}

TEST_CASE("structured fields: limits", "[signature]") {
  sf::Limits limits;
  limits.max_members = 2;
  limits.max_inner_items = 3;
  limits.max_parameters = 2;
  limits.max_bytes = 40;
  CHECK(sf::parse_dictionary("a=1, b=2", limits));
  CHECK(sf::parse_dictionary("a=1, b=2, c=3", limits).error == sf::Error::too_many);
  CHECK(sf::parse_dictionary("a=(1 2 3)", limits));
  CHECK(sf::parse_dictionary("a=(1 2 3 4)", limits).error == sf::Error::too_many);
  CHECK(sf::parse_dictionary("a=1;x;y", limits));
  CHECK(sf::parse_dictionary("a=1;x;y;z", limits).error == sf::Error::too_many);
  CHECK(sf::parse_dictionary(std::string(41, 'a'), limits).error == sf::Error::too_long);
}

TEST_CASE("cavage Signature header: the forms servers send", "[signature]") {
  // Mastodon's outgoing form.
  const auto mastodon = parse_signature_header(
      R"(keyId="https://mastodon.example/users/alice#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest content-type",signature="Zm9vYmFy")");
  REQUIRE(mastodon);
  CHECK(mastodon.signature->key_id == "https://mastodon.example/users/alice#main-key");
  CHECK(mastodon.signature->algorithm == "rsa-sha256");
  CHECK(mastodon.signature->headers ==
        std::vector<std::string>{"(request-target)", "host", "date", "digest", "content-type"});
  CHECK(mastodon.signature->headers_given);
  CHECK(text_of(mastodon.signature->signature) == "foobar");
  CHECK_FALSE(mastodon.signature->created);

  // cavage-12 4.1.1 with created and expires as tokens, spaces after commas,
  // upper-case names in the list, and a parameter kith does not know.
  const auto hs2019 = parse_signature_header(
      R"(keyId="rsa-key-1", algorithm="HS2019", created=1402170695, expires=1402170995.5, headers="(request-target) (created) (expires) Host Digest", signature="Zm9v", extra="ignored")");
  REQUIRE(hs2019);
  CHECK(hs2019.signature->algorithm == "hs2019");
  CHECK(hs2019.signature->created->seconds == 1402170695);
  CHECK(hs2019.signature->created->text == "1402170695");
  CHECK(hs2019.signature->expires->seconds == 1402170995);
  CHECK(hs2019.signature->expires->text == "1402170995.5");
  CHECK(hs2019.signature->headers ==
        std::vector<std::string>{"(request-target)", "(created)", "(expires)", "host", "digest"});

  // Parameter names are case-insensitive; values may be tokens.
  const auto tokens = parse_signature_header("KEYID=abc,SIGNATURE=\"Zm9v\",Algorithm=rsa-sha256");
  REQUIRE(tokens);
  CHECK(tokens.signature->key_id == "abc");

  // Quoted-pair escapes are undone.
  const auto escaped = parse_signature_header(R"(keyId="a\"b\\c",signature="Zm9v")");
  REQUIRE(escaped);
  CHECK(escaped.signature->key_id == R"(a"b\c)");

  // The Authorization form (cavage-12 3.1), scheme case-insensitive.
  const auto authorization = parse_authorization_header(
      R"(Signature keyId="Test",algorithm="rsa-sha256",signature="Zm9v")");
  REQUIRE(authorization);
  CHECK(authorization.signature->key_id == "Test");
  CHECK(parse_authorization_header(R"(signature  keyId="Test",signature="Zm9v")"));
  CHECK(parse_authorization_header(R"(Bearer keyId="Test",signature="Zm9v")").error ==
        CavageError::not_signature_scheme);
  CHECK(parse_authorization_header(R"(SignatureX keyId="Test",signature="Zm9v")").error ==
        CavageError::not_signature_scheme);
  CHECK(parse_authorization_header("Signature").error == CavageError::not_signature_scheme);
}

TEST_CASE("cavage Signature header: default headers follow the algorithm", "[signature]") {
  // cavage-12 2.1.6 and Appendix C.1; Mastodon: hs2019 (or none) -> (created).
  const auto rsa = parse_signature_header(R"(keyId="k",algorithm="rsa-sha256",signature="Zm9v")");
  REQUIRE(rsa);
  CHECK(rsa.signature->headers == std::vector<std::string>{"date"});
  CHECK_FALSE(rsa.signature->headers_given);
  const auto hs = parse_signature_header(R"(keyId="k",algorithm="hs2019",signature="Zm9v")");
  CHECK(hs.signature->headers == std::vector<std::string>{"(created)"});
  const auto none = parse_signature_header(R"(keyId="k",signature="Zm9v")");
  CHECK(none.signature->headers == std::vector<std::string>{"(created)"});
}

TEST_CASE("cavage Signature header: hostile and broken values", "[signature]") {
  const std::string sig = R"(signature="Zm9v")";
  struct Case {
    std::string input;
    CavageError error;
  };
  const std::vector<Case> cases = {
      {"", CavageError::syntax},
      {R"(keyId="k",)" + sig + ",", CavageError::syntax},
      {R"(keyId="k",,)" + sig, CavageError::syntax},
      {R"(keyId="k" )" + sig, CavageError::syntax},
      {R"(keyId="k)", CavageError::syntax},
      {R"(keyId=,)" + sig, CavageError::syntax},
      {R"(keyId="k";)" + sig, CavageError::syntax},
      {R"(="k",)" + sig, CavageError::syntax},
      {R"(keyId="a)"
       "\x01"
       R"(b",)" +
           sig,
       CavageError::syntax},
      {R"(keyId="a)"
       "\n"
       R"(b",)" +
           sig,
       CavageError::syntax},
      {R"(keyId="caf)"
       "\xc3\xa9"
       R"(",)" +
           sig,
       CavageError::syntax},
      {R"(keyId="k\)", CavageError::syntax},
      {R"(keyId="k",keyId="k2",)" + sig, CavageError::duplicate_parameter},
      {R"(keyId="k",keyid="k2",)" + sig, CavageError::duplicate_parameter},
      {R"(keyId="k",)" + sig + "," + sig, CavageError::duplicate_parameter},
      {R"(keyId="k",headers="date",headers="host",)" + sig, CavageError::duplicate_parameter},
      {R"(keyId="k",algorithm="rsa-sha256",algorithm="hs2019",)" + sig,
       CavageError::duplicate_parameter},
      {R"(keyId="k",x="1",x="2",)" + sig, CavageError::duplicate_parameter},
      {sig, CavageError::missing_key_id},
      {R"(keyId="",)" + sig, CavageError::missing_key_id},
      {R"(keyId=")" + std::string(kMaxKeyIdBytes + 1, 'k') + R"(",)" + sig,
       CavageError::key_id_too_long},
      {R"(keyId="k")", CavageError::missing_signature},
      {R"(keyId="k",signature="")", CavageError::missing_signature},
      {R"(keyId="k",signature="Zm9")", CavageError::bad_signature},
      {R"(keyId="k",signature="Zm9v!")", CavageError::bad_signature},
      {R"(keyId="k",signature="Zm 9v")", CavageError::bad_signature},
      {R"(keyId="k",signature="Zm-_")", CavageError::bad_signature},
      {R"(keyId="k",signature="====")", CavageError::bad_signature},
      {R"(keyId="k",signature=")" + std::string(2000, 'A') + R"(")", CavageError::bad_signature},
      {R"(keyId="k",headers="",)" + sig, CavageError::bad_headers},
      {R"(keyId="k",headers="   ",)" + sig, CavageError::bad_headers},
      {R"(keyId="k",headers="date date",)" + sig, CavageError::bad_headers},
      {R"(keyId="k",headers="Date date",)" + sig, CavageError::bad_headers},
      {R"(keyId="k",headers="date ho:st",)" + sig, CavageError::bad_headers},
      {R"~(keyId="k",headers="()",)~" + sig, CavageError::bad_headers},
      {R"(keyId="k",created="12a",)" + sig, CavageError::bad_created},
      {R"(keyId="k",created="",)" + sig, CavageError::bad_created},
      {R"(keyId="k",created=-1,)" + sig, CavageError::bad_created},
      {R"(keyId="k",created="1.5",)" + sig, CavageError::bad_created},
      {R"(keyId="k",created="0x10",)" + sig, CavageError::bad_created},
      {R"(keyId="k",created=" 1",)" + sig, CavageError::bad_created},
      {R"(keyId="k",created="9999999999999999",)" + sig, CavageError::bad_created},
      {R"(keyId="k",expires="soon",)" + sig, CavageError::bad_expires},
      {R"(keyId="k",expires="1.",)" + sig, CavageError::bad_expires},
      {R"(keyId="k",expires=".5",)" + sig, CavageError::bad_expires},
      {std::string(kMaxSignatureHeaderBytes + 1, 'a'), CavageError::too_long},
  };
  for (const auto& c : cases) {
    INFO(c.input);
    const auto parsed = parse_signature_header(c.input);
    CHECK_FALSE(parsed);
    CHECK(parsed.error == c.error);
  }

  std::string many = R"(keyId="k",)" + sig;
  for (std::size_t i = 0; i < kMaxSignatureParameters; ++i) many += ",p" + std::to_string(i) + "=1";
  CHECK(parse_signature_header(many).error == CavageError::too_many_parameters);
  std::string names;
  for (std::size_t i = 0; i <= kMaxSignedHeaders; ++i) names += " x-h" + std::to_string(i);
  CHECK(parse_signature_header(R"(keyId="k",headers=")" + names + "\"," + sig).error ==
        CavageError::bad_headers);
}

TEST_CASE("cavage Signature header: serialising and parsing agree", "[signature]") {
  CavageSignature signature;
  signature.key_id = R"(https://kith.example/users/a"b#main-key)";
  signature.algorithm = "rsa-sha256";
  signature.headers = {"(request-target)", "host", "date", "digest"};
  signature.headers_given = true;
  signature.signature = {0, 1, 2, 250, 251, 252, 253};
  const std::string header = serialize_signature_header(signature);
  CHECK(
      header ==
      R"(keyId="https://kith.example/users/a\"b#main-key",algorithm="rsa-sha256",headers="(request-target) host date digest",signature="AAEC+vv8/Q==")");
  const auto parsed = parse_signature_header(header);
  REQUIRE(parsed);
  CHECK(*parsed.signature == signature);

  signature.algorithm = "hs2019";
  signature.created = SignatureTime{"1402170695", 1402170695};
  signature.expires = SignatureTime{"1402170995", 1402170995};
  const auto again = parse_signature_header(serialize_signature_header(signature));
  REQUIRE(again);
  CHECK(*again.signature == signature);
}

TEST_CASE("cavage signing string: the draft's section 2.3 example", "[signature]") {
  // headers "(request-target) (created) host date cache-control
  // x-emptyheader x-example", with the obsolete line folding of X-Example
  // already undone by the HTTP parser.
  FakeRequest request;
  request.method = "GET";
  request.target = "/foo";
  request.headers = {{"Host", "example.org"},
                     {"Date", "Tue, 07 Jun 2014 20:51:35 GMT"},
                     {"X-Example", "Example header with some whitespace."},
                     {"X-EmptyHeader", ""},
                     {"Cache-Control", "max-age=60"},
                     {"Cache-Control", "must-revalidate"}};
  CavageSignature signature;
  signature.algorithm = "hs2019";
  signature.created = SignatureTime{"1402170695", 1402170695};
  signature.headers = {"(request-target)", "(created)",     "host",     "date",
                       "cache-control",    "x-emptyheader", "x-example"};
  const auto built = build_signing_string(signature, request.parts());
  REQUIRE(built);
  CHECK(built.text ==
        "(request-target): get /foo\n"
        "(created): 1402170695\n"
        "host: example.org\n"
        "date: Tue, 07 Jun 2014 20:51:35 GMT\n"
        "cache-control: max-age=60, must-revalidate\n"
        "x-emptyheader: \n"
        "x-example: Example header with some whitespace.");
}

TEST_CASE("cavage signing string: refusals", "[signature]") {
  FakeRequest request;
  request.headers = {{"Host", "example.com"}, {"Date", "Tue, 07 Jun 2014 20:51:35 GMT"}};
  CavageSignature signature;
  signature.algorithm = "rsa-sha256";

  signature.headers = {"(request-target)", "host", "digest"};
  auto built = build_signing_string(signature, request.parts());
  CHECK(built.error == SigningStringError::missing_header);
  CHECK(built.detail == "digest");
  CHECK(built.text.empty());

  // cavage-12 2.3: (created) with an rsa- algorithm "MUST produce an error".
  signature.headers = {"(request-target)", "(created)"};
  signature.created = SignatureTime{"1", 1};
  CHECK(build_signing_string(signature, request.parts()).error ==
        SigningStringError::created_not_allowed);
  signature.algorithm = "hs2019";
  CHECK(build_signing_string(signature, request.parts()));
  signature.created.reset();
  CHECK(build_signing_string(signature, request.parts()).error ==
        SigningStringError::missing_created);
  signature.headers = {"(expires)"};
  CHECK(build_signing_string(signature, request.parts()).error ==
        SigningStringError::missing_expires);
  signature.headers = {"(request-target)", "(nonsense)"};
  CHECK(build_signing_string(signature, request.parts()).error ==
        SigningStringError::unknown_pseudo_header);

  // A value that would add a line of its own.
  signature.headers = {"host", "x-evil"};
  request.headers.push_back({"X-Evil", "a\n(request-target): get /admin"});
  CHECK(build_signing_string(signature, request.parts()).error ==
        SigningStringError::bad_header_value);
  request.target = "/a\nb";
  signature.headers = {"(request-target)"};
  CHECK(build_signing_string(signature, request.parts()).error ==
        SigningStringError::bad_header_value);
}

TEST_CASE("digest: Digest header (RFC 3230)", "[signature]") {
  const std::string body = R"({"hello": "world"})";
  const std::string good = "SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=";
  CHECK(digest_header_sha256(body) == good);
  CHECK(check_digest_header(good, body) == DigestCheck::match);
  CHECK(check_digest_header("sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", body) ==
        DigestCheck::match);
  CHECK(check_digest_header("MD5=abc, " + good, body) == DigestCheck::match);
  CHECK(check_digest_header(good + " , SHA=abc", body) == DigestCheck::match);
  const std::string with_sha512 = "SHA-512=" + base64_encode(sha512(body));
  CHECK(check_digest_header(with_sha512, body) == DigestCheck::match);
  CHECK(check_digest_header(good + "," + with_sha512, body) == DigestCheck::match);

  CHECK(check_digest_header(good, body + " ") == DigestCheck::mismatch);
  CHECK(check_digest_header(good, "") == DigestCheck::mismatch);
  CHECK(check_digest_header(digest_header_sha256("other"), body) == DigestCheck::mismatch);
  // Every known algorithm present must match, not just one.
  CHECK(check_digest_header(good + ",SHA-512=" + base64_encode(sha512("x")), body) ==
        DigestCheck::mismatch);
  CHECK(check_digest_header("MD5=abc", body) == DigestCheck::unsupported);
  CHECK(check_digest_header("SHA=abc,UNIXsum=12", body) == DigestCheck::unsupported);

  const std::vector<std::pair<std::string, DigestError>> bad = {
      {"", DigestError::syntax},
      {"SHA-256", DigestError::syntax},
      {"SHA-256=", DigestError::syntax},
      {"=abc", DigestError::syntax},
      {good + ",", DigestError::syntax},
      {good + ";x", DigestError::bad_value},
      {"SHA-256 =" + good.substr(8), DigestError::syntax},
      {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE", DigestError::bad_value},
      {"SHA-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=x", DigestError::bad_value},
      {"SHA-256=Zm9v", DigestError::bad_value},  // base64, wrong length
      {"SHA-256=" + std::string(44, '!'), DigestError::bad_value},
      {good + "," + good, DigestError::duplicate_algorithm},
      {good + ",sha-256=" + good.substr(8), DigestError::duplicate_algorithm},
      {"a=1,b=2,c=3,d=4,e=5,f=6,g=7,h=8,i=9", DigestError::too_many},
      {std::string(kMaxDigestHeaderBytes + 1, 'a'), DigestError::too_long},
  };
  for (const auto& [value, error] : bad) {
    INFO(value);
    const auto parsed = parse_digest_header(value);
    CHECK_FALSE(parsed);
    CHECK(parsed.error == error);
    CHECK(check_digest_header(value, body) == DigestCheck::malformed);
  }
}

TEST_CASE("digest: Content-Digest (RFC 9530)", "[signature]") {
  const std::string body = R"({"hello": "world"})";
  // RFC 9530 appendix B.1's sha-256 value, and RFC 9421's test-request.
  CHECK(content_digest_sha256(body) == "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:");
  CHECK(check_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", body) ==
        DigestCheck::match);
  CHECK(
      check_content_digest("sha-512=:WZDPaVn/7XgHaAy8pmojAkGWoRx2UFChF41A2svX+TaPm+AbwAgBWnrIiYllu7"
                           "BNNyealdVLvRwEmTHWXvJwew==:",
                           body) == DigestCheck::match);
  CHECK(check_content_digest("md5=:AAAA:, sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
                             body) == DigestCheck::match);
  CHECK(check_content_digest("sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:", "x") ==
        DigestCheck::mismatch);
  CHECK(check_content_digest("md5=:AAAA:", body) == DigestCheck::unsupported);

  const std::vector<std::pair<std::string, DigestError>> bad = {
      {"SHA-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
       DigestError::syntax},  // sf keys are lower case
      {"sha-256=X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=", DigestError::syntax},
      {"sha-256=\"X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=\"", DigestError::syntax},
      {"sha-256=(:AAAA:)", DigestError::syntax},
      {"sha-256", DigestError::syntax},
      {"sha-256=:Zm9v:", DigestError::bad_value},
      {"sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:, "
       "sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:",
       DigestError::duplicate_algorithm},
  };
  for (const auto& [value, error] : bad) {
    INFO(value);
    const auto parsed = parse_content_digest(value);
    CHECK_FALSE(parsed);
    CHECK(parsed.error == error);
    CHECK(check_content_digest(value, body) == DigestCheck::malformed);
  }
}

TEST_CASE("digest: constant-time comparison", "[signature]") {
  const Bytes a{1, 2, 3}, b{1, 2, 3}, c{1, 2, 4}, d{1, 2};
  CHECK(constant_time_equal(a, b));
  CHECK_FALSE(constant_time_equal(a, c));
  CHECK_FALSE(constant_time_equal(a, d));
  CHECK(constant_time_equal(Bytes{}, Bytes{}));
}
