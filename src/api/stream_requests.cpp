// Parsing stream names and streaming clients' messages (stream_requests.hpp).
// Depends on nlohmann/json only, so the fuzz target compiles it alone.
#include "stream_requests.hpp"

#include "kith/api/tag_name.hpp"

#include <charconv>

namespace kith::api {
namespace {

struct KindName {
  StreamKind kind;
  std::string_view name;
};
constexpr KindName kKindNames[] = {
    {StreamKind::user, "user"},
    {StreamKind::user_notification, "user:notification"},
    {StreamKind::public_all, "public"},
    {StreamKind::public_media, "public:media"},
    {StreamKind::public_local, "public:local"},
    {StreamKind::public_local_media, "public:local:media"},
    {StreamKind::public_remote, "public:remote"},
    {StreamKind::public_remote_media, "public:remote:media"},
    {StreamKind::hashtag, "hashtag"},
    {StreamKind::hashtag_local, "hashtag:local"},
    {StreamKind::list, "list"},
    {StreamKind::direct, "direct"},
};

// A positive decimal id, as the API's ids (no sign, no spaces).
std::optional<std::int64_t> positive_id(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

// A JSON member that must be a string (or absent); a number is accepted
// where ids are expected.
std::optional<std::string> string_member(const nlohmann::json& object, const char* name,
                                         bool number_ok) {
  auto it = object.find(name);
  if (it == object.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  if (number_ok && it->is_number_integer()) return std::to_string(it->get<std::int64_t>());
  return std::nullopt;
}

}  // namespace

std::string_view stream_kind_name(StreamKind kind) {
  for (const auto& entry : kKindNames)
    if (entry.kind == kind) return entry.name;
  return "user";
}

bool is_public_stream(StreamKind kind) {
  return kind != StreamKind::user && kind != StreamKind::user_notification &&
         kind != StreamKind::list && kind != StreamKind::direct;
}

nlohmann::json stream_array(const StreamKey& key) {
  nlohmann::json array = nlohmann::json::array({std::string(stream_kind_name(key.kind))});
  if (key.kind == StreamKind::hashtag || key.kind == StreamKind::hashtag_local)
    array.push_back(key.shown_tag);
  else if (key.kind == StreamKind::list)
    array.push_back(std::to_string(key.list));
  return array;
}

std::variant<StreamKey, std::string> parse_stream(std::string_view name,
                                                  std::optional<std::string_view> tag,
                                                  std::optional<std::string_view> list) {
  StreamKey key;
  bool known = false;
  for (const auto& entry : kKindNames) {
    if (entry.name == name) {
      key.kind = entry.kind;
      known = true;
    }
  }
  if (!known) return std::string("Unknown stream type");
  if (key.kind == StreamKind::hashtag || key.kind == StreamKind::hashtag_local) {
    if (!tag || tag->empty()) return std::string("Missing tag name parameter");
    if (tag->size() > kMaxStreamTagLength) return std::string("Tag name too long");
    key.shown_tag = std::string(*tag);
    key.tag = normalised_tag_name(*tag);
    if (key.tag.empty()) return std::string("Missing tag name parameter");
  }
  if (key.kind == StreamKind::list) {
    if (!list || list->empty()) return std::string("Missing list name parameter");
    auto id = positive_id(*list);
    if (!id) return std::string("Not authorized to stream this list");
    key.list = *id;
  }
  return key;
}

std::variant<ClientMessage, std::string> parse_client_message(std::string_view text) {
  nlohmann::json json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::string("Invalid JSON message");
  ClientMessage message;
  auto type = string_member(json, "type", false);
  if (type == "subscribe")
    message.subscribe = true;
  else if (type == "unsubscribe")
    message.subscribe = false;
  else
    return std::string("Unknown message type");
  // Mastodon takes the first element when `stream` is an array.
  auto stream = json.find("stream");
  if (stream != json.end() && stream->is_array() && !stream->empty() && stream->front().is_string())
    message.stream = stream->front().get<std::string>();
  else if (auto name = string_member(json, "stream", false))
    message.stream = *name;
  else
    return std::string("Missing stream parameter");
  message.tag = string_member(json, "tag", false);
  message.list = string_member(json, "list", true);
  return message;
}

}  // namespace kith::api
