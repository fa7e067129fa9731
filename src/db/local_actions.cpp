// The rows local actions write (local_actions.hpp), in the caller's
// transaction. A favourite, boost or follow that a concurrent request
// already wrote is not an error: ON CONFLICT DO NOTHING, and the caller
// finds the existing row (the same answer Mastodon's services give).
#include "kith/db/local_actions.hpp"

#include <pqxx/pqxx>

#include "kith/db/conversations.hpp"
#include "kith/db/notifications.hpp"
#include "kith/db/status_actions.hpp"

namespace kith::db {
namespace {

std::string id_array(const std::vector<std::int64_t>& ids) {
  std::string out = "{";
  for (std::int64_t id : ids) {
    if (out.size() > 1) out += ',';
    out += std::to_string(id);
  }
  return out + "}";
}

void write_mentions_and_tags(pqxx::transaction_base& tx, const NewStatus& status) {
  for (std::int64_t account_id : status.mentioned_account_ids)
    tx.exec_params(
        "INSERT INTO mentions (status_id, account_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        status.id, account_id);
  for (const std::string& tag : status.tags) {
    tx.exec_params("INSERT INTO tags (name) VALUES ($1) ON CONFLICT (name) DO NOTHING", tag);
    tx.exec_params(
        "INSERT INTO statuses_tags (status_id, tag_id) SELECT $1, id FROM tags WHERE name = $2"
        " ON CONFLICT DO NOTHING",
        status.id, tag);
  }
}

}  // namespace

std::int64_t next_id(pqxx::transaction_base& tx) {
  return tx.exec1("SELECT kith_next_id()")[0].as<std::int64_t>();
}

void insert_local_status(pqxx::transaction_base& tx, const NewStatus& s) {
  tx.exec_params(
      "INSERT INTO statuses (id, account_id, uri, url, local, in_reply_to_id,"
      " in_reply_to_account_id, in_reply_to_uri, conversation_id, content, text, spoiler_text,"
      " sensitive, visibility, language)"
      " SELECT $1, $2, $3, $4, true, p.id, p.account_id, p.uri, p.conversation_id, $6, $7, $8,"
      " $9, $10, NULLIF($11, '')"
      " FROM (SELECT 1) one LEFT JOIN statuses p ON p.id = $5",
      s.id, s.account_id, s.uri, s.url, s.in_reply_to_id, s.content, s.text, s.spoiler_text,
      s.sensitive, s.visibility, s.language);
  write_mentions_and_tags(tx, s);
  notify_new_status(tx, s.id);
  record_conversation(tx, s.id);
}

void update_local_status(pqxx::transaction_base& tx, const NewStatus& s) {
  save_status_version(tx, s.id);  // GET /statuses/:id/history shows it
  tx.exec_params(
      "UPDATE statuses SET text = $2, content = $3, spoiler_text = $4, sensitive = $5,"
      " language = NULLIF($6, ''), edited_at = now(), updated_at = now() WHERE id = $1",
      s.id, s.text, s.content, s.spoiler_text, s.sensitive, s.language);
  // Mentions that the edit dropped stay addressees: the status already
  // reached them, and Mastodon keeps them too (silently).
  tx.exec_params(
      "UPDATE mentions SET silent = true WHERE status_id = $1"
      " AND NOT account_id = ANY($2::bigint[])",
      s.id, id_array(s.mentioned_account_ids));
  tx.exec_params(
      "UPDATE mentions SET silent = false WHERE status_id = $1"
      " AND account_id = ANY($2::bigint[])",
      s.id, id_array(s.mentioned_account_ids));
  tx.exec_params("DELETE FROM statuses_tags WHERE status_id = $1", s.id);
  write_mentions_and_tags(tx, s);
  notify_mentions(tx, s.id);       // accounts the edit newly mentions
  notify_status_update(tx, s.id);  // those who boosted it
}

bool replace_status_media(pqxx::transaction_base& tx, std::int64_t status_id,
                          std::int64_t account_id, const std::vector<std::int64_t>& media_ids) {
  tx.exec_params(
      "UPDATE media_attachments SET status_id = NULL WHERE status_id = $1"
      " AND NOT id = ANY($2::bigint[])",
      status_id, id_array(media_ids));
  for (std::size_t position = 0; position < media_ids.size(); ++position)
    if (tx.exec_params("UPDATE media_attachments SET status_id = $1, position = $4"
                       " WHERE id = $2 AND account_id = $3 AND processing = 'done'"
                       " AND (status_id IS NULL OR status_id = $1) RETURNING id",
                       status_id, media_ids[position], account_id, static_cast<int>(position))
            .empty())
      return false;
  return true;
}

void mark_status_deleted(pqxx::transaction_base& tx, std::int64_t status_id) {
  tx.exec_params("UPDATE statuses SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL",
                 status_id);
  tx.exec_params("DELETE FROM statuses WHERE reblog_of_id = $1", status_id);
  // A pin of it no longer counts against the author's limit (Mastodon
  // destroys the StatusPin with the status).
  tx.exec_params("DELETE FROM status_pins WHERE status_id = $1", status_id);
}

std::optional<std::int64_t> find_local_reblog(pqxx::transaction_base& tx, std::int64_t account_id,
                                              std::int64_t status_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id FROM statuses WHERE reblog_of_id = $2 AND account_id = $1", account_id, status_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

bool insert_local_reblog(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                         std::int64_t status_id, const std::string& uri,
                         const std::string& visibility) {
  const bool inserted =
      !tx.exec_params(
             "INSERT INTO statuses (id, account_id, uri, local, reblog_of_id, visibility)"
             " VALUES ($1, $2, $3, true, $4, $5) ON CONFLICT DO NOTHING RETURNING id",
             id, account_id, uri, status_id, visibility)
           .empty();
  if (inserted) notify_reblog(tx, id);
  return inserted;
}

void delete_status_row(pqxx::transaction_base& tx, std::int64_t status_id) {
  tx.exec_params("DELETE FROM statuses WHERE id = $1", status_id);
}

std::optional<std::int64_t> find_local_favourite(pqxx::transaction_base& tx,
                                                 std::int64_t account_id, std::int64_t status_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id FROM favourites WHERE account_id = $1 AND status_id = $2", account_id, status_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

bool insert_local_favourite(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                            std::int64_t status_id, const std::string& uri) {
  const bool inserted =
      !tx.exec_params(
             "INSERT INTO favourites (id, account_id, status_id, uri) VALUES ($1, $2, $3, $4)"
             " ON CONFLICT DO NOTHING RETURNING id",
             id, account_id, status_id, uri)
           .empty();
  if (inserted) notify_favourite(tx, account_id, status_id);
  return inserted;
}

void delete_favourite(pqxx::transaction_base& tx, std::int64_t favourite_id) {
  tx.exec_params("DELETE FROM favourites WHERE id = $1", favourite_id);
}

std::optional<FollowRow> find_follow(pqxx::transaction_base& tx, std::int64_t account_id,
                                     std::int64_t target_account_id) {
  const pqxx::result rows =
      tx.exec_params("SELECT id FROM follows WHERE account_id = $1 AND target_account_id = $2",
                     account_id, target_account_id);
  if (rows.empty()) return std::nullopt;
  return follow_row(tx, rows[0][0].as<std::int64_t>());
}

bool insert_local_follow(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                         std::int64_t target_account_id, const std::string& uri, bool accepted,
                         bool show_reblogs, bool notify) {
  const bool inserted =
      !tx.exec_params(
             "INSERT INTO follows (id, account_id, target_account_id, uri, state, show_reblogs,"
             " notify) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING RETURNING id",
             id, account_id, target_account_id, uri, accepted ? "accepted" : "pending",
             show_reblogs, notify)
           .empty();
  if (inserted) notify_follow(tx, account_id, target_account_id, accepted);
  return inserted;
}

void set_follow_options(pqxx::transaction_base& tx, std::int64_t follow_id, bool show_reblogs,
                        bool notify) {
  tx.exec_params("UPDATE follows SET show_reblogs = $2, notify = $3 WHERE id = $1", follow_id,
                 show_reblogs, notify);
}

void accept_follow_row(pqxx::transaction_base& tx, std::int64_t follow_id) {
  tx.exec_params("UPDATE follows SET state = 'accepted' WHERE id = $1", follow_id);
}

void delete_follow(pqxx::transaction_base& tx, std::int64_t follow_id) {
  tx.exec_params("DELETE FROM follows WHERE id = $1", follow_id);
}

std::optional<BlockRow> find_block(pqxx::transaction_base& tx, std::int64_t account_id,
                                   std::int64_t target_account_id) {
  const pqxx::result rows =
      tx.exec_params("SELECT id FROM blocks WHERE account_id = $1 AND target_account_id = $2",
                     account_id, target_account_id);
  if (rows.empty()) return std::nullopt;
  return block_row(tx, rows[0][0].as<std::int64_t>());
}

void insert_local_block(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                        std::int64_t target_account_id, const std::string& uri) {
  tx.exec_params(
      "INSERT INTO blocks (id, account_id, target_account_id, uri) VALUES ($1, $2, $3, $4)", id,
      account_id, target_account_id, uri);
}

void delete_block(pqxx::transaction_base& tx, std::int64_t block_id) {
  tx.exec_params("DELETE FROM blocks WHERE id = $1", block_id);
}

void insert_local_report(pqxx::transaction_base& tx, std::int64_t id, std::int64_t account_id,
                         std::int64_t target_account_id,
                         const std::vector<std::int64_t>& status_ids, const std::string& comment,
                         const std::string& uri) {
  tx.exec_params(
      "INSERT INTO reports (id, account_id, target_account_id, status_ids, comment, uri)"
      " VALUES ($1, $2, $3, $4::bigint[], $5, NULLIF($6, ''))",
      id, account_id, target_account_id, id_array(status_ids), comment, uri);
  notify_report(tx, id);
}

void update_profile(pqxx::transaction_base& tx, std::int64_t account_id,
                    const ProfileChange& change) {
  tx.exec_params(
      "UPDATE accounts SET display_name = coalesce($2, display_name), note = coalesce($3, note),"
      " locked = coalesce($4, locked), discoverable = coalesce($5, discoverable),"
      " bot = coalesce($6, bot), updated_at = now() WHERE id = $1",
      account_id, change.display_name, change.note, change.locked, change.discoverable, change.bot);
}

}  // namespace kith::db
