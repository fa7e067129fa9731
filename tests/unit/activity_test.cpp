// The ActivityStreams reader and writer: documents as Mastodon, GoToSocial,
// Akkoma, Misskey and PeerTube send them (recorded as files under
// fixtures/activitypub, one case per file) read into the right values; the
// shapes JSON-LD allows read the same; bad documents are refused with the
// field at fault; limits hold while parsing; and what the writer writes
// reads back to the same value.
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "kith/ap/activity.hpp"
#include "kith/ap/activity_writer.hpp"

using namespace kith::ap;

namespace {

std::string fixture(const std::string& name) {
  const std::string path =
      std::string(KITH_SOURCE_DIR) + "/tests/unit/fixtures/activitypub/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("missing fixture " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Document read_ok(std::string_view bytes, ReadOptions options = {}) {
  ReadResult result = read_document(bytes, options);
  if (result.error) FAIL("refused: " << result.error->field << ": " << result.error->message);
  REQUIRE(result.document.has_value());
  return *result.document;
}

ReadError read_refused(std::string_view bytes, ReadOptions options = {}) {
  ReadResult result = read_document(bytes, options);
  if (result.document) FAIL("accepted: " << std::string(bytes.substr(0, 300)));
  REQUIRE(result.error.has_value());
  return *result.error;
}

template <class T>
const T& as(const Document& document) {
  REQUIRE(std::holds_alternative<T>(document.value));
  return std::get<T>(document.value);
}

// What the writer leaves out on purpose.
void clear_blind_copies(Document& document) {
  if (auto* activity = std::get_if<Activity>(&document.value)) {
    activity->addressing.bto.clear();
    activity->addressing.bcc.clear();
    if (Document* inner = activity->embedded.get()) clear_blind_copies(*inner);
  } else if (auto* object = std::get_if<Object>(&document.value)) {
    object->addressing.bto.clear();
    object->addressing.bcc.clear();
  }
}

void check_round_trip(const Document& document) {
  const std::string written = write_document(document);
  INFO(written);
  Document expected = document;
  clear_blind_copies(expected);
  CHECK(read_ok(written) == expected);
  // And writing is stable.
  CHECK(write_document(read_ok(written)) == written);
}

// A Note with more members, for table-driven shape tests.
std::string note_with(const std::string& members) {
  return R"({"id": "https://localhost:3001/notes/1", "type": "Note",
             "attributedTo": "https://localhost:3001/users/alice", )" +
         members + "}";
}

std::string question_with(const std::string& members) {
  return R"({"id": "https://localhost:3001/notes/1", "type": "Question",
             "attributedTo": "https://localhost:3001/users/alice", )" +
         members + "}";
}

// A Tombstone with this id, written with a real JSON writer so that any
// byte of the id is escaped properly.
std::string tombstone_with_id(const std::string& id) {
  return nlohmann::json{{"type", "Tombstone"}, {"id", id}}.dump();
}

const std::string kAlice = "https://localhost:3001/users/alice";
const std::string kStatus = "https://localhost:3001/users/alice/statuses/113500000000000001";
const std::string kPublic(kPublicCollection);

}  // namespace

TEST_CASE("read_document: Mastodon Create(Note) with mentions, hashtags, CW, attachments",
          "[activity]") {
  Document document = read_ok(fixture("mastodon-create-note.json"));
  const Activity& create = as<Activity>(document);
  CHECK(create.id == kStatus + "/activity");
  CHECK(create.type == "Create");
  CHECK(create.actor == kAlice);
  CHECK(create.object == kStatus);
  CHECK(create.published == "2024-11-20T14:03:11Z");
  CHECK(create.addressing.to == std::vector<std::string>{kPublic});
  CHECK(create.addressing.cc ==
        std::vector<std::string>{kAlice + "/followers", "https://localhost:3002/users/bob"});
  CHECK(addresses_public(create.addressing));

  REQUIRE(create.embedded);
  const Object& note = as<Object>(*create.embedded);
  CHECK(note.id == kStatus);
  CHECK(note.type == "Note");
  CHECK(note.attributed_to == kAlice);
  CHECK(note.summary == "food, spoilers for dinner");
  CHECK(note.sensitive);
  CHECK(note.in_reply_to == "https://localhost:3002/users/bob/statuses/01JD3KQ7S0Y2V8Z6C4X9M1N5PB");
  CHECK(note.url == "https://localhost:3001/@alice/113500000000000001");
  CHECK(note.content.starts_with("<p><span class=\"h-card\" translate=\"no\">"));
  CHECK(note.content_map.at("en") == note.content);
  CHECK(note.quote.empty());
  CHECK_FALSE(note.poll.has_value());

  REQUIRE(note.mentions.size() == 1);
  CHECK(note.mentions[0] == Mention{"https://localhost:3002/users/bob", "@bob@localhost:3002"});
  REQUIRE(note.hashtags.size() == 1);
  CHECK(note.hashtags[0] == Hashtag{"https://localhost:3001/tags/cooking", "#cooking"});
  REQUIRE(note.emojis.size() == 1);
  CHECK(note.emojis[0].id == "https://localhost:3001/emojis/4242");
  CHECK(note.emojis[0].name == ":blobcat:");
  CHECK(note.emojis[0].icon_media_type == "image/png");
  CHECK(note.emojis[0].icon_url.ends_with("/blobcat.png"));
  CHECK(note.emojis[0].updated == "2023-01-05T10:00:00Z");

  REQUIRE(note.attachments.size() == 2);
  const Attachment& image = note.attachments[0];
  CHECK(image.type == "Document");
  CHECK(image.media_type == "image/jpeg");
  CHECK(image.url.ends_with("/6a1f2c3d4e5f6a7b.jpg"));
  CHECK(image.name == "A bowl of ramen with a soft-boiled egg");
  CHECK(image.blurhash == "UBL_:rOpGG-;~qRjWBay0Kofs:of00of%MWB");
  CHECK(image.width == 1200);
  CHECK(image.height == 900);
  REQUIRE(image.focal_point.has_value());
  CHECK(image.focal_point->first == Approx(-0.12));
  CHECK(image.focal_point->second == Approx(0.4));
  CHECK(note.attachments[1].media_type == "video/mp4");
  CHECK(note.attachments[1].name.empty());  // "name": null
  CHECK(note.attachments[1].focal_point == std::pair{0.0, 0.0});

  check_round_trip(document);
}

TEST_CASE("read_document: Mastodon Person", "[activity]") {
  Document document = read_ok(fixture("mastodon-person.json"));
  const Actor& alice = as<Actor>(document);
  CHECK(alice.id == kAlice);
  CHECK(alice.type == "Person");
  CHECK(alice.preferred_username == "alice");
  CHECK(alice.name == "Alice :blobcat:");
  CHECK(alice.summary.starts_with("<p>Cooks, writes, federates."));
  CHECK(alice.url == "https://localhost:3001/@alice");
  CHECK(alice.inbox == kAlice + "/inbox");
  CHECK(alice.outbox == kAlice + "/outbox");
  CHECK(alice.followers == kAlice + "/followers");
  CHECK(alice.following == kAlice + "/following");
  CHECK(alice.featured == kAlice + "/collections/featured");
  CHECK(alice.shared_inbox == "https://localhost:3001/inbox");
  REQUIRE(alice.public_key.has_value());
  CHECK(alice.public_key->id == kAlice + "#main-key");
  CHECK(alice.public_key->owner == kAlice);
  CHECK(alice.public_key->pem.starts_with(
      "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOC"));
  CHECK(alice.manually_approves_followers);
  CHECK(alice.discoverable);
  CHECK(alice.published == "2022-04-01T00:00:00Z");
  REQUIRE(alice.fields.size() == 2);
  CHECK(alice.fields[0].name == "Website");
  CHECK(alice.fields[0].value.find("rel=\"nofollow noopener me\"") != std::string::npos);
  CHECK(alice.fields[1] == ProfileField{"Pronouns", "she/her"});
  CHECK(alice.also_known_as == std::vector<std::string>{"https://localhost:3002/users/alice"});
  CHECK(alice.moved_to.empty());
  CHECK(alice.icon.media_type == "image/png");
  CHECK(alice.icon.url.ends_with("/3f2a1b0c9d8e7f6a.png"));
  CHECK(alice.image.url.ends_with("/7e6d5c4b3a291807.jpg"));
  REQUIRE(alice.emojis.size() == 1);
  CHECK(alice.emojis[0].name == ":blobcat:");
  check_round_trip(document);
}

TEST_CASE("read_document: GoToSocial Note with to and cc as single strings", "[activity]") {
  Document document = read_ok(fixture("gotosocial-note.json"));
  const Object& note = as<Object>(document);
  CHECK(note.id == "https://localhost:3002/users/bob/statuses/01JD3KQ7S0Y2V8Z6C4X9M1N5PB");
  CHECK(note.attributed_to == "https://localhost:3002/users/bob");
  CHECK(note.addressing.to == std::vector<std::string>{kPublic});
  CHECK(note.addressing.cc ==
        std::vector<std::string>{"https://localhost:3002/users/bob/followers"});
  CHECK(note.summary.empty());
  CHECK_FALSE(note.sensitive);
  CHECK(note.attachments.empty());
  CHECK(note.mentions == std::vector<Mention>{{kAlice, "@alice@localhost:3001"}});
  CHECK(note.hashtags ==
        std::vector<Hashtag>{{"https://localhost:3002/tags/gotosocial", "#gotosocial"}});
  CHECK(note.url == "https://localhost:3002/@bob/statuses/01JD3KQ7S0Y2V8Z6C4X9M1N5PB");
  check_round_trip(document);
}

TEST_CASE("read_document: Akkoma Create(Note) with Link-list media and emoji", "[activity]") {
  Document document = read_ok(fixture("akkoma-create-note.json"));
  const Activity& create = as<Activity>(document);
  CHECK(create.actor == "https://localhost:3003/users/dan");
  const Object& note = as<Object>(*create.embedded);
  CHECK(note.id == "https://localhost:3003/objects/8b7a6c5d-4e3f-2a1b-0c9d-8e7f6a5b4c3d");
  CHECK_FALSE(note.sensitive);  // "sensitive": null
  CHECK(note.published == "2024-11-20T14:10:00.123456Z");
  CHECK(note.addressing.to == std::vector<std::string>{kPublic, kAlice});
  REQUIRE(note.attachments.size() == 1);
  CHECK(note.attachments[0].url == "https://localhost:3003/media/9e8d7c6b5a4f3e2d1c0b.png");
  CHECK(note.attachments[0].blurhash == "LEHV6nWB2yk8pyo0adR*.7kCMdnj");
  REQUIRE(note.emojis.size() == 1);
  CHECK(note.emojis[0].name == ":akko_happy:");
  CHECK(note.emojis[0].icon_url == "https://localhost:3003/emoji/custom/akko_happy.png");
  CHECK(note.emojis[0].icon_media_type.empty());
  CHECK(note.content.find("data-user") != std::string::npos);  // raw: the sanitiser's job
  check_round_trip(document);
}

TEST_CASE("read_document: Misskey Note quoting with _misskey_quote and quoteUrl", "[activity]") {
  Document document = read_ok(fixture("misskey-create-note-quote.json"));
  const Object& note = as<Object>(*as<Activity>(document).embedded);
  CHECK(note.quote == kStatus);
  CHECK(note.in_reply_to.empty());  // "inReplyTo": null
  CHECK(note.published == "2024-11-20T14:20:31.008Z");
  REQUIRE(note.attachments.size() == 1);
  CHECK(note.attachments[0].media_type == "image/webp");
  CHECK(note.emojis.size() == 1);
  check_round_trip(document);
}

TEST_CASE("read_document: a FEP-e232 Link tag is a quote; as:Public is normalised", "[activity]") {
  Document document = read_ok(fixture("fep-e232-quote-note.json"));
  const Object& note = as<Object>(document);
  CHECK(note.quote == kStatus);
  CHECK(note.addressing.to == std::vector<std::string>{kPublic});
  CHECK(note.published == "2024-11-20T17:00:00+01:00");
  check_round_trip(document);
}

TEST_CASE("read_document: Mastodon Question is a poll", "[activity]") {
  Document document = read_ok(fixture("mastodon-create-question.json"));
  const Object& question = as<Object>(*as<Activity>(document).embedded);
  CHECK(question.type == "Question");
  REQUIRE(question.poll.has_value());
  CHECK_FALSE(question.poll->multiple);
  CHECK(question.poll->options == std::vector<PollOption>{{"Tabs", 5}, {"Spaces", 7}});
  CHECK(question.poll->end_time == "2024-11-21T15:00:00Z");
  CHECK(question.poll->closed.empty());
  CHECK(question.poll->voters_count == 12);
  check_round_trip(document);

  // anyOf, a closed flag, and counts that are not counts.
  Document multiple = read_ok(question_with(R"("endTime": "2024-01-01T00:00:00Z",
      "closed": true, "votersCount": -3, "anyOf": [
        {"type": "Note", "name": "a", "replies": {"totalItems": 2}},
        {"type": "Note", "name": "b", "replies": {"totalItems": "many"}}])"));
  const Poll& poll = *as<Object>(multiple).poll;
  CHECK(poll.multiple);
  CHECK(poll.options == std::vector<PollOption>{{"a", 2}, {"b", 0}});
  CHECK(poll.closed == "2024-01-01T00:00:00Z");
  CHECK_FALSE(poll.voters_count.has_value());
  check_round_trip(multiple);
}

TEST_CASE("read_document: Delete with a Tombstone", "[activity]") {
  Document document = read_ok(fixture("mastodon-delete-tombstone.json"));
  const Activity& del = as<Activity>(document);
  CHECK(del.id == kStatus + "#delete");  // activity ids may carry fragments
  CHECK(del.object == kStatus);
  const Tombstone& tombstone = as<Tombstone>(*del.embedded);
  CHECK(tombstone.id == kStatus);
  CHECK(del.embedded->kind() == Kind::tombstone);
  check_round_trip(document);
}

TEST_CASE("read_document: Undo(Follow) keeps the Follow as embedded", "[activity]") {
  Document document = read_ok(fixture("mastodon-undo-follow.json"));
  const Activity& undo = as<Activity>(document);
  CHECK(undo.id == kAlice + "#follows/4242/undo");
  CHECK(undo.object == "https://localhost:3001/5c5b2c4e-9d7a-4a6b-8f1e-2f3a4b5c6d7e");
  const Activity& follow = as<Activity>(*undo.embedded);
  CHECK(follow.type == "Follow");
  CHECK(follow.actor == kAlice);
  CHECK(follow.object == "https://localhost:8443/users/carol");
  CHECK_FALSE(follow.embedded);
  check_round_trip(document);

  // Accept{Follow} whose Follow came without an id (some servers do that).
  Document accept = read_ok(R"({"id": "https://localhost:8443/users/carol#accepts/follows/1",
      "type": "Accept", "actor": "https://localhost:8443/users/carol",
      "object": {"type": "Follow", "actor": "https://localhost:3001/users/alice",
                 "object": "https://localhost:8443/users/carol"}})");
  CHECK(as<Activity>(accept).object.empty());
  CHECK(as<Activity>(*as<Activity>(accept).embedded).actor == kAlice);
  check_round_trip(accept);
}

TEST_CASE("read_document: PeerTube Video: first Person of attributedTo, text/html url",
          "[activity]") {
  Document document = read_ok(fixture("peertube-video.json"));
  const Object& video = as<Object>(document);
  CHECK(video.type == "Video");
  CHECK(video.attributed_to == "https://localhost:3005/accounts/frank");
  CHECK(video.url == "https://localhost:3005/w/tLz8sV1qR2pY3nX4mW5kJ6");
  CHECK(video.updated == "2024-11-19T09:30:00.000Z");
  check_round_trip(document);
}

TEST_CASE("read_document: a type outside the vocabulary is Unsupported, not an error",
          "[activity]") {
  Document document = read_ok(fixture("akkoma-emojireact-unsupported.json"));
  CHECK(document.kind() == Kind::unsupported);
  CHECK(document.type() == "EmojiReact");
  CHECK(document.id() == "https://localhost:3003/activities/23143872-a034-6141-9f0e-93499d8314a9");
  check_round_trip(document);

  const std::vector<std::string> others = {
      R"({"type": "OrderedCollection", "id": "https://localhost:3001/users/alice/outbox"})",
      R"j({"type": "Listen", "id": "javascript:alert(1)"})j",  // the id is dropped, not trusted
      R"({"type": ["Emoji", "Unknown"]})",
  };
  for (const auto& json : others) {
    INFO(json);
    Document unsupported = read_ok(json);
    CHECK(unsupported.kind() == Kind::unsupported);
    CHECK(unsupported.id().find("javascript") == std::string::npos);
  }
  // Of an unsupported document only its id and actor are read, each dropped
  // (not an error) when it is not a valid id; an actor id has no fragment.
  CHECK(as<Unsupported>(document).actor == "https://localhost:3003/users/dan");
  const std::vector<std::pair<std::string, std::string>> actors = {
      {R"({"type": "EmojiReact", "actor": "https://localhost:3001/users/alice"})",
       "https://localhost:3001/users/alice"},
      {R"({"type": "EmojiReact", "actor": {"id": "https://localhost:3001/users/alice"}})",
       "https://localhost:3001/users/alice"},
      {R"({"type": "EmojiReact", "actor": ["https://localhost:3001/users/alice"]})",
       "https://localhost:3001/users/alice"},
      {R"({"type": "EmojiReact", "actor": "https://localhost:3001/users/alice#me"})", ""},
      {R"j({"type": "EmojiReact", "actor": "javascript:alert(1)"})j", ""},
      {R"({"type": "EmojiReact", "actor": 42})", ""},
      {R"({"type": "EmojiReact", "actor": "https://localhost:3001/)" + std::string(3000, 'a') +
           R"("})",
       ""},
      {R"({"type": "EmojiReact"})", ""},
  };
  for (const auto& [json, actor] : actors) {
    INFO(json);
    Document unsupported = read_ok(json);
    REQUIRE(unsupported.kind() == Kind::unsupported);
    CHECK(as<Unsupported>(unsupported).actor == actor);
    check_round_trip(unsupported);
  }

  // An Announce of something unsupported: the activity is read, its object
  // kept as an embedded Unsupported.
  Document announce = read_ok(R"({"id": "https://localhost:3001/a/1", "type": "Announce",
      "actor": "https://localhost:3001/users/alice",
      "object": {"type": "Event", "id": "https://localhost:3001/events/1",
                 "attributedTo": "https://localhost:3001/users/alice"}})");
  CHECK(as<Activity>(announce).embedded->type() == "Event");

  // An object with an id and no type is a reference, not an embedded object.
  Document like = read_ok(R"({"id": "https://localhost:3001/users/alice#likes/9", "type": "Like",
      "actor": "https://localhost:3001/users/alice",
      "object": {"id": "https://localhost:3002/users/bob/statuses/1"}})");
  CHECK(as<Activity>(like).object == "https://localhost:3002/users/bob/statuses/1");
  CHECK_FALSE(as<Activity>(like).embedded);
}

TEST_CASE("read_document: bad documents are refused with the field at fault", "[activity]") {
  struct Bad {
    std::string file;
    std::string field;
    std::string message;  // a part of it
  };
  const std::vector<Bad> cases = {
      {"bad-nesting-10000.json", "", "nested deeper than 32 levels"},
      {"bad-actor-number.json", "actor", "must be an id or an object with an id"},
      {"bad-id-javascript.json", "id", "must be an https URL"},
      {"bad-missing-type.json", "type", "missing"},
      {"bad-duplicate-key.json", "actor", "duplicate key"},
      {"bad-userinfo-id.json", "id", "must be an https URL"},
      {"bad-note-id-fragment.json", "id", "without a fragment"},
      {"bad-to-number.json", "to[1]", "must be an id"},
      {"bad-create-embedded-note-without-id.json", "object.id", "missing"},
      {"bad-person-without-inbox.json", "inbox", "missing"},
      {"bad-public-key-array-of-strings.json", "publicKey", "must be an object"},
      {"bad-nul-in-string.json", "content", "U+0000"},
      {"bad-top-level-array.json", "", "must be an object"},
      {"bad-trailing-garbage.json", "", "invalid JSON"},
  };
  for (const auto& c : cases) {
    INFO(c.file);
    ReadError error = read_refused(fixture(c.file));
    CHECK(error.field == c.field);
    CHECK_THAT(error.message, Catch::Contains(c.message));
  }

  // 2 MiB: a valid document padded past kMaxDocumentBytes (generated here
  // rather than stored as a 2 MiB file).
  std::string big = fixture("mastodon-create-note.json");
  big.insert(1, "\"padding\": \"" + std::string(2 * 1024 * 1024, 'x') + "\", ");
  ReadError too_big = read_refused(big);
  CHECK(too_big.over_limit);
  CHECK_THAT(too_big.message, Catch::Contains("larger than 1048576 bytes"));
}

TEST_CASE("read_document: depth is refused while parsing, at the limit exactly", "[activity]") {
  auto nested = [](int levels) {
    // The object itself is level 1; "x" adds levels - 1 arrays.
    const auto arrays = static_cast<std::size_t>(levels - 1);
    return R"({"type": "Tombstone", "id": "https://localhost:3001/notes/1", "x": )" +
           std::string(arrays, '[') + std::string(arrays, ']') + "}";
  };
  CHECK(read_ok(nested(kMaxJsonDepth)).kind() == Kind::tombstone);
  ReadError error = read_refused(nested(kMaxJsonDepth + 1));
  CHECK(error.over_limit);
  CHECK(error.message == "nested deeper than 32 levels");
  // Unbalanced and very deep: refused at level 33 whatever follows.
  CHECK(read_refused(std::string(100000, '[')).over_limit);
  CHECK(read_refused(std::string(100000, '{')).message.find("invalid JSON") == 0);
  CHECK(read_refused("{\"a\":" + std::string(100000, '[')).over_limit);
}

TEST_CASE("read_document: value, list and string limits", "[activity]") {
  std::string many = "[";
  for (std::size_t i = 0; i < kMaxJsonValues; ++i) many += "0,";
  many.back() = ']';
  ReadError values = read_refused(note_with("\"x\": " + many));
  CHECK(values.over_limit);
  CHECK_THAT(values.message, Catch::Contains("JSON values"));

  auto list_of = [](std::size_t count, const std::string& entry) {
    std::string list = "[";
    for (std::size_t i = 0; i < count; ++i) list += (i ? "," : "") + entry;
    return list + "]";
  };
  const std::string follower = "\"https://localhost:3001/users/alice/followers\"";
  CHECK(read_ok(note_with("\"to\": " + list_of(kMaxAddressees, follower))).kind() == Kind::object);
  CHECK(read_refused(note_with("\"cc\": " + list_of(kMaxAddressees + 1, follower))).field == "cc");
  const std::string mention = R"({"type": "Mention", "href": "https://localhost:3001/users/bob"})";
  CHECK(read_refused(note_with("\"tag\": " + list_of(kMaxTags + 1, mention))).field == "tag");
  const std::string media = R"({"type": "Image", "url": "https://localhost:3001/m.png"})";
  CHECK(read_ok(note_with("\"attachment\": " + list_of(kMaxAttachments, media))).kind() ==
        Kind::object);
  CHECK(read_refused(note_with("\"attachment\": " + list_of(kMaxAttachments + 1, media))).field ==
        "attachment");
  const std::string option = R"({"type": "Note", "name": "x"})";
  CHECK(read_refused(question_with("\"oneOf\": " + list_of(kMaxPollOptions + 1, option))).field ==
        "oneOf");
  CHECK(read_refused(question_with(R"("oneOf": [{"type": "Note", "name": 5}])")).field ==
        "oneOf[0].name");

  const std::string content(kMaxContentBytes, 'c');
  CHECK(as<Object>(read_ok(note_with("\"content\": \"" + content + "\""))).content == content);
  ReadError long_content = read_refused(note_with("\"content\": \"" + content + "c\""));
  CHECK(long_content.field == "content");
  CHECK_FALSE(long_content.over_limit);
  CHECK(read_refused(note_with("\"summary\": \"" + content + "c\"")).field == "summary");
  const std::string long_id = "https://localhost:3001/" + std::string(kMaxIdBytes, 'a');
  CHECK(read_refused(note_with("\"inReplyTo\": \"" + long_id + "\"")).message ==
        "longer than 2048 bytes");
  // Decorative strings over their limit are refused too, not dropped.
  CHECK(read_refused(note_with(R"("tag": [{"type": "Hashtag", "name": ")" +
                               std::string(kMaxShortTextBytes + 1, 'h') + "\"}]"))
            .field == "tag[0].name");
}

TEST_CASE("read_document: the shapes JSON-LD allows read the same", "[activity]") {
  struct Shape {
    std::string members;
    std::string attributed_to;
    std::vector<std::string> to;
    std::string url;
  };
  const std::string bob = "https://localhost:3002/users/bob";
  const std::vector<Shape> cases = {
      {R"("to": "https://www.w3.org/ns/activitystreams#Public")", kAlice, {kPublic}, ""},
      {R"("to": "as:Public")", kAlice, {kPublic}, ""},
      {R"("to": ["Public", "as:Public", "https://localhost:3002/users/bob"])",
       kAlice,
       {kPublic, bob},
       ""},
      {R"("to": {"id": "https://localhost:3002/users/bob", "type": "Person"})", kAlice, {bob}, ""},
      {R"("to": [{"type": "Link", "href": "https://localhost:3002/users/bob"}])",
       kAlice,
       {bob},
       ""},
      {R"("to": [], "cc": null)", kAlice, {}, ""},
      {R"("url": "https://localhost:3001/@alice/1")",
       kAlice,
       {},
       "https://localhost:3001/@alice/1"},
      {R"("url": {"type": "Link", "href": "https://localhost:3001/@alice/1"})",
       kAlice,
       {},
       "https://localhost:3001/@alice/1"},
      {R"("url": [{"type": "Link", "mediaType": "video/mp4", "href": "https://localhost:3001/v.mp4"},
                  {"type": "Link", "mediaType": "text/html; charset=utf-8", "href": "https://localhost:3001/w/1"}])",
       kAlice,
       {},
       "https://localhost:3001/w/1"},
      {R"("url": ["https://localhost:3001/a", "https://localhost:3001/b"])",
       kAlice,
       {},
       "https://localhost:3001/a"},
      {R"j("url": "javascript:alert(1)")j", kAlice, {}, ""},
      {R"("url": 12)", kAlice, {}, ""},
  };
  for (const auto& c : cases) {
    const std::string json = note_with(c.members);
    INFO(json);
    Document document = read_ok(json);
    const Object& note = as<Object>(document);
    CHECK(note.attributed_to == c.attributed_to);
    CHECK(note.addressing.to == c.to);
    CHECK(note.url == c.url);
    check_round_trip(document);
  }

  // attributedTo: an object, or an array of which the first Person counts.
  const std::vector<std::pair<std::string, std::string>> authors = {
      {R"({"id": "https://localhost:3002/users/bob", "type": "Person"})", bob},
      {R"(["https://localhost:3002/users/bob", "https://localhost:3001/users/alice"])", bob},
      {R"([{"type": "Group", "id": "https://localhost:3001/groups/g"},
           {"type": "Person", "id": "https://localhost:3002/users/bob"}])",
       bob},
      {R"([{"type": "Group", "id": "https://localhost:3001/groups/g"}])",
       "https://localhost:3001/groups/g"},
  };
  for (const auto& [value, expected] : authors) {
    const std::string json = R"({"id": "https://localhost:3001/notes/1", "type": "Note",
                                 "attributedTo": )" +
                             value + "}";
    INFO(json);
    CHECK(as<Object>(read_ok(json)).attributed_to == expected);
  }

  // contentMap stands in for a missing content; type may be an array.
  Document mapped = read_ok(R"({"id": "https://localhost:3001/notes/1", "type": ["Note", "x:Extra"],
      "attributedTo": "https://localhost:3001/users/alice",
      "contentMap": {"fr": "<p>bonjour</p>", "de": "<p>hallo</p>", "bad key": "<p>x</p>", "es": 3}})");
  const Object& note = as<Object>(mapped);
  CHECK(note.type == "Note");
  CHECK(note.content == "<p>hallo</p>");  // the first key in order
  CHECK(note.content_map.size() == 2);
  check_round_trip(mapped);

  // Actor shapes: icon as a string, publicKey as an array, endpoints absent.
  Document actor = read_ok(R"({"id": "https://localhost:3002/users/bob", "type": "Service",
      "preferredUsername": "bob", "inbox": "https://localhost:3002/users/bob/inbox",
      "icon": "https://localhost:3002/avatar.png", "manuallyApprovesFollowers": "yes",
      "publicKey": [{"id": "https://localhost:3002/users/bob#main-key",
                     "owner": "https://localhost:3002/users/bob", "publicKeyPem": "PEM"}],
      "alsoKnownAs": "https://localhost:3001/users/bob",
      "attachment": [{"type": "PropertyValue", "name": "n", "value": "v"}, {"type": "IdentityProof"}]})");
  const Actor& bob_actor = as<Actor>(actor);
  CHECK(bob_actor.icon.url == "https://localhost:3002/avatar.png");
  CHECK(bob_actor.public_key->id == "https://localhost:3002/users/bob#main-key");
  CHECK_FALSE(bob_actor.manually_approves_followers);  // not a boolean
  CHECK(bob_actor.also_known_as == std::vector<std::string>{"https://localhost:3001/users/bob"});
  CHECK(bob_actor.fields == std::vector<ProfileField>{{"n", "v"}});
  check_round_trip(actor);

  // Decorative values of the wrong kind are dropped, as if absent.
  Document sloppy = read_ok(note_with(R"j("sensitive": "true", "published": "yesterday",
      "updated": "2024-01-01T00:00:00", "attachment": [
        {"type": "Image", "url": "https://localhost:3001/a.png", "width": "12", "height": 1.5,
         "blurhash": "not blurhash!", "focalPoint": [2, 0], "mediaType": 7},
        {"type": "Image", "url": "javascript:alert(1)"},
        {"type": "PropertyValue", "name": "x"}, "https://localhost:3001/b.png"],
      "tag": [{"type": "Mention", "href": "http://localhost:3001/users/bob"},
              {"type": "Hashtag", "name": "#x", "href": "gopher://x"},
              {"type": "Emoji", "name": ":e:"}, "string tag", {"type": "Mention"}])j"));
  const Object& s = as<Object>(sloppy);
  CHECK_FALSE(s.sensitive);
  CHECK(s.published.empty());
  CHECK(s.updated.empty());
  REQUIRE(s.attachments.size() == 1);
  CHECK_FALSE(s.attachments[0].width.has_value());
  CHECK_FALSE(s.attachments[0].height.has_value());
  CHECK(s.attachments[0].blurhash.empty());
  CHECK_FALSE(s.attachments[0].focal_point.has_value());
  CHECK(s.attachments[0].media_type.empty());
  CHECK(s.mentions.empty());  // http: not allowed without ReadOptions::allow_http
  CHECK(s.hashtags == std::vector<Hashtag>{{"", "#x"}});
  CHECK(s.emojis.empty());  // no icon
  check_round_trip(sloppy);
}

TEST_CASE("read_document: ids", "[activity]") {
  const std::vector<std::string> good = {
      "https://localhost/notes/1",
      "https://localhost:8443/users/alice",
      "https://127.0.0.1:8443/users/alice",
      "https://[::1]:8443/users/alice",
      "https://localhost",
      "https://localhost?x=1",
      "https://localhost/a%20b",
      "https://localhost/users/\xC3\xA9lise",
      "https://xn--lise-9pa.localhost/users/a",
      "https://localhost/a:b@c!$&'()*+,;=-._~",
  };
  for (const auto& id : good) {
    INFO(id);
    CHECK(as<Tombstone>(read_ok(tombstone_with_id(id))).id == id);
  }
  const std::vector<std::string> bad = {
      "",
      "localhost/notes/1",
      "/notes/1",
      "http://localhost/notes/1",
      "HTTPS://localhost/notes/1",
      "ftp://localhost/notes/1",
      "javascript:alert(1)//https://localhost/",
      "https:/localhost/notes/1",
      "https:///notes/1",
      "https://:443/notes/1",
      "https://alice@localhost/notes/1",
      "https://localhost:3001@localhost:3002/notes/1",
      "https://localhost:/x",
      "https://localhost:0/x",
      "https://localhost:65536/x",
      "https://localhost:99999999/x",
      "https://local host/x",
      "https://localhost/a b",
      "https://localhost/a\\b",
      "https://localhost\\@evil/x",
      "https://localhost/<script>",
      "https://localhost/%zz",
      "https://localhost/%4",
      "https://[::1/x",
      "https://[]/x",
      "https://[::g]/x",
      "https://localhost/x#fragment",
      "https://localhost/x\x01",
      "https://localhost/x\x7f",
  };
  for (const auto& id : bad) {
    INFO(id);
    CHECK(read_refused(tombstone_with_id(id)).field == "id");
  }

  // http only behind the explicit option.
  const std::string http = R"({"type": "Tombstone", "id": "http://localhost/notes/1"})";
  CHECK(as<Tombstone>(read_ok(http, ReadOptions{.allow_http = true})).id ==
        "http://localhost/notes/1");

  // Fragments: key ids and activity ids may have one; objects and actors not.
  CHECK(read_ok(R"({"id": "https://localhost/users/a#likes/1", "type": "Like",
                    "actor": "https://localhost/users/a", "object": "https://localhost/n/1"})")
            .kind() == Kind::activity);
  CHECK(read_refused(R"({"id": "https://localhost/users/a/likes/1", "type": "Like",
                         "actor": "https://localhost/users/a#me", "object": "https://localhost/n/1"})")
            .field == "actor");
  CHECK(read_refused(R"({"id": "https://localhost/users/a#me", "type": "Person",
                         "preferredUsername": "a", "inbox": "https://localhost/users/a/inbox"})")
            .field == "id");
  CHECK(read_refused(R"({"id": "https://localhost/users/a", "type": "Person",
                         "preferredUsername": "a", "inbox": "https://localhost/users/a/inbox",
                         "publicKey": {"id": "https://localhost/users/a#main-key",
                                       "owner": "https://localhost/users/a#me",
                                       "publicKeyPem": "PEM"}})")
            .field == "publicKey.owner");
  // A reference to an activity may carry a fragment (Undo of a Like by id).
  CHECK(as<Activity>(read_ok(R"({"id": "https://localhost/users/a#likes/1/undo", "type": "Undo",
                                 "actor": "https://localhost/users/a",
                                 "object": "https://localhost/users/a#likes/1"})"))
            .object == "https://localhost/users/a#likes/1");
}

TEST_CASE("read_document: Flag lists reported objects; actor embedded as an object", "[activity]") {
  Document flag = read_ok(R"({"id": "https://localhost:3002/reports/1", "type": "Flag",
      "actor": {"id": "https://localhost:3002/actor", "type": "Application"},
      "content": "spam",
      "object": ["https://localhost:3001/users/alice",
                 "https://localhost:3001/users/alice/statuses/1",
                 {"id": "https://localhost:3001/users/alice/statuses/2", "type": "Note"}]})");
  const Activity& activity = as<Activity>(flag);
  CHECK(activity.actor == "https://localhost:3002/actor");
  CHECK(activity.object == kAlice);
  CHECK_FALSE(activity.embedded);
  CHECK(activity.other_objects ==
        std::vector<std::string>{kAlice + "/statuses/1", kAlice + "/statuses/2"});
  CHECK(activity.content == "spam");
  check_round_trip(flag);
}

TEST_CASE("list_references: every id and URL, with its role, embedded ones flagged", "[activity]") {
  Document document = read_ok(fixture("mastodon-create-note.json"));
  std::vector<Reference> references = list_references(document);
  auto find = [&](const std::string& field) -> const Reference* {
    for (const auto& r : references)
      if (r.field == field) return &r;
    return nullptr;
  };
  REQUIRE(find("id"));
  CHECK(find("id")->role == Role::id);
  CHECK_FALSE(find("id")->embedded);
  CHECK(find("actor")->url == kAlice);
  CHECK(find("actor")->role == Role::actor);
  CHECK(find("object")->role == Role::object);
  CHECK(find("to[0]")->role == Role::addressee);
  REQUIRE(find("object.attributedTo"));
  CHECK(find("object.attributedTo")->embedded);
  CHECK(find("object.attributedTo")->role == Role::attributed_to);
  CHECK(find("object.id")->url == kStatus);
  CHECK(find("object.inReplyTo")->role == Role::in_reply_to);
  CHECK(find("object.url")->role == Role::url);
  CHECK(find("object.tag.href")->role == Role::mention);
  CHECK(find("object.attachment[1].url")->role == Role::media);
  CHECK(find("object.tag.id")->role == Role::emoji);
  for (const auto& r : references) {
    INFO(r.field);
    CHECK_FALSE(r.url.empty());
    CHECK(r.embedded == r.field.starts_with("object."));
    CHECK_FALSE(role_name(r.role).empty());
  }

  std::vector<Reference> person = list_references(read_ok(fixture("mastodon-person.json")));
  auto has = [&](Role role, const std::string& url) {
    for (const auto& r : person)
      if (r.role == role && r.url == url) return true;
    return false;
  };
  CHECK(has(Role::key_id, kAlice + "#main-key"));
  CHECK(has(Role::key_owner, kAlice));
  CHECK(has(Role::inbox, kAlice + "/inbox"));
  CHECK(has(Role::shared_inbox, "https://localhost:3001/inbox"));
  CHECK(has(Role::also_known_as, "https://localhost:3002/users/alice"));
  CHECK(has(Role::featured, kAlice + "/collections/featured"));
}

TEST_CASE("write_document: context, addressing, and what is never written", "[activity]") {
  Object note;
  note.id = kStatus;
  note.type = "Note";
  note.attributed_to = kAlice;
  note.content = "<p>hello \xFF</p>";  // not UTF-8: replaced, not thrown
  note.addressing.to = {kPublic};
  note.addressing.bto = {"https://localhost:3002/users/secret"};
  note.addressing.bcc = {"https://localhost:3002/users/secret2"};
  note.quote = "https://localhost:3004/notes/9";
  const std::string json = write_object(note);
  INFO(json);
  CHECK(json.starts_with(
      R"({"@context":["https://www.w3.org/ns/activitystreams","https://w3id.org/security/v1",{)"));
  for (const char* term :
       {R"("manuallyApprovesFollowers":"as:manuallyApprovesFollowers")",
        R"("sensitive":"as:sensitive")", R"("Hashtag":"as:Hashtag")",
        R"("discoverable":"toot:discoverable")", R"("featured":{"@id":"toot:featured")",
        R"("PropertyValue":"schema:PropertyValue")", R"("value":"schema:value")",
        R"("blurhash":"toot:blurhash")", R"("focalPoint":{"@container":"@list")",
        R"("Emoji":"toot:Emoji")", R"("_misskey_quote":"misskey:_misskey_quote")"})
    CHECK(json.find(term) != std::string::npos);
  CHECK(json.find("secret") == std::string::npos);
  CHECK(json.find("bto") == std::string::npos);
  CHECK(json.find("bcc") == std::string::npos);
  CHECK(json.find("<p>hello \xEF\xBF\xBD</p>") != std::string::npos);
  for (
      const char* quote :
      {R"("quote":)", R"("quoteUrl":)", R"("quoteUri":)", R"("_misskey_quote":")",
       R"("type":"Link","mediaType":"application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\"")"})
    CHECK(json.find(quote) != std::string::npos);
  Document back = read_ok(json);
  CHECK(as<Object>(back).quote == note.quote);
  CHECK(as<Object>(back).addressing.bto.empty());

  Tombstone tombstone{kStatus, "Note", "2024-11-20T16:00:00Z"};
  CHECK(as<Tombstone>(read_ok(write_tombstone(tombstone))) == tombstone);
  Actor actor = as<Actor>(read_ok(fixture("mastodon-person.json")));
  CHECK(as<Actor>(read_ok(write_actor(actor))) == actor);
  Activity activity = as<Activity>(read_ok(fixture("mastodon-undo-follow.json")));
  CHECK(as<Activity>(read_ok(write_activity(activity))) == activity);
}

TEST_CASE("read_document: never throws, whatever the bytes", "[activity]") {
  // Every prefix of a real document, and some bytes that are not JSON.
  const std::string document = fixture("mastodon-create-note.json");
  for (std::size_t length = 0; length < document.size(); length += 7) {
    ReadResult result = read_document(std::string_view(document).substr(0, length));
    CHECK(result.document.has_value() != result.error.has_value());
  }
  for (std::string bytes : {std::string("\xEF\xBB\xBF{}"), std::string("{\"a\":\"\xC3\"}"),
                            std::string("{\"a\":1e99999}"), std::string("nul\0l", 5),
                            std::string("{\"a\":\"\\ud800\"}"), std::string("-"), std::string()}) {
    ReadResult result = read_document(bytes);
    CHECK(result.error.has_value());
  }
}
