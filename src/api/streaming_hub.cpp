// The streaming hub's bookkeeping and dispatch loop (streaming.hpp).
//
// Open streams and their subscriptions live in one map under a mutex:
// connections (on their strands) register and subscribe, the dispatcher
// takes a snapshot. Database events arrive on the listener's thread and
// queue in `pending_` (at most kMaxPendingStreamEvents); one dispatcher
// coroutine at a time, on the hub's strand, takes everything queued,
// renders it in pool jobs of at most kStreamEventsPerRender events for
// kStreamTargetsPerRender streams (stream_rendering.cpp) and pushes each
// job's messages into the outboxes, whose writers live on the connections'
// strands. A slow client only fills its own outbox, and is cut off there.
#include <spdlog/spdlog.h>
#include <algorithm>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/post.hpp>

#include "streaming_hub.hpp"

namespace kith::api {

std::optional<StreamEvent> parse_stream_event(std::string_view payload) {
  nlohmann::json json = nlohmann::json::parse(payload, nullptr, false);
  if (json.is_discarded() || !json.is_object()) return std::nullopt;
  auto text = [&json](const char* name) -> std::string {
    auto it = json.find(name);
    return it != json.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  static const std::pair<std::string_view, StreamEvent::Kind> kKinds[] = {
      {"status.created", StreamEvent::Kind::status_created},
      {"status.updated", StreamEvent::Kind::status_updated},
      {"status.deleted", StreamEvent::Kind::status_deleted},
      {"notification", StreamEvent::Kind::notification},
      {"conversation", StreamEvent::Kind::conversation},
      {"filters_changed", StreamEvent::Kind::filters_changed},
  };
  StreamEvent event;
  const std::string name = text("event");
  bool known = false;
  for (const auto& [kind_name, kind] : kKinds) {
    if (kind_name == name) {
      event.kind = kind;
      known = true;
    }
  }
  if (!known) return std::nullopt;
  try {
    event.id = std::stoll(text("id"));
    event.account_id = std::stoll(text("account_id"));
  } catch (const std::exception&) {
    return std::nullopt;
  }
  if (event.kind != StreamEvent::Kind::status_deleted) return event;
  static const std::string_view kVisibilities[] = {"public", "unlisted", "private", "direct",
                                                   "local"};
  const std::string visibility = text("visibility");
  if (std::find(std::begin(kVisibilities), std::end(kVisibilities), visibility) !=
      std::end(kVisibilities))
    event.visibility = visibility;
  try {
    if (const std::string boosted = text("reblog_account_id"); !boosted.empty())
      event.reblog_account_id = std::stoll(boosted);
    auto mentions = json.find("mentions");
    if (mentions != json.end() && mentions->is_array()) {
      for (const auto& mention : *mentions) {
        if (event.mentions.size() >= kMaxStreamDeleteMentions) break;
        if (mention.is_string()) event.mentions.push_back(std::stoll(mention.get<std::string>()));
      }
    }
  } catch (const std::exception&) {
    // Unreadable audience facts: the row's own facts, or the author alone.
    event.visibility.clear();
    event.mentions.clear();
  }
  return event;
}

bool accepts_messages(const http::StreamOutbox& outbox) {
  return !outbox.overflowed() && !outbox.closed();
}

StreamingHub::StreamingHub(db::Pool& pool, std::string host)
    : pool_(pool), host_(std::move(host)) {}

StreamingHub::~StreamingHub() {
  stop();
}

StreamingHub::Stream::~Stream() {
  outbox_->finish();
  hub_.close(id_);
}

std::variant<std::shared_ptr<StreamingHub::Stream>, int> StreamingHub::open(
    std::int64_t account_id, http::StreamUpgrade::Kind kind, bool notifications,
    std::int64_t token_id) {
  auto outbox = std::make_shared<http::StreamOutbox>(kStreamOutboxBytes);
  std::uint64_t id;
  {
    std::lock_guard lock(mutex_);
    if (streams_.size() >= kMaxOpenStreams) return 503;
    std::size_t& mine = per_account_[account_id];
    if (mine >= kMaxStreamsPerUser) return 429;
    ++mine;
    id = next_id_++;
    streams_.emplace(id, Entry{account_id, token_id, kind, notifications, outbox, {}});
  }
  return std::make_shared<Stream>(*this, id, std::move(outbox));
}

void StreamingHub::close(std::uint64_t id) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(id);
  if (it == streams_.end()) return;
  auto count = per_account_.find(it->second.account_id);
  if (count != per_account_.end() && --count->second == 0) per_account_.erase(count);
  streams_.erase(it);
}

StreamingHub::SubscribeResult StreamingHub::subscribe(const Stream& stream, StreamKey key) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(stream.id());
  if (it == streams_.end()) return SubscribeResult::too_many;
  auto& subscriptions = it->second.streams;
  if (subscriptions.count(key)) return SubscribeResult::already;
  if (subscriptions.size() >= kMaxSubscriptionsPerConnection) return SubscribeResult::too_many;
  subscriptions.insert(std::move(key));
  return SubscribeResult::subscribed;
}

void StreamingHub::unsubscribe(const Stream& stream, const StreamKey& key) {
  std::lock_guard lock(mutex_);
  auto it = streams_.find(stream.id());
  if (it != streams_.end()) it->second.streams.erase(key);
}

std::string StreamingHub::format_message(http::StreamUpgrade::Kind kind, const StreamKey& key,
                                         std::string_view event,
                                         const std::optional<std::string>& payload) {
  if (kind == http::StreamUpgrade::Kind::websocket) {
    // {"stream": [...], "event": ..., "payload": "<JSON text or a bare id>"};
    // without a payload (filters_changed) the key is left out, as Mastodon.
    nlohmann::json message = {{"stream", stream_array(key)}, {"event", event}};
    if (payload) message["payload"] = *payload;
    return message.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  // Server-sent events: the payload is one line (compact JSON or an id).
  std::string text = "event: ";
  text.append(event);
  text += "\ndata: ";
  text += payload ? *payload : "null";
  text += "\n\n";
  return text;
}

void StreamingHub::start(boost::asio::any_io_executor executor, std::string connection_string) {
  strand_.emplace(boost::asio::make_strand(executor));
  listener_ = std::make_unique<db::StreamListener>(
      std::move(connection_string), db::kStreamChannel,
      [this](std::vector<std::string> payloads) { receive(std::move(payloads)); });
  listener_->start();
}

void StreamingHub::stop() {
  if (listener_) listener_->stop();
  listener_.reset();
  std::lock_guard lock(mutex_);
  pending_.clear();
  strand_.reset();
}

void StreamingHub::receive(std::vector<std::string> payloads) {
  std::lock_guard lock(mutex_);
  if (streams_.empty() || !strand_) return;  // nobody is listening: nothing to do
  for (const std::string& payload : payloads) {
    auto event = parse_stream_event(payload);
    if (!event) {
      spdlog::warn("streaming: ignored a malformed database event");
      continue;
    }
    if (pending_.size() >= kMaxPendingStreamEvents) {
      spdlog::warn("streaming: {} events waiting; dropping the oldest", pending_.size());
      pending_.erase(pending_.begin());
    }
    pending_.push_back(*event);
  }
  if (dispatching_ || pending_.empty()) return;
  dispatching_ = true;
  boost::asio::co_spawn(*strand_, dispatch_loop(), [](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const std::exception& e) {
      spdlog::error("streaming dispatcher: {}", e.what());
    }
  });
}

boost::asio::awaitable<void> StreamingHub::dispatch_loop() {
  for (;;) {
    std::vector<StreamEvent> events;
    std::vector<Target> targets;
    {
      std::lock_guard lock(mutex_);
      if (pending_.empty() || streams_.empty()) {
        pending_.clear();
        dispatching_ = false;
        co_return;
      }
      events.swap(pending_);
      for (const auto& [id, entry] : streams_) {
        // A stream whose outbox overflowed or closed is ending: nothing is
        // rendered for it.
        if (entry.streams.empty() || !accepts_messages(*entry.outbox)) continue;
        targets.push_back(Target{entry.account_id,
                                 entry.kind,
                                 entry.notifications,
                                 entry.outbox,
                                 {entry.streams.begin(), entry.streams.end()},
                                 entry.token_id});
      }
    }
    if (targets.empty()) continue;
    // A few events for a few streams at a time: their messages are sent
    // before the next ones are rendered, and streams that overflowed on the
    // way are left out of the rest.
    for (std::size_t first = 0; first < events.size(); first += kStreamEventsPerRender) {
      const std::size_t last = std::min(events.size(), first + kStreamEventsPerRender);
      const std::vector<StreamEvent> chunk(events.begin() + static_cast<std::ptrdiff_t>(first),
                                           events.begin() + static_cast<std::ptrdiff_t>(last));
      std::erase_if(targets, [](const Target& t) { return !accepts_messages(*t.outbox); });
      for (std::size_t from = 0; from < targets.size(); from += kStreamTargetsPerRender) {
        const std::size_t to = std::min(targets.size(), from + kStreamTargetsPerRender);
        const std::vector<Target> some(targets.begin() + static_cast<std::ptrdiff_t>(from),
                                       targets.begin() + static_cast<std::ptrdiff_t>(to));
        std::vector<Outgoing> messages;
        try {
          messages = co_await pool_.run([&chunk, &some, this](pqxx::connection& c) {
            return render_stream_events(c, chunk, some, host_, moderation_);
          });
        } catch (const std::exception& e) {
          spdlog::warn("streaming: {} event(s) not sent: {}", chunk.size(), e.what());
          continue;
        }
        for (Outgoing& outgoing : messages) outgoing.outbox->push(std::move(outgoing.message));
      }
    }
  }
}

std::shared_ptr<StreamingHub> make_streaming_hub(db::Pool& pool, std::string host) {
  return std::make_shared<StreamingHub>(pool, std::move(host));
}

void start_streaming_hub(StreamingHub& hub, boost::asio::any_io_executor executor,
                         std::string connection_string) {
  hub.start(std::move(executor), std::move(connection_string));
}

void stop_streaming_hub(StreamingHub& hub) {
  hub.stop();
}

}  // namespace kith::api
