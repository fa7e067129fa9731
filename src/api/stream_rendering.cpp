// Who gets which event, rendered for each subscriber (runs on a pool
// thread, one read-only transaction per batch of events).
//
// Mastodon's rules, as its FanOutOnWriteService and streaming server apply
// them:
//   update, status.update  user (home audience: db/stream_audience.hpp),
//                          list (the author is a member), direct (a direct
//                          status the user wrote or is mentioned in), and
//                          the public streams: public, not a boost, not a
//                          reply to someone else; :local/:remote by origin
//                          (kith's local-only statuses on public:local and
//                          hashtag:local only); :media only with media;
//                          hashtag streams by tag. Not to users who mute
//                          the author or block its domain.
//   delete                 payload the bare id, to every stream but
//                          user:notification of each user whose audience
//                          included the status: everyone when it was
//                          public, unlisted or local; else its author, the
//                          accounts it mentioned and, for followers-only,
//                          the author's followers. When the row is gone (a
//                          boost undone) those facts come with the event
//                          (migration 0015), never "everyone" by default.
//   notification           user (when the token may read notifications)
//                          and user:notification of the recipient.
//   conversation           direct of the conversation's owner.
//   filters_changed        user of the filter's owner, without a payload.
// Every status is rendered through render_status for that viewer, which
// applies the API's visibility rule: whatever the audience facts say, no
// one is sent a status the API would not show them. Statuses carry the
// moderation engine's verdicts for that viewer in `filtered` (reported,
// not removed, as with the viewer's own filters on streams).
#include <spdlog/spdlog.h>
#include <pqxx/pqxx>
#include <set>

#include "../db/sql_arrays.hpp"
#include "client_support.hpp"
#include "kith/db/stream_audience.hpp"
#include "kith/mod/engine.hpp"
#include "notification_entities.hpp"
#include "streaming_hub.hpp"

namespace kith::api {
namespace {

using Kind = StreamKind;

bool public_stream(StreamKind kind) {
  return kind != Kind::user && kind != Kind::user_notification && kind != Kind::list &&
         kind != Kind::direct;
}

// Whether a status event for `status` belongs on stream `key` of a viewer
// with `viewer` facts.
bool status_belongs(const StreamKey& key, const db::StreamedStatus& status,
                    const db::StreamViewer& viewer) {
  switch (key.kind) {
    case Kind::user:
      return viewer.home && !viewer.muted;
    case Kind::user_notification:
      return false;
    case Kind::list:
      return !viewer.muted &&
             std::find(viewer.lists.begin(), viewer.lists.end(), key.list) != viewer.lists.end();
    case Kind::direct:
      return viewer.direct;
    default:
      break;
  }
  // The public streams and the hashtag streams.
  if (viewer.muted || status.reblog) return false;
  const bool local_only = status.visibility == "local";
  if (status.visibility != "public" && !local_only) return false;
  switch (key.kind) {
    case Kind::public_all:
    case Kind::public_media:
      if (local_only || status.reply_to_other) return false;
      return key.kind == Kind::public_all || status.has_media;
    case Kind::public_local:
    case Kind::public_local_media:
      if (!status.local || status.reply_to_other) return false;
      return key.kind == Kind::public_local || status.has_media;
    case Kind::public_remote:
    case Kind::public_remote_media:
      if (status.local || status.reply_to_other) return false;
      return key.kind == Kind::public_remote || status.has_media;
    case Kind::hashtag:
    case Kind::hashtag_local:
      if (key.kind == Kind::hashtag_local ? !status.local : local_only) return false;
      return std::find(status.tags.begin(), status.tags.end(), key.tag) != status.tags.end();
    default:
      return false;
  }
}

// One event, rendered for the targets it concerns, appended to `out`.
class EventRenderer {
 public:
  EventRenderer(pqxx::transaction_base& tx, const std::vector<StreamingHub::Target>& targets,
                const std::string& host, const StreamModeration& moderation,
                std::vector<StreamingHub::Outgoing>& out)
      : tx_(tx),
        targets_(targets),
        host_(host),
        moderation_(moderation),
        out_(out),
        bytes_(targets.size(), 0) {}

  void status_event(const StreamEvent& event, std::string_view name) {
    auto status = db::streamed_status(tx_, event.id);
    if (!status || status->deleted) return;
    std::vector<std::int64_t> viewers =
        viewers_with([](const StreamKey& key) { return key.kind != Kind::user_notification; });
    if (viewers.empty()) return;
    auto facts = db::stream_viewers(tx_, event.id, viewers);
    // Acted on for everyone: limited, so not on the public streams, as
    // not on the public timelines (status_filters.hpp).
    const bool limited =
        moderation_.engine != nullptr && moderation_.engine->acted_for_everyone(event.id);
    std::map<std::int64_t, std::optional<std::string>> rendered;
    for (const auto& target : targets_) {
      auto fact = facts.find(target.account_id);
      if (fact == facts.end()) continue;
      for (const StreamKey& key : target.streams) {
        if (!takes_more(target) || !status_belongs(key, *status, fact->second)) continue;
        if (limited && public_stream(key.kind)) continue;
        auto [it, fresh] = rendered.try_emplace(target.account_id);
        if (fresh) {
          if (auto json =
                  render_status(tx_, event.id, target.account_id, host_, moderation_.engine)) {
            it->second = json->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
            if (moderation_.record_exposure) moderation_.record_exposure(target.account_id, *json);
          }
        }
        if (it->second) emit(target, key, name, it->second);
      }
    }
  }

  void delete_event(const StreamEvent& event) {
    std::vector<std::int64_t> viewers =
        viewers_with([](const StreamKey& key) { return key.kind != Kind::user_notification; });
    if (viewers.empty()) return;
    std::set<std::int64_t> audience;
    if (auto status = db::streamed_status(tx_, event.id)) {
      // The row is still there (deleted_at set): its own facts decide.
      const bool everyone = status->visibility == "public" || status->visibility == "unlisted" ||
                            status->visibility == "local";
      if (everyone) {
        audience.insert(viewers.begin(), viewers.end());
      } else {
        for (const auto& [viewer, fact] : db::stream_viewers(tx_, event.id, viewers))
          if (fact.could_see) audience.insert(viewer);
      }
    } else {
      // The row is gone (a boost undone): the facts the event carried. The
      // boosted status's author was told of the boost, so it may hear of
      // its end.
      std::vector<std::int64_t> told = event.mentions;
      if (event.reblog_account_id != 0) told.push_back(event.reblog_account_id);
      for (std::int64_t viewer :
           db::deleted_status_audience(tx_, event.account_id, event.visibility, told, viewers))
        audience.insert(viewer);
    }
    const std::optional<std::string> id = std::to_string(event.id);
    for (const auto& target : targets_) {
      if (!audience.count(target.account_id)) continue;
      for (const StreamKey& key : target.streams)
        if (key.kind != Kind::user_notification) emit(target, key, "delete", id);
    }
  }

  void notification_event(const StreamEvent& event) {
    std::optional<std::optional<std::string>> rendered;
    for (const auto& target : targets_) {
      if (target.account_id != event.account_id) continue;
      for (const StreamKey& key : target.streams) {
        const bool wanted =
            key.kind == Kind::user_notification || (key.kind == Kind::user && target.notifications);
        if (!wanted) continue;
        if (!rendered) {
          auto json =
              render_notification(tx_, event.id, event.account_id, host_, moderation_.engine);
          rendered.emplace(json ? std::optional<std::string>(json->dump(
                                      -1, ' ', false, nlohmann::json::error_handler_t::replace))
                                : std::nullopt);
        }
        if (*rendered) emit(target, key, "notification", *rendered);
      }
    }
  }

  void conversation_event(const StreamEvent& event) {
    std::optional<std::optional<std::string>> rendered;
    for (const auto& target : targets_) {
      if (target.account_id != event.account_id) continue;
      for (const StreamKey& key : target.streams) {
        if (key.kind != Kind::direct) continue;
        if (!rendered) {
          auto json =
              render_conversation(tx_, event.id, event.account_id, host_, moderation_.engine);
          rendered.emplace(json ? std::optional<std::string>(json->dump(
                                      -1, ' ', false, nlohmann::json::error_handler_t::replace))
                                : std::nullopt);
        }
        if (*rendered) emit(target, key, "conversation", *rendered);
      }
    }
  }

  void filters_event(const StreamEvent& event) {
    for (const auto& target : targets_) {
      if (target.account_id != event.account_id) continue;
      for (const StreamKey& key : target.streams)
        if (key.kind == Kind::user) emit(target, key, "filters_changed", std::nullopt);
    }
  }

 private:
  template <class Wanted>
  std::vector<std::int64_t> viewers_with(Wanted wanted) const {
    std::set<std::int64_t> viewers;
    for (const auto& target : targets_)
      for (const StreamKey& key : target.streams)
        if (wanted(key)) viewers.insert(target.account_id);
    return {viewers.begin(), viewers.end()};
  }

  // Whether `target` may be sent more in this job: its outbox takes
  // messages and this job has not built kStreamOutboxBytes for it yet.
  bool takes_more(const StreamingHub::Target& target) const {
    return bytes_[index_of(target)] <= kStreamOutboxBytes && accepts_messages(*target.outbox);
  }

  std::size_t index_of(const StreamingHub::Target& target) const {
    return static_cast<std::size_t>(&target - targets_.data());
  }

  // Adds one message for `target`, unless it would take what this job
  // built for it over kStreamOutboxBytes: its outbox would overflow when
  // they are pushed, so the stream is closed now and nothing more is built
  // for it.
  void emit(const StreamingHub::Target& target, const StreamKey& key, std::string_view event,
            const std::optional<std::string>& payload) {
    std::size_t& built = bytes_[index_of(target)];
    if (built > kStreamOutboxBytes) return;
    std::string message = StreamingHub::format_message(target.kind, key, event, payload);
    built += message.size();
    if (built > kStreamOutboxBytes) {
      spdlog::info("stream closed: more than {} bytes for it in one dispatch", kStreamOutboxBytes);
      target.outbox->close();
      return;
    }
    out_.push_back(StreamingHub::Outgoing{target.outbox, std::move(message)});
  }

  pqxx::transaction_base& tx_;
  const std::vector<StreamingHub::Target>& targets_;
  const std::string& host_;
  const StreamModeration& moderation_;
  std::vector<StreamingHub::Outgoing>& out_;
  std::vector<std::size_t> bytes_;  // built in this job, per target (same order)
};

}  // namespace

std::vector<StreamingHub::Outgoing> render_stream_events(
    pqxx::connection& connection, const std::vector<StreamEvent>& events,
    const std::vector<StreamingHub::Target>& targets, const std::string& host,
    const StreamModeration& moderation) {
  std::vector<StreamingHub::Outgoing> out;
  pqxx::read_transaction tx(connection);
  // Streams whose token was revoked or expired since they opened, or whose
  // user was disabled or suspended, get nothing more: they are closed here.
  std::vector<std::int64_t> token_ids;
  for (const auto& target : targets) token_ids.push_back(target.token_id);
  std::set<std::int64_t> valid;
  for (const auto& row :
       tx.exec_params("SELECT t.id FROM oauth_access_tokens t JOIN users u ON u.id = t.user_id"
                      " JOIN accounts a ON a.id = u.account_id"
                      " WHERE t.id = ANY($1::bigint[]) AND t.revoked_at IS NULL"
                      "   AND (t.expires_at IS NULL OR t.expires_at > now())"
                      "   AND NOT u.disabled AND a.suspended_at IS NULL",
                      db::bigint_array_literal(token_ids)))
    valid.insert(row[0].as<std::int64_t>());
  std::vector<StreamingHub::Target> live;
  for (const auto& target : targets) {
    if (valid.count(target.token_id))
      live.push_back(target);
    else
      target.outbox->close();
  }
  EventRenderer renderer(tx, live, host, moderation, out);
  for (const StreamEvent& event : events) {
    switch (event.kind) {
      case StreamEvent::Kind::status_created:
        renderer.status_event(event, "update");
        break;
      case StreamEvent::Kind::status_updated:
        renderer.status_event(event, "status.update");
        break;
      case StreamEvent::Kind::status_deleted:
        renderer.delete_event(event);
        break;
      case StreamEvent::Kind::notification:
        renderer.notification_event(event);
        break;
      case StreamEvent::Kind::conversation:
        renderer.conversation_event(event);
        break;
      case StreamEvent::Kind::filters_changed:
        renderer.filters_event(event);
        break;
    }
  }
  return out;
}

}  // namespace kith::api
