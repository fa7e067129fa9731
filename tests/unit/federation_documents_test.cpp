// What kith serves to other servers, built from database values: actors
// and notes read back through kith's own ActivityStreams reader to the same
// fields, addressing follows visibility, and the fetch rule serves only
// public and unlisted statuses (local-only never).
#include <catch2/catch.hpp>

#include "kith/ap/activity.hpp"
#include "kith/ap/activity_writer.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/to_activitystreams.hpp"
#include "kith/ap/visibility.hpp"

using namespace kith;

namespace {

db::LocalAccount sample_account() {
  db::LocalAccount a;
  a.id = 1;
  a.username = "alice";
  a.uri = ap::urls::actor("localhost:8443", "alice");
  a.url = ap::urls::profile_page("localhost:8443", "alice");
  a.inbox_url = ap::urls::inbox(a.uri);
  a.outbox_url = ap::urls::outbox(a.uri);
  a.shared_inbox_url = ap::urls::shared_inbox("localhost:8443");
  a.followers_url = ap::urls::followers(a.uri);
  a.following_url = ap::urls::following(a.uri);
  a.featured_url = ap::urls::featured(a.uri);
  a.public_key_pem = "-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----\n";
  a.public_key_id = ap::urls::key_id(a.uri);
  a.locked = true;
  a.created_at = "2024-01-02T03:04:05.678Z";
  return a;
}

db::StatusRecord sample_status(db::Visibility visibility) {
  db::StatusRecord s;
  s.id = 42;
  s.account_id = 1;
  s.account_uri = ap::urls::actor("localhost:8443", "alice");
  s.account_followers_url = ap::urls::followers(s.account_uri);
  s.uri = ap::urls::status(s.account_uri, 42);
  s.url = ap::urls::status_page("localhost:8443", "alice", 42);
  s.visibility = visibility;
  s.content = "<p>hello</p>";
  s.language = "en";
  s.created_at = "2024-01-02T03:04:05.678Z";
  return s;
}

ap::Document read_back(const std::string& json) {
  ap::ReadResult result = ap::read_document(json);
  if (result.error) FAIL(result.error->field << ": " << result.error->message << "\n" << json);
  return *result.document;
}

}  // namespace

TEST_CASE("federation documents: the URL scheme", "[federation]") {
  CHECK(ap::urls::actor("example.com", "alice") == "https://example.com/users/alice");
  CHECK(ap::urls::key_id("https://example.com/users/alice") ==
        "https://example.com/users/alice#main-key");
  CHECK(ap::urls::status("https://example.com/users/alice", 7) ==
        "https://example.com/users/alice/statuses/7");
  CHECK(ap::urls::status_activity("https://example.com/users/alice/statuses/7") ==
        "https://example.com/users/alice/statuses/7/activity");
  CHECK(ap::urls::status_page("example.com", "alice", 7) == "https://example.com/@alice/7");
  CHECK(ap::urls::instance_actor("example.com") == "https://example.com/actor");
  CHECK(ap::urls::shared_inbox("example.com") == "https://example.com/inbox");
  CHECK(ap::urls::valid_username("Alice_1"));
  for (const char* bad : {"", "a-b", "a.b", "al ice", "a/b", "0123456789012345678901234567890"})
    CHECK_FALSE(ap::urls::valid_username(bad));
}

TEST_CASE("federation documents: a local account as a Person", "[federation]") {
  db::LocalAccount account = sample_account();
  const ap::Document doc = read_back(ap::write_actor(ap::local_actor(account)));
  REQUIRE(doc.kind() == ap::Kind::actor);
  const auto& actor = std::get<ap::Actor>(doc.value);
  CHECK(actor.id == account.uri);
  CHECK(actor.type == "Person");
  CHECK(actor.preferred_username == "alice");
  CHECK(actor.name == "alice");  // no display name: the username
  CHECK(actor.inbox == account.inbox_url);
  CHECK(actor.shared_inbox == "https://localhost:8443/inbox");
  CHECK(actor.featured == account.featured_url);
  REQUIRE(actor.public_key.has_value());
  CHECK(actor.public_key->id == account.uri + "#main-key");
  CHECK(actor.public_key->owner == account.uri);
  CHECK(actor.manually_approves_followers);
  CHECK(actor.icon.url.empty());  // no avatar: no icon, not a null one
  CHECK(actor.published == account.created_at);

  account.bot = true;
  account.display_name = "Alice";
  account.avatar_url = "https://localhost:8443/media/a.png";
  const ap::Document bot_doc = read_back(ap::write_actor(ap::local_actor(account)));
  const auto& bot = std::get<ap::Actor>(bot_doc.value);
  CHECK(bot.type == "Service");
  CHECK(bot.name == "Alice");
  CHECK(bot.icon.url == account.avatar_url);
}

TEST_CASE("federation documents: the instance actor", "[federation]") {
  const db::InstanceActorPublic keys{"-----BEGIN PUBLIC KEY-----\nMFww\n-----END PUBLIC KEY-----\n",
                                     "2024-01-02T03:04:05.678Z"};
  const ap::Document doc = read_back(ap::write_actor(ap::instance_actor("localhost:8443", keys)));
  const auto& actor = std::get<ap::Actor>(doc.value);
  CHECK(actor.id == "https://localhost:8443/actor");
  CHECK(actor.type == "Application");
  CHECK(actor.preferred_username == "localhost:8443");
  CHECK(actor.public_key->id == "https://localhost:8443/actor#main-key");
  CHECK(actor.inbox == "https://localhost:8443/actor/inbox");
}

TEST_CASE("federation documents: addressing follows visibility", "[federation]") {
  const std::string followers = "https://localhost:8443/users/alice/followers";
  const std::string everyone(ap::kPublicCollection);
  auto pub = ap::status_addressing(db::Visibility::public_, followers);
  CHECK(pub.to == std::vector<std::string>{everyone});
  CHECK(pub.cc == std::vector<std::string>{followers});
  auto unlisted = ap::status_addressing(db::Visibility::unlisted, followers);
  CHECK(unlisted.to == std::vector<std::string>{followers});
  CHECK(unlisted.cc == std::vector<std::string>{everyone});
  auto priv = ap::status_addressing(db::Visibility::private_, followers);
  CHECK(priv.to == std::vector<std::string>{followers});
  CHECK(priv.cc.empty());
  CHECK_FALSE(ap::addresses_public(ap::status_addressing(db::Visibility::direct, followers)));
  CHECK_FALSE(ap::addresses_public(ap::status_addressing(db::Visibility::local, followers)));
}

TEST_CASE("federation documents: a status as a Note and its Create", "[federation]") {
  db::StatusRecord status = sample_status(db::Visibility::public_);
  status.spoiler_text = "cw";
  const ap::Document note_doc = read_back(ap::write_object(ap::status_note(status)));
  const auto& note = std::get<ap::Object>(note_doc.value);
  CHECK(note.id == status.uri);
  CHECK(note.type == "Note");
  CHECK(note.attributed_to == status.account_uri);
  CHECK(note.url == status.url);
  CHECK(note.summary == "cw");
  CHECK(note.sensitive);  // a content warning implies it
  CHECK(note.content_map.at("en") == "<p>hello</p>");
  CHECK(ap::addresses_public(note.addressing));

  const ap::Document create_doc = read_back(ap::write_activity(ap::status_create(status)));
  const auto& create = std::get<ap::Activity>(create_doc.value);
  CHECK(create.id == status.uri + "/activity");
  CHECK(create.type == "Create");
  CHECK(create.actor == status.account_uri);
  CHECK(create.object == status.uri);
  REQUIRE(create.embedded);
  CHECK(create.embedded->id() == status.uri);
}

TEST_CASE("federation documents: only public and unlisted statuses may be fetched",
          "[federation][visibility]") {
  const ap::FetchSigner someone{7, "https://remote.example/users/bob"};
  for (auto [visibility, allowed] :
       std::vector<std::pair<db::Visibility, bool>>{{db::Visibility::public_, true},
                                                    {db::Visibility::unlisted, true},
                                                    {db::Visibility::private_, false},
                                                    {db::Visibility::direct, false},
                                                    {db::Visibility::local, false}}) {
    INFO(db::visibility_name(visibility));
    const db::StatusRecord status = sample_status(visibility);
    CHECK(ap::may_fetch(status, nullptr) == allowed);
    // A signer who neither follows the author nor is mentioned changes nothing.
    CHECK(ap::may_fetch(status, &someone) == allowed);
  }
  const auto listed = ap::collection_visibilities(nullptr);
  CHECK(std::vector<db::Visibility>(listed.begin(), listed.end()) ==
        std::vector<db::Visibility>{db::Visibility::public_, db::Visibility::unlisted});
  CHECK(ap::publicly_cacheable(nullptr));
  CHECK_FALSE(ap::publicly_cacheable(&someone));
}
