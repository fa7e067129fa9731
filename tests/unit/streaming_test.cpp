// Streaming's pure parts: stream names and their parameters, clients'
// WebSocket messages (good ones, then a block of bad ones), the database
// event payloads, and the bounded outbox that cuts off a slow client.
#include <catch2/catch.hpp>

#include <string>

#include "../../src/api/stream_requests.hpp"
#include "../../src/api/streaming_hub.hpp"
#include "kith/api/tag_name.hpp"
#include "kith/http/stream.hpp"

using namespace kith::api;

TEST_CASE("stream names and parameters", "[streaming]") {
  auto user = std::get<StreamKey>(parse_stream("user", std::nullopt, std::nullopt));
  CHECK(user.kind == StreamKind::user);
  CHECK(stream_array(user) == nlohmann::json::array({"user"}));

  auto tag = std::get<StreamKey>(parse_stream("hashtag:local", "#Cats", std::nullopt));
  CHECK(tag.kind == StreamKind::hashtag_local);
  CHECK(tag.tag == "cats");
  CHECK(stream_array(tag) == nlohmann::json::array({"hashtag:local", "#Cats"}));
  CHECK(tag == std::get<StreamKey>(parse_stream("hashtag:local", "cats", std::nullopt)));

  auto list = std::get<StreamKey>(parse_stream("list", std::nullopt, "42"));
  CHECK(list.list == 42);
  CHECK(stream_array(list) == nlohmann::json::array({"list", "42"}));
  CHECK(is_public_stream(StreamKind::public_remote_media));
  CHECK_FALSE(is_public_stream(StreamKind::direct));

  CHECK(std::get<std::string>(parse_stream("users", std::nullopt, std::nullopt)) ==
        "Unknown stream type");
  CHECK(std::holds_alternative<std::string>(parse_stream("hashtag", std::nullopt, std::nullopt)));
  CHECK(std::holds_alternative<std::string>(parse_stream("hashtag", "#", std::nullopt)));
  CHECK(std::holds_alternative<std::string>(parse_stream("hashtag", "###", std::nullopt)));
  // Found by fuzz_stream_message: more than one leading '#' all go.
  CHECK(std::get<StreamKey>(parse_stream("hashtag", "###Ca", std::nullopt)).tag == "ca");
  CHECK(std::holds_alternative<std::string>(
      parse_stream("hashtag", std::string(kMaxStreamTagLength + 1, 'a'), std::nullopt)));
  CHECK(std::holds_alternative<std::string>(parse_stream("list", std::nullopt, "-1")));
  CHECK(std::holds_alternative<std::string>(parse_stream("list", std::nullopt, "12x")));
  CHECK(std::holds_alternative<std::string>(parse_stream("list", std::nullopt, std::nullopt)));
}

TEST_CASE("client messages", "[streaming]") {
  auto m = std::get<ClientMessage>(
      parse_client_message(R"({"type":"subscribe","stream":"hashtag","tag":"x"})"));
  CHECK(m.subscribe);
  CHECK(m.stream == "hashtag");
  CHECK(m.tag == "x");
  m = std::get<ClientMessage>(
      parse_client_message(R"({"type":"unsubscribe","stream":["list"],"list":7})"));
  CHECK_FALSE(m.subscribe);
  CHECK(m.stream == "list");
  CHECK(m.list == "7");

  for (const char* bad :
       {"", "null", "[]", "{", "\"subscribe\"", R"({"type":"subscribe"})",
        R"({"type":"ping","stream":"user"})", R"({"type":1,"stream":"user"})",
        R"({"type":"subscribe","stream":5})", R"({"type":"subscribe","stream":[]})"}) {
    INFO(bad);
    CHECK(std::holds_alternative<std::string>(parse_client_message(bad)));
  }
}

TEST_CASE("database event payloads", "[streaming]") {
  auto event = parse_stream_event(R"({"event":"status.deleted","id":"123","account_id":"45"})");
  REQUIRE(event);
  CHECK(event->kind == StreamEvent::Kind::status_deleted);
  CHECK(event->id == 123);
  CHECK(event->account_id == 45);
  CHECK_FALSE(parse_stream_event(R"({"event":"status.exploded","id":"1","account_id":"1"})"));
  CHECK_FALSE(parse_stream_event(R"({"event":"notification","id":"x","account_id":"1"})"));
  CHECK_FALSE(parse_stream_event("not json"));
}

TEST_CASE("messages as a WebSocket and an event stream carry them", "[streaming]") {
  auto key = std::get<StreamKey>(parse_stream("hashtag", "Cats", std::nullopt));
  using Kind = kith::http::StreamUpgrade::Kind;
  CHECK(nlohmann::json::parse(
            StreamingHub::format_message(Kind::websocket, key, "delete", std::string("12"))) ==
        nlohmann::json{{"stream", {"hashtag", "Cats"}}, {"event", "delete"}, {"payload", "12"}});
  CHECK(StreamingHub::format_message(Kind::event_stream, key, "delete", std::string("12")) ==
        "event: delete\ndata: 12\n\n");
  CHECK(nlohmann::json::parse(
            StreamingHub::format_message(Kind::websocket, key, "filters_changed", std::nullopt))
            .count("payload") == 0);
}

TEST_CASE("the outbox cuts off a client that does not keep up", "[streaming]") {
  kith::http::StreamOutbox outbox(10);
  int wakes = 0;
  outbox.set_waker([&wakes] { ++wakes; });
  CHECK(outbox.push("12345"));
  CHECK(outbox.push("12345"));
  CHECK(outbox.take().size() == 2);
  CHECK(outbox.push("1234567890"));
  CHECK_FALSE(outbox.push("1"));  // over the cap: overflowed, the connection ends
  CHECK(outbox.overflowed());
  CHECK(outbox.take().empty());
  CHECK_FALSE(outbox.push("1"));
  CHECK(wakes == 4);
  outbox.finish();
  CHECK_FALSE(outbox.push("1"));
}

TEST_CASE("a tag name is the same with or without leading '#', in any ASCII case", "[streaming]") {
  using kith::api::normalised_tag_name;
  CHECK(normalised_tag_name("Cats") == "cats");
  CHECK(normalised_tag_name("#Cats") == "cats");
  CHECK(normalised_tag_name("###Cats") == "cats");
  CHECK(normalised_tag_name("#") == "");
  CHECK(normalised_tag_name("Ünïcode#X") == "Ünïcode#x");  // only ASCII folds; inner '#' stays
}
