// The streaming hub's interface inside the api module (see
// include/kith/api/streaming.hpp for what it is for): connections register
// here, subscribe and unsubscribe, and the hub pushes rendered messages
// into their outboxes.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <set>
#include <string>
#include <variant>
#include <vector>

#include "kith/api/streaming.hpp"
#include "kith/db/stream_listener.hpp"
#include "kith/http/stream.hpp"
#include "stream_requests.hpp"

namespace kith::mod {
class Engine;
}

namespace kith::api {

// What streamed statuses need from community moderation: the engine whose
// verdicts they carry in `filtered` (status_filters.hpp), and where a
// status sent to a viewer is recorded as an exposure
// (moderation_service.hpp). Either may be empty.
struct StreamModeration {
  const mod::Engine* engine = nullptr;
  std::function<void(std::int64_t viewer, const nlohmann::json& status)> record_exposure;
};

// Open streams (WebSocket connections and event streams) per user.
inline constexpr std::size_t kMaxStreamsPerUser = 8;
// Open streams in all.
inline constexpr std::size_t kMaxOpenStreams = 2048;
// Subscriptions on one WebSocket.
inline constexpr std::size_t kMaxSubscriptionsPerConnection = 16;
// Bytes waiting for one slow client before it is disconnected.
inline constexpr std::size_t kStreamOutboxBytes = 64 * 1024;
// Events received but not yet dispatched; older ones are dropped beyond.
inline constexpr std::size_t kMaxPendingStreamEvents = 4096;
// Events rendered in one pool job, whose messages are all built before any
// is sent.
inline constexpr std::size_t kStreamEventsPerRender = 2;
// Open streams rendered for in one pool job. A job builds at most
// kStreamOutboxBytes of messages for one stream (a stream that would get
// more is closed there, as its outbox would overflow), so what one job
// holds is bounded by kStreamTargetsPerRender * kStreamOutboxBytes (8 MiB),
// plus one rendered status per viewer and event; not by the number of
// open streams times their subscriptions.
inline constexpr std::size_t kStreamTargetsPerRender = 128;
// Mentioned accounts a status.deleted event carries (migration 0015 sends
// at most 200); more are ignored.
inline constexpr std::size_t kMaxStreamDeleteMentions = 200;

// One database event (a kith_stream notification).
struct StreamEvent {
  enum class Kind {
    status_created,
    status_updated,
    status_deleted,
    notification,
    conversation,
    filters_changed
  };
  Kind kind = Kind::status_created;
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  // status.deleted only: who could see the deleted row, for when the row
  // is gone by the time the hub renders (a boost undone). Empty visibility
  // (an event without it) means unknown: then only the author is told.
  std::string visibility;
  std::int64_t reblog_account_id = 0;  // the boosted status's author, for a boost
  std::vector<std::int64_t> mentions;  // at most kMaxStreamDeleteMentions
};
// A notification payload; nullopt for anything malformed or unknown.
std::optional<StreamEvent> parse_stream_event(std::string_view payload);

class StreamingHub {
 public:
  StreamingHub(db::Pool& pool, std::string host);
  ~StreamingHub();

  // Set once before start (add_api_routes).
  void set_moderation(StreamModeration moderation) { moderation_ = std::move(moderation); }

  // An open stream; closing it (destroying the last reference) removes its
  // subscriptions.
  class Stream {
   public:
    // Made by StreamingHub::open only.
    Stream(StreamingHub& hub, std::uint64_t id, std::shared_ptr<http::StreamOutbox> outbox)
        : hub_(hub), id_(id), outbox_(std::move(outbox)) {}
    ~Stream();
    Stream(const Stream&) = delete;
    Stream& operator=(const Stream&) = delete;
    const std::shared_ptr<http::StreamOutbox>& outbox() const { return outbox_; }
    std::uint64_t id() const { return id_; }

   private:
    StreamingHub& hub_;
    std::uint64_t id_;
    std::shared_ptr<http::StreamOutbox> outbox_;
  };

  // Opens a stream for `account_id`; the HTTP status to refuse it with
  // (429 too many for this user, 503 too many in all) otherwise.
  // `notifications` (the token may read notifications) lets the user
  // stream carry them.
  // `token_id` is the access token's row: a dispatch closes the stream
  // once that token is revoked or expired or its user disabled or
  // suspended, before sending it anything more.
  std::variant<std::shared_ptr<Stream>, int> open(std::int64_t account_id,
                                                  http::StreamUpgrade::Kind kind,
                                                  bool notifications, std::int64_t token_id);

  enum class SubscribeResult { subscribed, already, too_many };
  SubscribeResult subscribe(const Stream& stream, StreamKey key);
  void unsubscribe(const Stream& stream, const StreamKey& key);

  // The text of one message for `kind` of connection.
  static std::string format_message(http::StreamUpgrade::Kind kind, const StreamKey& key,
                                    std::string_view event,
                                    const std::optional<std::string>& payload);

  void start(boost::asio::any_io_executor executor, std::string connection_string);
  void stop();

  db::Pool& pool() { return pool_; }

  // What a dispatch needs to know of one open stream (a snapshot).
  struct Target {
    std::int64_t account_id = 0;
    http::StreamUpgrade::Kind kind = http::StreamUpgrade::Kind::websocket;
    bool notifications = false;
    std::shared_ptr<http::StreamOutbox> outbox;
    std::vector<StreamKey> streams;
    std::int64_t token_id = 0;
  };
  struct Outgoing {
    std::shared_ptr<http::StreamOutbox> outbox;
    std::string message;
  };

 private:
  struct Entry {
    std::int64_t account_id = 0;
    std::int64_t token_id = 0;
    http::StreamUpgrade::Kind kind;
    bool notifications = false;
    std::shared_ptr<http::StreamOutbox> outbox;
    std::set<StreamKey> streams;
  };

  void close(std::uint64_t id);
  void receive(std::vector<std::string> payloads);  // on the listener's thread
  boost::asio::awaitable<void> dispatch_loop();

  db::Pool& pool_;
  const std::string host_;
  StreamModeration moderation_;
  std::mutex mutex_;  // guards everything below
  std::map<std::uint64_t, Entry> streams_;
  std::map<std::int64_t, std::size_t> per_account_;
  std::uint64_t next_id_ = 1;
  std::vector<StreamEvent> pending_;
  bool dispatching_ = false;
  std::optional<boost::asio::strand<boost::asio::any_io_executor>> strand_;
  std::unique_ptr<db::StreamListener> listener_;
};

// Whether a stream's outbox still takes messages (it did not overflow and
// was not closed): the hub renders nothing for one that does not.
bool accepts_messages(const http::StreamOutbox& outbox);

// Renders `events` for `targets` (on a pool thread): the messages to push,
// at most kStreamOutboxBytes for one target (beyond, its outbox is closed
// and nothing more is rendered for it).
std::vector<StreamingHub::Outgoing> render_stream_events(
    pqxx::connection& connection, const std::vector<StreamEvent>& events,
    const std::vector<StreamingHub::Target>& targets, const std::string& host,
    const StreamModeration& moderation = {});

}  // namespace kith::api
