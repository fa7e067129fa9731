// Web Push delivery: notifications reach phones that are not connected, as
// Mastodon sends them (RFC 8030 push protocol, RFC 8291 encryption, RFC 8292
// VAPID), to the subscriptions made with /api/v1/push/subscription.
//
// The one idea: the notifications table's trigger (migration 0014) queues
// one job (queue 'web_push') per subscription that wants a notification, in
// the transaction that created it, whoever created it. The WebPushWorker
// claims those jobs like the delivery queue does (db/jobs.hpp: FOR UPDATE
// SKIP LOCKED under a lease), builds Mastodon's payload ({access_token,
// preferred_locale, notification_id, notification_type, icon, title,
// body}), encrypts it for the subscription's keys, signs a VAPID JWT for
// the endpoint's origin and POSTs it through the one http::Client. Then:
//   2xx                  -> done
//   404, 410             -> the subscription is gone: deleted, job done
//   408, 429, 5xx, network errors
//                        -> retried with the delivery queue's backoff,
//                           given up after kWebPushGiveUpAfter
//   other 4xx, refused or unusable URLs
//                        -> failed
// What it must never do: send a notification to a subscription whose token
// was revoked, log a token, a key or a payload, or retry for ever.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "kith/core/metrics.hpp"

namespace pqxx {
class transaction_base;
}
namespace kith::db {
class Pool;
}
namespace kith::http {
class Client;
}

namespace kith::api {

inline constexpr std::string_view kWebPushQueue = "web_push";
// A notification this old is not worth a push any more; also the TTL the
// push service is asked to keep an undelivered message (Mastodon: 48 h).
inline constexpr std::chrono::hours kWebPushGiveUpAfter{48};

// The instance's VAPID public key: an uncompressed P-256 point, base64url
// without padding (what the instance's configuration.vapid.public_key, the
// Application entity's vapid_key and WebPushSubscription's server_key
// show). Made and stored in instance_secrets the first time it is asked
// for, in `tx` (which the caller commits). Throws on database errors.
std::string vapid_public_key(pqxx::transaction_base& tx);

struct WebPushOptions {
  unsigned workers = 4;  // messages in flight at once
  std::chrono::milliseconds lease{60'000};
  std::chrono::milliseconds idle_poll{1'000};
  std::string host;  // this server's authority: the VAPID subject and icons
};

class WebPushWorker {
 public:
  // Registers kith_web_push_messages_total. Everything passed in must
  // outlive the worker; destroy it after the io_context it runs on has
  // stopped and before that io_context is destroyed.
  WebPushWorker(db::Pool& pool, http::Client& client, core::MetricsRegistry& metrics,
                WebPushOptions options);
  ~WebPushWorker();
  WebPushWorker(const WebPushWorker&) = delete;
  WebPushWorker& operator=(const WebPushWorker&) = delete;

  // Starts claiming on `executor` (an io_context's); makes the VAPID key if
  // there is none yet. Call once.
  void start(boost::asio::any_io_executor executor);
  // Stops claiming; lets messages in flight finish for up to `drain`; puts
  // the rest back in the queue; then calls `done` once. Without start(),
  // calls `done` at once.
  void begin_shutdown(std::chrono::milliseconds drain, std::function<void()> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kith::api
