// Follows, favourites, boosts, blocks, reports and moves that other
// servers' activities make or undo (inbound.hpp).
//
// Each row keeps the activity's id in its UNIQUE uri and is inserted with
// ON CONFLICT DO NOTHING, so a repeated activity is a no-op. An Undo finds
// its row by that id first, and only among the actor's own rows (account_id
// is always part of the WHERE): one server can never undo another's.
// When the id is unknown (some servers undo with a fresh id for the original
// activity) the row is found by what it relates instead, still the actor's.
#include <pqxx/pqxx>

#include "kith/db/inbound.hpp"
#include "kith/db/notifications.hpp"
#include "sql_arrays.hpp"

namespace kith::db {
namespace {

bool any_row(const pqxx::result& rows) {
  return !rows.empty();
}

}  // namespace

InboundFollow insert_inbound_follow(pqxx::transaction_base& tx, std::int64_t follower_id,
                                    std::int64_t target_id, std::string_view uri, bool accepted) {
  const std::string u(uri);
  const pqxx::result existing = tx.exec_params(
      "SELECT id, coalesce(uri, ''), state = 'accepted' FROM follows"
      " WHERE account_id = $1 AND target_account_id = $2 FOR UPDATE",
      follower_id, target_id);
  if (!existing.empty()) {
    InboundFollow follow{existing[0][0].as<std::int64_t>(), false, existing[0][2].as<bool>(),
                         false};
    if (existing[0][1].as<std::string>() != u) {
      // The same follow asked again with a new id: later Undos name this one.
      tx.exec_params(
          "UPDATE follows SET uri = $2 WHERE id = $1"
          "   AND NOT EXISTS (SELECT 1 FROM follows WHERE uri = $2)",
          follow.id, u);
      follow.uri_changed = true;
    }
    return follow;
  }
  const pqxx::result rows = tx.exec_params(
      "INSERT INTO follows (account_id, target_account_id, uri, state)"
      " VALUES ($1, $2, $3, CASE WHEN $4 THEN 'accepted' ELSE 'pending' END)"
      " ON CONFLICT DO NOTHING RETURNING id",
      follower_id, target_id, u, accepted);
  if (rows.empty()) return InboundFollow{};  // the Follow's id names another follow: ignored
  notify_follow(tx, follower_id, target_id, accepted);
  return InboundFollow{rows[0][0].as<std::int64_t>(), true, accepted, false};
}

namespace {

// The follow a local account sent to `remote_id`: by its uri, else by the
// local account.
std::optional<std::int64_t> find_outbound_follow(pqxx::transaction_base& tx, std::int64_t remote_id,
                                                 std::string_view follow_uri,
                                                 std::int64_t local_id) {
  const char* const kBase =
      "SELECT f.id FROM follows f JOIN accounts a ON a.id = f.account_id"
      " WHERE f.target_account_id = $1 AND a.domain IS NULL AND ";
  if (!follow_uri.empty()) {
    const pqxx::result rows =
        tx.exec_params(std::string(kBase) + "f.uri = $2", remote_id, std::string(follow_uri));
    if (!rows.empty()) return rows[0][0].as<std::int64_t>();
  }
  if (local_id != 0) {
    const pqxx::result rows =
        tx.exec_params(std::string(kBase) + "f.account_id = $2", remote_id, local_id);
    if (!rows.empty()) return rows[0][0].as<std::int64_t>();
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::int64_t> accept_outbound_follow(pqxx::transaction_base& tx,
                                                   std::int64_t remote_id,
                                                   std::string_view follow_uri,
                                                   std::int64_t local_id) {
  const auto id = find_outbound_follow(tx, remote_id, follow_uri, local_id);
  if (id)
    tx.exec_params("UPDATE follows SET state = 'accepted' WHERE id = $1 AND state <> 'accepted'",
                   *id);
  return id;
}

std::optional<std::int64_t> reject_outbound_follow(pqxx::transaction_base& tx,
                                                   std::int64_t remote_id,
                                                   std::string_view follow_uri,
                                                   std::int64_t local_id) {
  const auto id = find_outbound_follow(tx, remote_id, follow_uri, local_id);
  if (id) tx.exec_params("DELETE FROM follows WHERE id = $1", *id);
  return id;
}

bool remove_inbound_follow(pqxx::transaction_base& tx, std::int64_t follower_id,
                           std::string_view uri, std::int64_t target_id) {
  if (!uri.empty() &&
      any_row(tx.exec_params("DELETE FROM follows WHERE account_id = $1 AND uri = $2 RETURNING id",
                             follower_id, std::string(uri))))
    return true;
  if (target_id == 0) return false;
  return any_row(tx.exec_params(
      "DELETE FROM follows WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
      follower_id, target_id));
}

bool insert_favourite(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t status_id,
                      std::string_view uri) {
  const bool added = any_row(
      tx.exec_params("INSERT INTO favourites (account_id, status_id, uri) VALUES ($1, $2, $3)"
                     " ON CONFLICT DO NOTHING RETURNING id",
                     account_id, status_id, std::string(uri)));
  if (added) notify_favourite(tx, account_id, status_id);
  return added;
}

bool remove_favourite(pqxx::transaction_base& tx, std::int64_t account_id, std::string_view uri,
                      std::int64_t status_id) {
  if (!uri.empty() && any_row(tx.exec_params(
                          "DELETE FROM favourites WHERE account_id = $1 AND uri = $2 RETURNING id",
                          account_id, std::string(uri))))
    return true;
  if (status_id == 0) return false;
  return any_row(
      tx.exec_params("DELETE FROM favourites WHERE account_id = $1 AND status_id = $2 RETURNING id",
                     account_id, status_id));
}

StoredStatus insert_reblog(pqxx::transaction_base& tx, std::int64_t account_id,
                           std::int64_t status_id, std::string_view uri, Visibility visibility,
                           std::string_view published) {
  const pqxx::result rows = tx.exec_params(
      "INSERT INTO statuses (account_id, uri, local, reblog_of_id, visibility, created_at,"
      "                      activity_uri)"
      " VALUES ($1, $2, false, $3, $4, least(NULLIF($5, '')::timestamptz, now()), $2)"
      " ON CONFLICT DO NOTHING RETURNING id",
      account_id, std::string(uri), status_id, std::string(visibility_name(visibility)),
      std::string(published));
  if (!rows.empty()) {
    notify_reblog(tx, rows[0][0].as<std::int64_t>());
    return StoredStatus{rows[0][0].as<std::int64_t>(), true};
  }
  const pqxx::result existing = tx.exec_params(
      "SELECT id FROM statuses WHERE uri = $1 OR (reblog_of_id = $2 AND account_id = $3)",
      std::string(uri), status_id, account_id);
  return StoredStatus{existing.empty() ? 0 : existing[0][0].as<std::int64_t>(), false};
}

bool remove_reblog(pqxx::transaction_base& tx, std::int64_t account_id, std::string_view uri,
                   std::int64_t status_id) {
  if (!uri.empty() &&
      any_row(tx.exec_params("DELETE FROM statuses WHERE account_id = $1 AND uri = $2"
                             "   AND reblog_of_id IS NOT NULL AND NOT local RETURNING id",
                             account_id, std::string(uri))))
    return true;
  if (status_id == 0) return false;
  return any_row(tx.exec_params(
      "DELETE FROM statuses WHERE account_id = $1 AND reblog_of_id = $2 AND NOT local"
      " RETURNING id",
      account_id, status_id));
}

bool insert_block(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target_id,
                  std::string_view uri) {
  const bool added = any_row(
      tx.exec_params("INSERT INTO blocks (account_id, target_account_id, uri) VALUES ($1, $2, $3)"
                     " ON CONFLICT DO NOTHING RETURNING id",
                     account_id, target_id, std::string(uri)));
  tx.exec_params(
      "DELETE FROM follows WHERE (account_id = $1 AND target_account_id = $2)"
      "   OR (account_id = $2 AND target_account_id = $1)",
      account_id, target_id);
  return added;
}

bool remove_block(pqxx::transaction_base& tx, std::int64_t account_id, std::string_view uri,
                  std::int64_t target_id) {
  if (!uri.empty() &&
      any_row(tx.exec_params("DELETE FROM blocks WHERE account_id = $1 AND uri = $2 RETURNING id",
                             account_id, std::string(uri))))
    return true;
  if (target_id == 0) return false;
  return any_row(tx.exec_params(
      "DELETE FROM blocks WHERE account_id = $1 AND target_account_id = $2 RETURNING id",
      account_id, target_id));
}

bool blocks(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t target_id) {
  return any_row(
      tx.exec_params("SELECT 1 FROM blocks WHERE account_id = $1 AND target_account_id = $2",
                     account_id, target_id));
}

bool insert_report(pqxx::transaction_base& tx, std::int64_t account_id,
                   std::int64_t target_account_id, const std::vector<std::int64_t>& status_ids,
                   std::string_view comment, std::string_view uri) {
  const pqxx::result rows = tx.exec_params(
      "INSERT INTO reports (account_id, target_account_id, status_ids, comment, uri)"
      " VALUES ($1, $2, $3::bigint[], $4, $5) ON CONFLICT (uri) DO NOTHING RETURNING id",
      account_id, target_account_id, bigint_array_literal(status_ids), std::string(comment),
      std::string(uri));
  if (!rows.empty()) notify_report(tx, rows[0][0].as<std::int64_t>());
  return any_row(rows);
}

std::vector<FollowToMove> mark_moved(pqxx::transaction_base& tx, std::int64_t origin_id,
                                     std::int64_t target_id) {
  tx.exec_params(
      "UPDATE accounts SET moved_to_account_id = $2, updated_at = now()"
      " WHERE id = $1 AND domain IS NOT NULL AND moved_to_account_id IS DISTINCT FROM $2",
      origin_id, target_id);
  std::vector<FollowToMove> follows;
  for (const auto& row : tx.exec_params(
           "SELECT f.id, f.account_id FROM follows f JOIN accounts a ON a.id = f.account_id"
           " WHERE f.target_account_id = $1 AND a.domain IS NULL ORDER BY f.id FOR UPDATE OF f",
           origin_id))
    follows.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
  return follows;
}

std::optional<std::int64_t> insert_local_follow(pqxx::transaction_base& tx,
                                                std::int64_t follower_id, std::int64_t target_id) {
  const pqxx::result rows = tx.exec_params(
      "WITH n AS (SELECT kith_next_id() AS id)"
      " INSERT INTO follows (id, account_id, target_account_id, uri, state)"
      " SELECT n.id, a.id, $2, a.uri || '#follows/' || n.id, 'pending'"
      "   FROM n, accounts a WHERE a.id = $1 AND a.domain IS NULL"
      " ON CONFLICT DO NOTHING RETURNING id",
      follower_id, target_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

void remove_follow(pqxx::transaction_base& tx, std::int64_t follow_id) {
  tx.exec_params("DELETE FROM follows WHERE id = $1", follow_id);
}

}  // namespace kith::db
