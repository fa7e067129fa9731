// The pure parts of federation's inbound edge: a GET signed by the
// Fetcher's signer verifies through prepare_signature/verify_prepared (so
// kith's signed fetches are what its own verifier accepts), the order of the
// verifier's steps and the failure each reports, the Content-Types a fetch
// accepts, what an actor document becomes as a remote account (key owner and
// origin, sanitised HTML), and who may fetch a status of each visibility.
#include <catch2/catch.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "kith/ap/digest.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/message_signature.hpp"
#include "kith/ap/rsa.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signature_policy.hpp"
#include "kith/ap/signature_verifier.hpp"
#include "kith/ap/visibility.hpp"
#include "kith/http/url.hpp"

using namespace kith;
using namespace kith::ap;
using namespace std::chrono_literals;

namespace {

const RsaKeyPair& signer_key() {
  static const RsaKeyPair key = generate_rsa_key_pair(2048);
  return key;
}

const RsaKeyPair& other_key() {
  static const RsaKeyPair key = generate_rsa_key_pair(2048);
  return key;
}

const auto kNow = std::chrono::system_clock::time_point(1'700'000'000s);
const std::string kKeyId = "https://remote.example/actor#main-key";

// A GET of `url` as kith's Fetcher signs it, as the receiving server sees it.
http::Request signed_get(const std::string& url,
                         std::chrono::system_clock::time_point when = kNow) {
  const http::UrlResult target = http::parse_url(url);
  REQUIRE(target);
  const auto key = RsaPrivateKey::from_pem(signer_key().private_pem);
  REQUIRE(key);
  http::Request request;
  request.method = "GET";
  request.target = target.url->request_target();
  request.path = target.url->path;
  // The client sends Host itself: the authority of the URL.
  request.headers.push_back({"Host", target.url->origin.authority()});
  for (http::Header& header : signed_get_headers(*key.key, kKeyId, *target.url, when))
    request.headers.push_back(std::move(header));
  return request;
}

}  // namespace

TEST_CASE("inbound edge: a fetch signed like kith's Fetcher verifies", "[inbound]") {
  const http::Request request = signed_get("https://localhost:8443/users/alice/statuses/1?x=1");
  CHECK(has_signature(request));
  const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow + 30s);
  REQUIRE(prepared);
  CHECK(prepared.signature->key_id == kKeyId);
  CHECK_FALSE(prepared.signature->rfc9421);
  CHECK(prepared.signature->signed_data ==
        "(request-target): get /users/alice/statuses/1?x=1\nhost: localhost:8443\ndate: "
        "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(verify_prepared(*prepared.signature, signer_key().public_pem) == VerifyFailure::none);
  CHECK(verify_prepared(*prepared.signature, other_key().public_pem) ==
        VerifyFailure::bad_signature);
  CHECK(verify_prepared(*prepared.signature, "not a key") == VerifyFailure::bad_key);
}

TEST_CASE("inbound edge: what is decided before any key is looked up", "[inbound]") {
  SECTION("no signature at all") {
    http::Request request;
    request.method = "POST";
    request.target = "/inbox";
    CHECK_FALSE(has_signature(request));
    const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow);
    CHECK(prepared.failure == VerifyFailure::unsigned_request);
    CHECK(prepared.reason.rfind("unsigned_request", 0) == 0);
  }
  SECTION("signed for another server") {
    const http::Request request = signed_get("https://other.example/users/alice");
    const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow);
    CHECK(prepared.failure == VerifyFailure::policy);
  }
  SECTION("outside the time window, both ways") {
    const http::Request request = signed_get("https://localhost:8443/users/alice");
    CHECK(prepare_signature(request, "localhost:8443", kNow + 2h).failure == VerifyFailure::policy);
    CHECK(prepare_signature(request, "localhost:8443", kNow - 2h).failure == VerifyFailure::policy);
    CHECK(prepare_signature(request, "localhost:8443", kNow + 30min));
  }
  SECTION("a POST whose digest is not signed") {
    http::Request request = signed_get("https://localhost:8443/inbox");
    request.method = "POST";
    request.body = R"({"type":"Create"})";
    // The GET signature names "get": it is re-signed for the POST below.
    const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow);
    CHECK(prepared.failure == VerifyFailure::policy);
    CHECK(prepared.reason.find("digest") != std::string::npos);
  }
  SECTION("the request target is bound") {
    http::Request request = signed_get("https://localhost:8443/users/alice/followers");
    request.target = "/users/alice/following";
    const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow);
    REQUIRE(prepared);
    CHECK(verify_prepared(*prepared.signature, signer_key().public_pem) ==
          VerifyFailure::bad_signature);
  }
  SECTION("malformed, or given twice") {
    http::Request request = signed_get("https://localhost:8443/users/alice");
    http::Request twice = request;
    twice.headers.push_back({"Signature", "keyId=\"x\",signature=\"AAAA\""});
    CHECK(prepare_signature(twice, "localhost:8443", kNow).failure ==
          VerifyFailure::malformed_signature);
    for (auto& header : request.headers)
      if (header.name == "Signature") header.value = "garbage";
    CHECK(prepare_signature(request, "localhost:8443", kNow).failure ==
          VerifyFailure::malformed_signature);
    http::Request input_only;
    input_only.method = "GET";
    input_only.target = "/";
    input_only.headers.push_back({"Signature-Input", "sig1=(\"@method\");keyid=\"k\""});
    CHECK(prepare_signature(input_only, "localhost:8443", kNow).failure ==
          VerifyFailure::malformed_signature);
  }
  SECTION("Authorization: Signature is read as well") {
    http::Request request = signed_get("https://localhost:8443/users/alice");
    for (auto& header : request.headers)
      if (header.name == "Signature") {
        header.name = "Authorization";
        header.value = "Signature " + header.value;
      }
    CHECK(has_signature(request));
    const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow);
    REQUIRE(prepared);
    CHECK(verify_prepared(*prepared.signature, signer_key().public_pem) == VerifyFailure::none);
  }
}

TEST_CASE("inbound edge: an RFC 9421 signed POST goes through the same steps", "[inbound]") {
  http::Request request;
  request.method = "POST";
  request.target = "/users/alice/inbox";
  request.body = R"({"type":"Create"})";
  request.headers = {{"Host", "localhost:8443"},
                     {"Content-Type", "application/activity+json"},
                     {"Content-Digest", content_digest_sha256(request.body)}};
  const std::int64_t created =
      std::chrono::duration_cast<std::chrono::seconds>(kNow.time_since_epoch()).count();
  MessageSignature signature;
  signature.input = make_signature_input({"@method", "@target-uri", "content-digest"}, created,
                                         kKeyId, "rsa-v1_5-sha256");
  const RequestParts parts{request.method, request.target, "https", "localhost:8443",
                           header_lookup(request.headers)};
  const auto base = build_signature_base(signature, parts);
  REQUIRE(base);
  const auto bytes = sign_rsa_sha256(signer_key().private_pem, base.base);
  REQUIRE(bytes);
  request.headers.push_back({"Signature-Input", "sig1=" + signature.signature_params()});
  request.headers.push_back({"Signature", "sig1=:" + base64_encode(*bytes) + ":"});
  CHECK(has_signature(request));

  const PrepareResult prepared = prepare_signature(request, "localhost:8443", kNow);
  REQUIRE(prepared);
  CHECK(prepared.signature->rfc9421);
  CHECK(prepared.signature->key_id == kKeyId);
  CHECK(verify_prepared(*prepared.signature, signer_key().public_pem) == VerifyFailure::none);
  CHECK(verify_prepared(*prepared.signature, other_key().public_pem) ==
        VerifyFailure::bad_signature);

  http::Request changed = request;
  changed.body = R"({"type":"Delete"})";
  const PrepareResult refused = prepare_signature(changed, "localhost:8443", kNow);
  CHECK(refused.failure == VerifyFailure::policy);
  CHECK(refused.reason.find("digest") != std::string::npos);
}

TEST_CASE("inbound edge: the Content-Types a fetched document may have", "[inbound]") {
  for (const char* good : {"application/activity+json", "application/activity+json; charset=utf-8",
                           "Application/Activity+JSON",
                           "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"",
                           "application/ld+json;profile=\"https://example.org/p "
                           "https://www.w3.org/ns/activitystreams\""}) {
    INFO(good);
    CHECK(is_activity_streams_content_type(good));
  }
  for (const char* bad :
       {"", "application/json", "application/ld+json", "text/html",
        "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams-x\"",
        "application/activity+json, text/html", "application/*", "*/*"}) {
    INFO(bad);
    CHECK_FALSE(is_activity_streams_content_type(bad));
  }
}

TEST_CASE("inbound edge: an actor document as a remote account", "[inbound]") {
  Actor actor;
  actor.id = "https://Remote.Example/users/bob";
  actor.type = "Service";
  actor.preferred_username = "bob";
  actor.name = "Bob <3";
  actor.summary = "<p>hi</p><script>alert(1)</script><a href=\"javascript:x\">x</a>";
  actor.inbox = "https://remote.example/users/bob/inbox";
  actor.public_key = PublicKey{"https://remote.example/users/bob#main-key",
                               "https://remote.example/users/bob", "PEM"};
  actor.fields = {{"site", "<a href=\"https://bob.example\">bob</a><img src=x onerror=y>"}};
  actor.also_known_as = {"https://OLD.example/users/bob", "not a url"};
  const std::string id = "https://remote.example/users/bob";

  SECTION("a good one") {
    auto data = to_remote_actor(actor, id);
    REQUIRE(data);
    CHECK(data->username == "bob");
    CHECK(data->domain == "remote.example");
    CHECK(data->uri == id);
    CHECK(data->display_name == "Bob <3");  // plain text, escaped where shown
    CHECK(data->note.find("<script") == std::string::npos);
    CHECK(data->note.find("javascript") == std::string::npos);
    CHECK(data->note.find("<p>hi</p>") != std::string::npos);
    REQUIRE(data->fields.size() == 1);
    CHECK(data->fields[0].value.find("onerror") == std::string::npos);
    CHECK(data->public_key_id == "https://remote.example/users/bob#main-key");
    CHECK(data->public_key_pem == "PEM");
    CHECK(data->bot);
    CHECK(data->also_known_as == std::vector<std::string>{"https://old.example/users/bob"});
  }
  SECTION("a key owned by someone else is dropped") {
    actor.public_key->owner = "https://remote.example/users/mallory";
    auto data = to_remote_actor(actor, id);
    REQUIRE(data);
    CHECK(data->public_key_pem.empty());
    CHECK(data->public_key_id.empty());
  }
  SECTION("a key id on another origin is dropped") {
    actor.public_key->id = "https://evil.example/keys/bob";
    auto data = to_remote_actor(actor, id);
    REQUIRE(data);
    CHECK(data->public_key_pem.empty());
  }
  SECTION("a profile url on the actor's origin is kept") {
    actor.url = "https://remote.example/@bob";
    auto data = to_remote_actor(actor, id);
    REQUIRE(data);
    CHECK(data->url == "https://remote.example/@bob");
  }
  SECTION("a profile url on another origin is not kept") {
    actor.url = "https://victim.example/@bob";
    auto data = to_remote_actor(actor, id);
    REQUIRE(data);
    CHECK(data->url.empty());
    actor.url = "not a url";
    CHECK(to_remote_actor(actor, id)->url.empty());
  }
  SECTION("no preferredUsername, no account") {
    actor.preferred_username.clear();
    CHECK_FALSE(to_remote_actor(actor, id));
  }
}

TEST_CASE("inbound edge: who may fetch a status of each visibility", "[inbound][visibility]") {
  db::StatusRecord status;
  status.uri = "https://localhost:8443/users/alice/statuses/1";
  status.mentions = {{"https://remote.example/users/carol", "carol", "remote.example", false},
                     {"https://remote.example/users/dan", "dan", "remote.example", true}};
  const FetchSigner follower{1, "https://remote.example/users/bob", true};
  const FetchSigner mentioned{2, "https://remote.example/users/carol", false};
  const FetchSigner silently_addressed{3, "https://remote.example/users/dan", false};
  const FetchSigner stranger{4, "https://remote.example/users/erin", false};
  struct Row {
    db::Visibility visibility;
    bool anonymous, follower, mentioned, silent, stranger;
  };
  for (const Row& row : std::vector<Row>{
           {db::Visibility::public_, true, true, true, true, true},
           {db::Visibility::unlisted, true, true, true, true, true},
           {db::Visibility::private_, false, true, true, true, false},
           {db::Visibility::direct, false, false, true, true, false},
           {db::Visibility::local, false, false, false, false, false},
       }) {
    INFO(db::visibility_name(row.visibility));
    status.visibility = row.visibility;
    CHECK(may_fetch(status, nullptr) == row.anonymous);
    CHECK(may_fetch(status, &follower) == row.follower);
    CHECK(may_fetch(status, &mentioned) == row.mentioned);
    CHECK(may_fetch(status, &silently_addressed) == row.silent);
    CHECK(may_fetch(status, &stranger) == row.stranger);
  }
  const auto for_follower = collection_visibilities(&follower);
  CHECK(std::vector<db::Visibility>(for_follower.begin(), for_follower.end()) ==
        std::vector<db::Visibility>{db::Visibility::public_, db::Visibility::unlisted,
                                    db::Visibility::private_});
  const auto for_stranger = collection_visibilities(&stranger);
  CHECK(for_stranger.size() == 2);
  CHECK(publicly_cacheable(nullptr));
  CHECK_FALSE(publicly_cacheable(&stranger));
}
