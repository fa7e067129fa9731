// Web Push subscriptions, the VAPID key, and a push message's data
// (db/web_push.hpp).
#include "kith/db/web_push.hpp"

#include <pqxx/pqxx>

namespace kith::db {
namespace {

constexpr const char* kColumns =
    "id, access_token_id, user_id, endpoint, key_p256dh, key_auth, alerts::text, policy,"
    " standard";

WebPushSubscription subscription_of(const pqxx::row& row) {
  WebPushSubscription s;
  s.id = row[0].as<std::int64_t>();
  s.access_token_id = row[1].as<std::int64_t>();
  s.user_id = row[2].as<std::int64_t>();
  s.endpoint = row[3].as<std::string>();
  s.key_p256dh = row[4].as<std::string>();
  s.key_auth = row[5].as<std::string>();
  s.alerts = row[6].as<std::string>();
  s.policy = row[7].as<std::string>();
  s.standard = row[8].as<bool>();
  return s;
}

}  // namespace

WebPushSubscription replace_web_push_subscription(pqxx::transaction_base& tx,
                                                  const WebPushSubscription& s) {
  tx.exec_params("DELETE FROM web_push_subscriptions WHERE access_token_id = $1",
                 s.access_token_id);
  const pqxx::row row = tx.exec_params1(
      std::string("INSERT INTO web_push_subscriptions (access_token_id, user_id, endpoint,"
                  " key_p256dh, key_auth, alerts, policy, standard)"
                  " VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, $8) RETURNING ") +
          kColumns,
      s.access_token_id, s.user_id, s.endpoint, s.key_p256dh, s.key_auth, s.alerts, s.policy,
      s.standard);
  return subscription_of(row);
}

std::optional<WebPushSubscription> find_web_push_subscription(pqxx::transaction_base& tx,
                                                              std::int64_t access_token_id) {
  const pqxx::result rows = tx.exec_params(
      std::string("SELECT ") + kColumns + " FROM web_push_subscriptions WHERE access_token_id = $1",
      access_token_id);
  if (rows.empty()) return std::nullopt;
  return subscription_of(rows[0]);
}

std::optional<WebPushSubscription> update_web_push_subscription(pqxx::transaction_base& tx,
                                                                std::int64_t access_token_id,
                                                                const std::string& alerts,
                                                                const std::string& policy) {
  const pqxx::result rows = tx.exec_params(
      std::string("UPDATE web_push_subscriptions SET alerts = $2::jsonb, policy = $3,"
                  " updated_at = now() WHERE access_token_id = $1 RETURNING ") +
          kColumns,
      access_token_id, alerts, policy);
  if (rows.empty()) return std::nullopt;
  return subscription_of(rows[0]);
}

bool delete_web_push_subscription(pqxx::transaction_base& tx, std::int64_t access_token_id) {
  return !tx.exec_params(
                "DELETE FROM web_push_subscriptions WHERE access_token_id = $1 RETURNING id",
                access_token_id)
              .empty();
}

bool delete_web_push_subscription_by_id(pqxx::connection& connection, std::int64_t id) {
  pqxx::work tx(connection);
  const bool deleted =
      !tx.exec_params("DELETE FROM web_push_subscriptions WHERE id = $1 RETURNING id", id).empty();
  tx.commit();
  return deleted;
}

std::string vapid_key_text(pqxx::transaction_base& tx, const std::function<std::string()>& make) {
  const char* const select = "SELECT value FROM instance_secrets WHERE name = 'web_push_vapid_key'";
  pqxx::result rows = tx.exec(select);
  if (!rows.empty()) return rows[0][0].as<std::string>();
  tx.exec_params(
      "INSERT INTO instance_secrets (name, value) VALUES ('web_push_vapid_key', $1)"
      " ON CONFLICT (name) DO NOTHING",
      make());
  rows = tx.exec(select);
  return rows.at(0)[0].as<std::string>();
}

std::optional<WebPushDelivery> load_web_push_delivery(pqxx::connection& connection,
                                                      std::int64_t subscription_id,
                                                      std::int64_t notification_id) {
  pqxx::read_transaction tx(connection);
  const pqxx::result rows = tx.exec_params(
      "SELECT s.id, s.access_token_id, s.user_id, s.endpoint, s.key_p256dh, s.key_auth,"
      "       s.alerts::text, s.policy, s.standard,"
      "       n.id, n.type, n.account_id, n.from_account_id, u.locale,"
      "       f.display_name, f.username, f.note,"
      "       coalesce(st.spoiler_text, ''), coalesce(st.text, st.content, ''),"
      "       st.id IS NOT NULL AND st.text IS NULL"
      "  FROM web_push_subscriptions s"
      "  JOIN users u ON u.id = s.user_id"
      "  JOIN oauth_access_tokens t ON t.id = s.access_token_id"
      "  JOIN notifications n ON n.id = $2 AND n.account_id = u.account_id"
      "  JOIN accounts f ON f.id = n.from_account_id"
      "  LEFT JOIN statuses st ON st.id = n.status_id AND st.deleted_at IS NULL"
      " WHERE s.id = $1 AND NOT u.disabled AND t.revoked_at IS NULL"
      "   AND (t.expires_at IS NULL OR t.expires_at > now())",
      subscription_id, notification_id);
  if (rows.empty()) return std::nullopt;
  const pqxx::row row = rows[0];
  WebPushDelivery d;
  d.subscription = subscription_of(row);
  d.notification_id = row[9].as<std::int64_t>();
  d.type = row[10].as<std::string>();
  d.recipient_account_id = row[11].as<std::int64_t>();
  d.from_account_id = row[12].as<std::int64_t>();
  d.locale = row[13].as<std::string>();
  d.from_display_name = row[14].as<std::string>();
  d.from_username = row[15].as<std::string>();
  d.from_note = row[16].as<std::string>();
  d.status_spoiler_text = row[17].as<std::string>();
  d.status_text = row[18].as<std::string>();
  d.status_text_is_html = row[19].as<bool>();
  return d;
}

}  // namespace kith::db
