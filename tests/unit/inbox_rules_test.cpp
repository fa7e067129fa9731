// The inbox worker's pure decisions (inbox_rules.hpp): visibility from
// addressing (Mastodon's rule), which object of an activity is believed
// (embedded on the actor's origin, else fetched from its own), who may
// author what, what a failed fetch means, and a remote object read as a
// status (recorded Mastodon and Misskey documents, fixtures/activitypub).
#include <catch2/catch.hpp>

#include <fstream>
#include <iterator>
#include <string>

#include "kith/ap/inbox_rules.hpp"

using namespace kith::ap;
using namespace kith::ap::inbox;
using kith::db::Visibility;

namespace {

constexpr std::string_view kActor = "https://remote.localhost/users/bob";
constexpr std::string_view kFollowers = "https://remote.localhost/users/bob/followers";

std::string fixture(const std::string& name) {
  const std::string path =
      std::string(KITH_SOURCE_DIR) + "/tests/unit/fixtures/activitypub/" + name;
  std::ifstream in(path, std::ios::binary);
  if (!in) FAIL("missing fixture " << path);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Document read(std::string_view bytes) {
  ReadResult result = read_document(bytes);
  if (result.error) FAIL("refused: " << result.error->field << ": " << result.error->message);
  return *result.document;
}

const Activity& activity_of(const Document& document) {
  REQUIRE(document.kind() == Kind::activity);
  return std::get<Activity>(document.value);
}

const Object& embedded_object(const Activity& activity) {
  REQUIRE(activity.embedded);
  REQUIRE(activity.embedded->kind() == Kind::object);
  return std::get<Object>(activity.embedded->value);
}

Addressing addressed(std::vector<std::string> to, std::vector<std::string> cc = {}) {
  Addressing a;
  a.to = std::move(to);
  a.cc = std::move(cc);
  return a;
}

const std::string kPublic(kPublicCollection);

}  // namespace

TEST_CASE("inbox: visibility from addressing follows Mastodon's rule", "[inbox]") {
  const std::string followers(kFollowers);
  const std::string someone = "https://elsewhere.localhost/users/carol";
  struct Case {
    Addressing addressing;
    Visibility expected;
  };
  const std::vector<Case> cases = {
      {addressed({kPublic}), Visibility::public_},
      {addressed({kPublic}, {followers}), Visibility::public_},
      {addressed({followers, kPublic}), Visibility::public_},  // to wins over cc
      {addressed({followers}, {kPublic}), Visibility::unlisted},
      {addressed({someone}, {kPublic}), Visibility::unlisted},
      {addressed({followers}), Visibility::private_},
      {addressed({someone}, {followers}), Visibility::private_},
      {addressed({someone}), Visibility::direct},
      {addressed({}), Visibility::direct},
      // Another actor's followers collection is not the author's.
      {addressed({"https://remote.localhost/users/eve/followers"}), Visibility::direct},
  };
  for (const auto& c : cases)
    CHECK(visibility_from_addressing(c.addressing, kFollowers) == c.expected);
  // as:Public in audience reads as unlisted (never public: it is not in to).
  Addressing audience;
  audience.audience = {kPublic};
  CHECK(visibility_from_addressing(audience, kFollowers) == Visibility::unlisted);
  // An unknown followers URL ("") matches nothing.
  CHECK(visibility_from_addressing(addressed({followers}), "") == Visibility::direct);
}

TEST_CASE("inbox: origins are compared after normalisation", "[inbox]") {
  CHECK(same_origin("https://remote.localhost/a", "https://REMOTE.localhost./b"));
  CHECK(same_origin("https://remote.localhost:443/a", "https://remote.localhost/b"));
  CHECK_FALSE(same_origin("https://remote.localhost/a", "https://remote.localhost:8443/a"));
  CHECK_FALSE(same_origin("https://remote.localhost/a", "https://evil.localhost/a"));
  CHECK_FALSE(same_origin("https://remote.localhost/a", "http://remote.localhost/a"));
  CHECK_FALSE(same_origin("https://remote.localhost.evil.localhost/", "https://remote.localhost/"));
  CHECK_FALSE(same_origin("not a url", "not a url"));
  CHECK_FALSE(same_origin("", ""));
}

TEST_CASE("inbox: an embedded object is believed only on its actor's origin", "[inbox]") {
  // Mastodon's Create: the Note is alice's, on alice's server.
  const Document create = read(fixture("mastodon-create-note.json"));
  CHECK(object_source(activity_of(create)) == ObjectSource::embedded);

  // The same Create claiming a Note on another server: fetched, not believed.
  const Document forged = read(R"({
    "id": "https://remote.localhost/activities/1", "type": "Create",
    "actor": "https://remote.localhost/users/bob",
    "object": {"id": "https://victim.localhost/notes/1", "type": "Note",
               "attributedTo": "https://remote.localhost/users/bob", "content": "lies"}})");
  CHECK(object_source(activity_of(forged)) == ObjectSource::fetch);

  // Given by id only (a Like, an Announce): fetched (or looked up).
  const Document like = read(R"({
    "id": "https://remote.localhost/users/bob#likes/1", "type": "Like",
    "actor": "https://remote.localhost/users/bob",
    "object": "https://kith.localhost/users/alice/statuses/1"})");
  CHECK(object_source(activity_of(like)) == ObjectSource::fetch);

  // A host that merely starts like the actor's is another origin.
  const Document lookalike = read(R"({
    "id": "https://remote.localhost/activities/2", "type": "Create",
    "actor": "https://remote.localhost/users/bob",
    "object": {"id": "https://remote.localhost.evil.localhost/notes/1", "type": "Note",
               "attributedTo": "https://remote.localhost/users/bob", "content": "lies"}})");
  CHECK(object_source(activity_of(lookalike)) == ObjectSource::fetch);
}

TEST_CASE("inbox: an object stored as the actor's must be attributed to it, on its origin",
          "[inbox]") {
  const Document create = read(fixture("mastodon-create-note.json"));
  const Activity& activity = activity_of(create);
  const Object& note = embedded_object(activity);
  CHECK_FALSE(authorship_error(note, activity.actor).has_value());
  // Someone else's Note, even on the same server.
  CHECK(authorship_error(note, "https://localhost:3001/users/mallory").has_value());
  Object moved = note;
  moved.id = "https://localhost:3002/notes/1";  // attributed to alice, on bob's server
  CHECK(authorship_error(moved, activity.actor).has_value());
  Object anonymous = note;
  anonymous.attributed_to.clear();
  CHECK(authorship_error(anonymous, activity.actor).has_value());
}

TEST_CASE("inbox: what a failed fetch means", "[inbox]") {
  CHECK(verdict_for_fetch(FetchFailure::network) == Verdict::retry);
  CHECK(verdict_for_fetch(FetchFailure::http_status) == Verdict::retry);
  CHECK(verdict_for_fetch(FetchFailure::gone) == Verdict::ignore);
  for (auto failure : {FetchFailure::bad_url, FetchFailure::local, FetchFailure::content_type,
                       FetchFailure::invalid, FetchFailure::id_mismatch})
    CHECK(verdict_for_fetch(failure) == Verdict::invalid);
}

TEST_CASE("inbox: status types", "[inbox]") {
  for (auto type : {"Note", "Question", "Article", "Page", "Image", "Video", "Audio", "Event"})
    CHECK(is_status_type(type));
  for (auto type : {"Person", "Tombstone", "Create", "ChatMessage", "", "note"})
    CHECK_FALSE(is_status_type(type));
}

TEST_CASE("inbox: a Mastodon Note read as a status keeps what its author said", "[inbox]") {
  const Document create = read(fixture("mastodon-create-note.json"));
  const Activity& activity = activity_of(create);
  const Object& note = embedded_object(activity);
  const std::string followers = activity.actor + "/followers";
  std::string error;
  const auto status = status_from_object(note, 42, followers, error);
  REQUIRE(status.has_value());
  CHECK(status->account_id == 42);
  CHECK(status->uri == note.id);
  CHECK(status->visibility == Visibility::public_);
  CHECK(status->spoiler_text == "food, spoilers for dinner");
  CHECK(status->sensitive);
  CHECK(status->in_reply_to_uri == note.in_reply_to);
  CHECK(status->published == note.published);
  CHECK_FALSE(status->content.empty());
  CHECK(status->content.find("<script") == std::string::npos);
  CHECK(status->attachments.size() == 2);
  for (const auto& a : status->attachments) {
    CHECK_FALSE(a.remote_url.empty());
    CHECK(a.type != "");
  }
  CHECK_FALSE(status->tags.empty());
  for (const auto& tag : status->tags) CHECK(tag.front() != '#');
  const NamedAccounts named = named_accounts(note, followers);
  REQUIRE_FALSE(named.mentioned.empty());
  // Mentioned accounts are not repeated as addressees; the public and
  // followers collections are never accounts.
  for (const auto& uri : named.addressed) {
    CHECK(uri != kPublic);
    CHECK(uri != followers);
    CHECK(std::find(named.mentioned.begin(), named.mentioned.end(), uri) == named.mentioned.end());
  }
}

TEST_CASE("inbox: a Question is read as a poll, a Misskey quote as a quote", "[inbox]") {
  const Document question = read(fixture("mastodon-create-question.json"));
  const Object& object = embedded_object(activity_of(question));
  std::string error;
  const auto poll_status = status_from_object(object, 1, "", error);
  REQUIRE(poll_status.has_value());
  REQUIRE(poll_status->poll.has_value());
  CHECK(poll_status->poll->options.size() == object.poll->options.size());
  CHECK(poll_status->poll->multiple == object.poll->multiple);

  const Document quote = read(fixture("misskey-create-note-quote.json"));
  const Object& note = embedded_object(activity_of(quote));
  const auto quote_status = status_from_object(note, 1, "", error);
  REQUIRE(quote_status.has_value());
  CHECK_FALSE(quote_status->quote_uri.empty());
  CHECK(quote_status->quote_uri == note.quote);
}

TEST_CASE("inbox: remote HTML is sanitised before it is stored", "[inbox]") {
  Object note;
  note.id = "https://remote.localhost/notes/1";
  note.type = "Note";
  note.attributed_to = std::string(kActor);
  note.content =
      R"html(<p onclick="x()">hi <script>alert(1)</script><a href="javascript:x">y</a></p>)html";
  note.summary = "<b>cw</b>";
  note.url = "https://evil.localhost/notes/1";  // a page on another origin is dropped
  std::string error;
  const auto status = status_from_object(note, 1, kFollowers, error);
  REQUIRE(status.has_value());
  CHECK(status->content.find("script") == std::string::npos);
  CHECK(status->content.find("onclick") == std::string::npos);
  CHECK(status->content.find("javascript") == std::string::npos);
  CHECK(status->spoiler_text == "cw");
  CHECK(status->sensitive);  // a content warning implies it
  CHECK(status->url.empty());
  CHECK(status->visibility == Visibility::direct);  // addressed to nobody

  note.content = std::string(200 * 1024, 'a');  // over the sanitiser's limit
  CHECK_FALSE(status_from_object(note, 1, kFollowers, error).has_value());
  CHECK_FALSE(error.empty());
}

TEST_CASE("inbox: an Undo undoes only the actor's own activity", "[inbox]") {
  std::string error;
  // Mastodon's Undo{Follow}: embedded, by the same actor.
  const Document mastodon = read(fixture("mastodon-undo-follow.json"));
  const Activity& undo = activity_of(mastodon);
  const auto undone = read_undone(undo, undo.actor, error);
  REQUIRE(undone.has_value());
  CHECK(undone->type == "Follow");
  CHECK(undone->id == std::get<Activity>(undo.embedded->value).id);
  CHECK(undone->object == std::get<Activity>(undo.embedded->value).object);
  // The same Undo claimed by another actor of that server: the embedded
  // Follow is not theirs.
  CHECK_FALSE(read_undone(undo, "https://localhost:3001/users/mallory", error).has_value());
  CHECK(error.find("not the actor's") != std::string::npos);

  // By id only: the id must be on the actor's origin.
  const Document by_id = read(R"({
    "id": "https://remote.localhost/users/bob#undo/1", "type": "Undo",
    "actor": "https://remote.localhost/users/bob",
    "object": "https://remote.localhost/users/bob#likes/7"})");
  const auto like = read_undone(activity_of(by_id), kActor, error);
  REQUIRE(like.has_value());
  CHECK(like->id == "https://remote.localhost/users/bob#likes/7");
  CHECK(like->type.empty());
  const Document foreign = read(R"({
    "id": "https://remote.localhost/users/bob#undo/2", "type": "Undo",
    "actor": "https://remote.localhost/users/bob",
    "object": "https://victim.localhost/users/carol#likes/7"})");
  CHECK_FALSE(read_undone(activity_of(foreign), kActor, error).has_value());

  // Undo of something that is not an activity.
  const Document note = read(R"({
    "id": "https://remote.localhost/users/bob#undo/3", "type": "Undo",
    "actor": "https://remote.localhost/users/bob",
    "object": {"id": "https://remote.localhost/notes/1", "type": "Note",
               "attributedTo": "https://remote.localhost/users/bob", "content": "x"}})");
  CHECK_FALSE(read_undone(activity_of(note), kActor, error).has_value());
}

TEST_CASE("inbox: Accept and Reject answer only Follows of the actor", "[inbox]") {
  std::string error;
  const Document by_id = read(R"({
    "id": "https://remote.localhost/users/bob#accepts/1", "type": "Accept",
    "actor": "https://remote.localhost/users/bob",
    "object": "https://kith.localhost/users/alice#follows/12"})");
  const auto follow = read_answered_follow(activity_of(by_id), kActor, error);
  REQUIRE(follow.has_value());
  CHECK(follow->follow_uri == "https://kith.localhost/users/alice#follows/12");
  CHECK(follow->follower_uri.empty());

  const Document embedded = read(R"({
    "id": "https://remote.localhost/users/bob#accepts/2", "type": "Accept",
    "actor": "https://remote.localhost/users/bob",
    "object": {"id": "https://kith.localhost/users/alice#follows/13", "type": "Follow",
               "actor": "https://kith.localhost/users/alice",
               "object": "https://remote.localhost/users/bob"}})");
  const auto answered = read_answered_follow(activity_of(embedded), kActor, error);
  REQUIRE(answered.has_value());
  CHECK(answered->follow_uri == "https://kith.localhost/users/alice#follows/13");
  CHECK(answered->follower_uri == "https://kith.localhost/users/alice");

  // bob accepting alice's follow of eve: refused.
  const Document of_eve = read(R"({
    "id": "https://remote.localhost/users/bob#accepts/3", "type": "Accept",
    "actor": "https://remote.localhost/users/bob",
    "object": {"id": "https://kith.localhost/users/alice#follows/14", "type": "Follow",
               "actor": "https://kith.localhost/users/alice",
               "object": "https://remote.localhost/users/eve"}})");
  CHECK_FALSE(read_answered_follow(activity_of(of_eve), kActor, error).has_value());
  CHECK(error.find("not of the actor") != std::string::npos);

  // Accept of a Like is not an answer to a Follow.
  const Document of_like = read(R"({
    "id": "https://remote.localhost/users/bob#accepts/4", "type": "Accept",
    "actor": "https://remote.localhost/users/bob",
    "object": {"id": "https://kith.localhost/users/alice#likes/1", "type": "Like",
               "actor": "https://kith.localhost/users/alice",
               "object": "https://remote.localhost/notes/1"}})");
  CHECK_FALSE(read_answered_follow(activity_of(of_like), kActor, error).has_value());
}
