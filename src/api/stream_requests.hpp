// The streams a client may open and the messages it sends on a streaming
// WebSocket, parsed: pure functions of untrusted input (no I/O), so they
// are tested on their own. Internal to the api module.
//
// Stream names are Mastodon's: user, user:notification, public,
// public:media, public:local, public:local:media, public:remote,
// public:remote:media, hashtag, hashtag:local (with `tag`), list (with
// `list`, an id) and direct. A client message is
// {"type": "subscribe" | "unsubscribe", "stream": name, "tag": ..., "list": ...}.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace kith::api {

// Longest hashtag a stream may name (tags are shorter in practice).
inline constexpr std::size_t kMaxStreamTagLength = 256;

enum class StreamKind {
  user,
  user_notification,
  public_all,
  public_media,
  public_local,
  public_local_media,
  public_remote,
  public_remote_media,
  hashtag,
  hashtag_local,
  list,
  direct,
};

// One stream: its kind, and the tag (normalised: without '#', lower case)
// or list it is about. `shown_tag` is the tag as the client wrote it, which
// Mastodon echoes in each message's "stream" array; it takes no part in
// comparisons.
struct StreamKey {
  StreamKind kind = StreamKind::user;
  std::string tag;
  std::int64_t list = 0;
  std::string shown_tag;

  bool operator==(const StreamKey& other) const {
    return kind == other.kind && tag == other.tag && list == other.list;
  }
  bool operator<(const StreamKey& other) const {
    if (kind != other.kind) return kind < other.kind;
    if (tag != other.tag) return tag < other.tag;
    return list < other.list;
  }
};

// Mastodon's name of a stream kind ("public:local").
std::string_view stream_kind_name(StreamKind kind);
// The "stream" array of a message: ["hashtag", "cats"], ["list", "12"], ["user"].
nlohmann::json stream_array(const StreamKey& key);
// The public streams (no scope needed, any signed-in user).
bool is_public_stream(StreamKind kind);

// A stream from its name and parameters; an error message (Mastodon's
// wording) for an unknown name, a missing or bad tag or list.
std::variant<StreamKey, std::string> parse_stream(std::string_view name,
                                                  std::optional<std::string_view> tag,
                                                  std::optional<std::string_view> list);

struct ClientMessage {
  bool subscribe = true;  // false: unsubscribe
  std::string stream;
  std::optional<std::string> tag;
  std::optional<std::string> list;  // a string or a number in the JSON
};

// A WebSocket text message from a client; an error message for anything
// that is not such an object (bad JSON, unknown type, missing stream).
std::variant<ClientMessage, std::string> parse_client_message(std::string_view text);

}  // namespace kith::api
