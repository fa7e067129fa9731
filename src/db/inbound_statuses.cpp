// Statuses from other servers (inbound.hpp): stored once by their object id,
// edited only by their author, deleted by marking the row.
//
// Insertion is one INSERT ... ON CONFLICT (uri) DO NOTHING: the first Create
// of an object id makes the row and everything that hangs off it (mentions,
// tags, attachments, poll); any later one, or one racing it in another
// worker, finds the uri taken and adds nothing. Deleted statuses keep their
// row with deleted_at set, so a Create that arrives after its Delete (or is
// replayed) is recognised and not brought back.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/db/conversations.hpp"
#include "kith/db/inbound.hpp"
#include "kith/db/notifications.hpp"
#include "sql_arrays.hpp"

namespace kith::db {
namespace {

void insert_mentions(pqxx::transaction_base& tx, std::int64_t status_id,
                     const std::vector<std::int64_t>& account_ids, bool silent) {
  if (account_ids.empty()) return;
  tx.exec_params(
      "INSERT INTO mentions (status_id, account_id, silent)"
      " SELECT $1, unnest($2::bigint[]), $3 ON CONFLICT DO NOTHING",
      status_id, bigint_array_literal(account_ids), silent);
}

void insert_tags(pqxx::transaction_base& tx, std::int64_t status_id,
                 const std::vector<std::string>& names) {
  if (names.empty()) return;
  // Lower-cased by PostgreSQL, so that the CHECK (name = lower(name)) holds
  // whatever its idea of case is.
  const std::string array = text_array_literal(names);
  tx.exec_params(
      "INSERT INTO tags (name) SELECT DISTINCT lower(n) FROM unnest($1::text[]) AS n"
      " WHERE lower(n) <> '' ON CONFLICT (name) DO NOTHING",
      array);
  tx.exec_params(
      "INSERT INTO statuses_tags (status_id, tag_id)"
      " SELECT $1, id FROM tags WHERE name IN (SELECT lower(n) FROM unnest($2::text[]) AS n)"
      " ON CONFLICT DO NOTHING",
      status_id, array);
}

void insert_attachments(pqxx::transaction_base& tx, std::int64_t status_id, std::int64_t account_id,
                        const std::vector<InboundAttachment>& attachments) {
  int position = 0;
  for (const auto& a : attachments) {
    tx.exec_params(
        "INSERT INTO media_attachments (status_id, account_id, type, remote_url, media_type,"
        "                               description, blurhash, meta, position)"
        " VALUES ($1, $2, $3, $4, NULLIF($5, ''), $6, NULLIF($7, ''), $8::jsonb, $9)",
        status_id, account_id, a.type, a.remote_url, a.media_type, a.description, a.blurhash,
        a.meta_json.empty() ? std::string("{}") : a.meta_json, position++);
  }
}

std::string poll_options_json(const InboundPoll& poll) {
  nlohmann::json options = nlohmann::json::array();
  for (const auto& option : poll.options)
    options.push_back({{"title", option.title}, {"votes", option.votes}});
  return options.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void insert_poll(pqxx::transaction_base& tx, std::int64_t status_id, const InboundPoll& poll) {
  tx.exec_params(
      "INSERT INTO polls (status_id, multiple, options, voters_count, expires_at, closed_at)"
      " VALUES ($1, $2, $3::jsonb, NULLIF($4, -1), NULLIF($5, '')::timestamptz,"
      "         NULLIF($6, '')::timestamptz)"
      " ON CONFLICT (status_id) DO NOTHING",
      status_id, poll.multiple, poll_options_json(poll), poll.voters_count.value_or(-1),
      poll.expires_at, poll.closed_at);
}

}  // namespace

std::optional<StatusRef> find_status_by_uri(pqxx::transaction_base& tx, std::string_view uri) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, account_id, local, deleted_at IS NOT NULL, reblog_of_id IS NOT NULL, visibility"
      " FROM statuses WHERE uri = $1",
      std::string(uri));
  if (rows.empty()) return std::nullopt;
  const auto& row = rows[0];
  StatusRef status;
  status.id = row[0].as<std::int64_t>();
  status.account_id = row[1].as<std::int64_t>();
  status.local = row[2].as<bool>();
  status.deleted = row[3].as<bool>();
  status.reblog = row[4].as<bool>();
  status.visibility = parse_visibility(row[5].as<std::string>()).value_or(Visibility::direct);
  return status;
}

std::optional<LocalAccountRef> find_local_account_by_uri(pqxx::transaction_base& tx,
                                                         std::string_view uri) {
  const pqxx::result rows = tx.exec_params(
      "SELECT id, locked, suspended_at IS NOT NULL FROM accounts"
      " WHERE uri = $1 AND domain IS NULL",
      std::string(uri));
  if (rows.empty()) return std::nullopt;
  return LocalAccountRef{rows[0][0].as<std::int64_t>(), rows[0][1].as<bool>(),
                         rows[0][2].as<bool>()};
}

std::vector<KnownAccount> find_known_accounts(pqxx::transaction_base& tx,
                                              const std::vector<std::string>& uris) {
  std::vector<KnownAccount> found;
  if (uris.empty()) return found;
  for (const auto& row :
       tx.exec_params("SELECT uri, id, domain IS NULL FROM accounts WHERE uri = ANY($1::text[])"
                      "   AND suspended_at IS NULL",
                      text_array_literal(uris)))
    found.push_back({row[0].as<std::string>(), row[1].as<std::int64_t>(), row[2].as<bool>()});
  return found;
}

bool followed_by_local_account(pqxx::transaction_base& tx, std::int64_t account_id) {
  return tx
      .exec_params1(
          "SELECT EXISTS (SELECT 1 FROM follows f JOIN accounts a ON a.id = f.account_id"
          "  WHERE f.target_account_id = $1 AND f.state = 'accepted' AND a.domain IS NULL)",
          account_id)[0]
      .as<bool>();
}

StoredStatus insert_remote_status(pqxx::transaction_base& tx, const InboundStatus& s) {
  // A published time in the future is clamped to now (least() ignores NULL).
  const pqxx::result rows = tx.exec_params(
      "WITH parent AS (SELECT id, account_id FROM statuses WHERE $7 <> '' AND uri = $7)"
      " INSERT INTO statuses (account_id, uri, url, local, in_reply_to_id,"
      "                       in_reply_to_account_id, in_reply_to_uri, content, spoiler_text,"
      "                       sensitive, visibility, language, created_at, quote_uri,"
      "                       activity_uri)"
      " VALUES ($1, $2, NULLIF($3, ''), false, (SELECT id FROM parent),"
      "         (SELECT account_id FROM parent), NULLIF($7, ''), $4, $5, $6, $8,"
      "         NULLIF($9, ''), least(NULLIF($10, '')::timestamptz, now()), NULLIF($11, ''),"
      "         NULLIF($12, ''))"
      " ON CONFLICT (uri) DO NOTHING RETURNING id",
      s.account_id, s.uri, s.url, s.content, s.spoiler_text, s.sensitive, s.in_reply_to_uri,
      std::string(visibility_name(s.visibility)), s.language, s.published, s.quote_uri,
      s.activity_uri);
  if (rows.empty()) {
    const pqxx::row existing = tx.exec_params1("SELECT id FROM statuses WHERE uri = $1", s.uri);
    return StoredStatus{existing[0].as<std::int64_t>(), false};
  }
  const std::int64_t id = rows[0][0].as<std::int64_t>();
  insert_mentions(tx, id, s.mentioned_account_ids, false);
  insert_mentions(tx, id, s.silent_account_ids, true);
  insert_tags(tx, id, s.tags);
  insert_attachments(tx, id, s.account_id, s.attachments);
  if (s.poll) insert_poll(tx, id, *s.poll);
  notify_new_status(tx, id);
  record_conversation(tx, id);
  return StoredStatus{id, true};
}

bool update_remote_status(pqxx::transaction_base& tx, std::int64_t status_id,
                          const InboundStatus& s) {
  const pqxx::result rows = tx.exec_params(
      "UPDATE statuses SET content = $3, spoiler_text = $4, sensitive = $5,"
      "                    language = NULLIF($6, ''), quote_uri = NULLIF($7, ''),"
      "                    edited_at = least(coalesce(NULLIF($8, '')::timestamptz, now()), now()),"
      "                    updated_at = now()"
      " WHERE id = $1 AND account_id = $2 AND NOT local AND deleted_at IS NULL"
      "   AND reblog_of_id IS NULL"
      "   AND CASE WHEN $8 <> ''"
      "            THEN edited_at IS NULL OR edited_at < least(NULLIF($8, '')::timestamptz, now())"
      "            ELSE (content, spoiler_text, sensitive) IS DISTINCT FROM ($3, $4, $5) END"
      " RETURNING id",
      status_id, s.account_id, s.content, s.spoiler_text, s.sensitive, s.language, s.quote_uri,
      s.updated);
  if (rows.empty()) return false;
  tx.exec_params("DELETE FROM media_attachments WHERE status_id = $1", status_id);
  insert_attachments(tx, status_id, s.account_id, s.attachments);
  tx.exec_params("DELETE FROM statuses_tags WHERE status_id = $1", status_id);
  insert_tags(tx, status_id, s.tags);
  insert_mentions(tx, status_id, s.mentioned_account_ids, false);
  insert_mentions(tx, status_id, s.silent_account_ids, true);
  notify_mentions(tx, status_id);       // accounts the edit newly mentions
  notify_status_update(tx, status_id);  // local accounts that boosted it
  return true;
}

void update_poll(pqxx::transaction_base& tx, std::int64_t status_id, const InboundPoll& poll) {
  const pqxx::result rows = tx.exec_params(
      "UPDATE polls SET multiple = $2, options = $3::jsonb, voters_count = NULLIF($4, -1),"
      "                 expires_at = NULLIF($5, '')::timestamptz,"
      "                 closed_at = NULLIF($6, '')::timestamptz, updated_at = now()"
      " WHERE status_id = $1"
      "   AND (multiple, options, voters_count, expires_at, closed_at) IS DISTINCT FROM"
      "       ($2, $3::jsonb, NULLIF($4, -1), NULLIF($5, '')::timestamptz,"
      "        NULLIF($6, '')::timestamptz)"
      " RETURNING status_id",
      status_id, poll.multiple, poll_options_json(poll), poll.voters_count.value_or(-1),
      poll.expires_at, poll.closed_at);
  if (rows.empty()) insert_poll(tx, status_id, poll);  // a no-op when it exists unchanged
}

bool delete_remote_status(pqxx::transaction_base& tx, std::int64_t account_id,
                          std::string_view uri) {
  const std::string u(uri);
  // A boost is removed outright (Delete of an Announce's id, as Mastodon reads it).
  if (!tx.exec_params("DELETE FROM statuses WHERE uri = $1 AND account_id = $2 AND NOT local"
                      "   AND reblog_of_id IS NOT NULL RETURNING id",
                      u, account_id)
           .empty())
    return true;
  const pqxx::result rows = tx.exec_params(
      "UPDATE statuses SET deleted_at = now(), content = '', spoiler_text = '', updated_at = now()"
      " WHERE uri = $1 AND account_id = $2 AND NOT local AND deleted_at IS NULL RETURNING id",
      u, account_id);
  if (rows.empty()) return false;
  const std::int64_t id = rows[0][0].as<std::int64_t>();
  tx.exec_params("DELETE FROM media_attachments WHERE status_id = $1", id);
  tx.exec_params("DELETE FROM polls WHERE status_id = $1", id);
  tx.exec_params("DELETE FROM statuses WHERE reblog_of_id = $1", id);
  return true;
}

void delete_remote_account(pqxx::transaction_base& tx, std::int64_t account_id) {
  const pqxx::result remote =
      tx.exec_params("SELECT 1 FROM accounts WHERE id = $1 AND domain IS NOT NULL", account_id);
  if (remote.empty()) return;  // never a local account
  tx.exec_params(
      "DELETE FROM statuses WHERE reblog_of_id IN (SELECT id FROM statuses WHERE account_id = $1)"
      "   OR (account_id = $1 AND reblog_of_id IS NOT NULL)",
      account_id);
  tx.exec_params(
      "UPDATE statuses SET deleted_at = now(), content = '', spoiler_text = '', updated_at = now()"
      " WHERE account_id = $1 AND deleted_at IS NULL",
      account_id);
  tx.exec_params("DELETE FROM media_attachments WHERE account_id = $1", account_id);
  tx.exec_params("DELETE FROM follows WHERE account_id = $1 OR target_account_id = $1", account_id);
  tx.exec_params("DELETE FROM favourites WHERE account_id = $1", account_id);
  tx.exec_params("DELETE FROM blocks WHERE account_id = $1 OR target_account_id = $1", account_id);
  tx.exec_params(
      "UPDATE accounts SET suspended_at = now(), updated_at = now()"
      " WHERE id = $1 AND suspended_at IS NULL",
      account_id);
}

}  // namespace kith::db
