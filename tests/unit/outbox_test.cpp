// What the outbox builds without a database: the instance actor's key for
// account_id 0 in the delivery queue, the activity id scheme, addressing by
// visibility with mentions (a direct status goes to its mentions only), and
// a Note's Mention and Hashtag tags.
#include <catch2/catch.hpp>

#include <map>
#include <string>
#include <vector>

#include "kith/ap/activity.hpp"
#include "kith/ap/activity_writer.hpp"
#include "kith/ap/delivery.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/to_activitystreams.hpp"

using namespace kith;

TEST_CASE("delivery: account_id 0 is signed with the instance actor's key", "[outbox]") {
  std::vector<std::int64_t> asked_local;
  int instance_asked = 0;
  auto local = [&](const std::vector<std::int64_t>& ids) {
    asked_local = ids;
    std::map<std::int64_t, std::string> keys;
    for (auto id : ids) keys[id] = "local-" + std::to_string(id);
    return keys;
  };
  auto instance = [&] {
    ++instance_asked;
    return std::string("instance-key");
  };
  auto pems = ap::signing_key_pems({ap::kInstanceActorAccountId, 7, 9}, local, instance);
  CHECK(instance_asked == 1);
  CHECK(asked_local == std::vector<std::int64_t>{7, 9});
  CHECK(pems.at(0) == "instance-key");
  CHECK(pems.at(7) == "local-7");
  CHECK(pems.at(9) == "local-9");

  // Without a job of the instance actor its key is not even read.
  instance_asked = 0;
  pems = ap::signing_key_pems({7}, local, instance);
  CHECK(instance_asked == 0);
  CHECK(pems.size() == 1);
  // Only the instance actor's key is ever asked for when it alone signs.
  asked_local.clear();
  pems = ap::signing_key_pems({0}, local, instance);
  CHECK(asked_local.empty());
  CHECK(pems.size() == 1);
}

TEST_CASE("local_urls: activity ids are stable, distinct and under our URLs", "[outbox]") {
  const std::string actor = "https://example.test/users/alice";
  const std::string status = actor + "/statuses/42";
  CHECK(ap::urls::follow_activity(actor, 5) == actor + "#follows/5");
  CHECK(ap::urls::like_activity(actor, 5) == actor + "#likes/5");
  CHECK(ap::urls::block_activity(actor, 5) == actor + "#blocks/5");
  CHECK(ap::urls::update_activity(status, 1700000000123456) ==
        status + "#updates/1700000000123456");
  CHECK(ap::urls::delete_activity(status) == status + "#delete");
  CHECK(ap::urls::flag_activity("example.test", 3) == "https://example.test/actor#flags/3");
  CHECK(ap::urls::undo_activity(actor + "#likes/5") == actor + "#likes/5/undo");
  CHECK(ap::urls::status_activity(status) == status + "/activity");
  CHECK(ap::urls::authority("https://example.test:8443/users/bob") == "example.test:8443");
  CHECK(ap::urls::authority("http://example.test/") == "");
  CHECK(ap::urls::tag_page("example.test", "cats") == "https://example.test/tags/cats");
}

TEST_CASE("local_urls: an Accept or Reject names the Follow it answers", "[outbox]") {
  const std::string actor = "https://example.test/users/alice";
  const std::string first = "https://remote.test/users/bob#follows/1";
  const std::string second = "https://remote.test/users/bob#follows/2";
  // The first 8 bytes of SHA-256 of the Follow's id (sha256sum agrees).
  const std::string accept = ap::urls::accept_follow_activity(actor, 5, first);
  CHECK(accept == actor + "#accepts/follows/5/95e8cc9ba2aafee1");
  // Stable: the same Follow answered twice is one activity.
  CHECK(ap::urls::accept_follow_activity(actor, 5, first) == accept);
  // A repeated Follow (new id, same follows row) gets a new Accept.
  CHECK(ap::urls::accept_follow_activity(actor, 5, second) != accept);
  const std::string reject = ap::urls::reject_follow_activity(actor, 5, first);
  CHECK(reject.starts_with(actor + "#rejects/follows/5/"));
  CHECK(reject.substr(reject.rfind('/')) == accept.substr(accept.rfind('/')));
  CHECK(ap::urls::reject_follow_activity(actor, 5, second) != reject);
}

namespace {

db::StatusRecord status_with_mentions(db::Visibility visibility) {
  db::StatusRecord s;
  s.id = 42;
  s.account_id = 1;
  s.uri = "https://example.test/users/alice/statuses/42";
  s.visibility = visibility;
  s.content = "<p>hi</p>";
  s.created_at = "2024-01-01T00:00:00.000Z";
  s.account_uri = "https://example.test/users/alice";
  s.account_followers_url = "https://example.test/users/alice/followers";
  s.mentions = {{"https://remote.test/users/bob", "bob", "remote.test", false},
                {"https://example.test/users/carol", "carol", "", false},
                {"https://remote.test/users/dave", "dave", "remote.test", true}};
  s.tags = {"cats"};
  return s;
}

}  // namespace

TEST_CASE("outbox: addressing lists mentions; a direct status only them", "[outbox]") {
  const std::string everyone(ap::kPublicCollection);
  const std::string followers = "https://example.test/users/alice/followers";
  const std::string bob = "https://remote.test/users/bob";
  const std::string carol = "https://example.test/users/carol";
  const std::string dave = "https://remote.test/users/dave";

  auto direct = ap::status_addressing(status_with_mentions(db::Visibility::direct));
  CHECK(direct.to == std::vector<std::string>{bob, carol, dave});
  CHECK(direct.cc.empty());
  CHECK_FALSE(ap::addresses_public(direct));

  auto priv = ap::status_addressing(status_with_mentions(db::Visibility::private_));
  CHECK(priv.to == std::vector<std::string>{followers});
  CHECK(priv.cc == std::vector<std::string>{bob, carol, dave});

  auto pub = ap::status_addressing(status_with_mentions(db::Visibility::public_));
  CHECK(pub.to == std::vector<std::string>{everyone});
  CHECK(pub.cc == std::vector<std::string>{followers, bob, carol, dave});

  auto unlisted = ap::status_addressing(status_with_mentions(db::Visibility::unlisted));
  CHECK(unlisted.to == std::vector<std::string>{followers});
  CHECK(unlisted.cc == std::vector<std::string>{everyone, bob, carol, dave});

  auto local = ap::status_addressing(status_with_mentions(db::Visibility::local));
  CHECK(local.to.empty());
  CHECK(local.cc.empty());
}

TEST_CASE("outbox: a Note carries Mention and Hashtag tags, CW and reply", "[outbox]") {
  db::StatusRecord status = status_with_mentions(db::Visibility::public_);
  status.spoiler_text = "spoilers";
  status.in_reply_to_uri = "https://remote.test/users/bob/statuses/1";
  const ap::Object note = ap::status_note(status);
  REQUIRE(note.mentions.size() == 2);  // the silent one is addressed, not tagged
  CHECK(note.mentions[0] == ap::Mention{"https://remote.test/users/bob", "@bob@remote.test"});
  CHECK(note.mentions[1] == ap::Mention{"https://example.test/users/carol", "@carol@example.test"});
  REQUIRE(note.hashtags.size() == 1);
  CHECK(note.hashtags[0] == ap::Hashtag{"https://example.test/tags/cats", "#cats"});
  CHECK(note.summary == "spoilers");
  CHECK(note.sensitive);
  CHECK(note.in_reply_to == "https://remote.test/users/bob/statuses/1");

  // What is delivered reads back the same (the writer mirrors the reader).
  auto read = ap::read_document(ap::write_activity(ap::status_create(status)));
  REQUIRE(read.document);
  const auto& create = std::get<ap::Activity>(read.document->value);
  REQUIRE(create.embedded);
  const auto& embedded = std::get<ap::Object>(create.embedded->value);
  CHECK(embedded.mentions == note.mentions);
  CHECK(embedded.hashtags == note.hashtags);
  CHECK(create.addressing.cc == note.addressing.cc);
}
