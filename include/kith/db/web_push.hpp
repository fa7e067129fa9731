// Web Push subscriptions (web_push_subscriptions, migrations 0006 and 0014),
// the instance's VAPID key pair (instance_secrets), and what the web push
// worker reads to build one message.
//
// The one idea: a subscription belongs to one access token (Mastodon keeps
// one per token; a new POST replaces it), and the jobs that deliver
// notifications to it are queued by the notifications table's trigger
// (0014), never by this code. Alerts are kept as JSON text: this layer
// knows nothing of their meaning.
// What it must never do: return another token's subscription, or hand out a
// second VAPID key once one exists (clients subscribed with the first).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

struct WebPushSubscription {
  std::int64_t id = 0;
  std::int64_t access_token_id = 0;
  std::int64_t user_id = 0;
  std::string endpoint;
  std::string key_p256dh;  // base64url, as the client sent it
  std::string key_auth;    // base64url
  std::string alerts;      // a JSON object of booleans
  std::string policy;      // all, followed, follower, none
  bool standard = false;   // RFC 8291 aes128gcm; else the legacy aesgcm draft
};

// Creates the subscription of `s.access_token_id`, replacing the one it had
// (a new id, as Mastodon destroys and recreates). Returns the stored row.
WebPushSubscription replace_web_push_subscription(pqxx::transaction_base& tx,
                                                  const WebPushSubscription& s);
std::optional<WebPushSubscription> find_web_push_subscription(pqxx::transaction_base& tx,
                                                              std::int64_t access_token_id);
// Changes alerts and policy of the token's subscription; nullopt if it has none.
std::optional<WebPushSubscription> update_web_push_subscription(pqxx::transaction_base& tx,
                                                                std::int64_t access_token_id,
                                                                const std::string& alerts,
                                                                const std::string& policy);
// True if there was one.
bool delete_web_push_subscription(pqxx::transaction_base& tx, std::int64_t access_token_id);
// The push service said the subscription is gone (404, 410).
bool delete_web_push_subscription_by_id(pqxx::connection& connection, std::int64_t id);

// The VAPID key pair as text, "<private> <public>" (both base64url), made
// by `make` and stored under instance_secrets 'web_push_vapid_key' the
// first time it is asked for. Concurrent first calls (two daemons) agree:
// the first insert wins and both read it back.
std::string vapid_key_text(pqxx::transaction_base& tx, const std::function<std::string()>& make);

// What one push message needs: the subscription (still there, its token
// still valid) and the notification (still there).
struct WebPushDelivery {
  WebPushSubscription subscription;
  std::int64_t notification_id = 0;
  std::string type;
  std::int64_t recipient_account_id = 0;
  std::int64_t from_account_id = 0;
  std::string locale;             // the recipient user's
  std::string from_display_name;  // may be empty
  std::string from_username;
  std::string from_note;  // HTML
  std::string status_spoiler_text;
  std::string status_text;  // the source text, or the HTML content of a remote status
  bool status_text_is_html = false;
};

// nullopt when the subscription, its token or the notification is gone.
std::optional<WebPushDelivery> load_web_push_delivery(pqxx::connection& connection,
                                                      std::int64_t subscription_id,
                                                      std::int64_t notification_id);

}  // namespace kith::db
