// Account conversations (db/conversations.hpp).
#include "kith/db/conversations.hpp"

#include <algorithm>
#include <limits>
#include <pqxx/pqxx>

#include "sql_arrays.hpp"

namespace kith::db {

void record_conversation(pqxx::transaction_base& tx, std::int64_t status_id) {
  const auto rows = tx.exec_params(
      "SELECT s.conversation_id, p.conversation_id, p.id, s.visibility, s.account_id"
      " FROM statuses s LEFT JOIN statuses p ON p.id = s.in_reply_to_id"
      " WHERE s.id = $1 AND s.reblog_of_id IS NULL AND s.deleted_at IS NULL",
      status_id);
  if (rows.empty()) return;
  const pqxx::row& r = rows[0];
  std::int64_t conversation = 0;
  if (!r[0].is_null()) {
    conversation = r[0].as<std::int64_t>();
  } else {
    conversation = !r[1].is_null()
                       ? r[1].as<std::int64_t>()
                       : tx.exec1("INSERT INTO conversations DEFAULT VALUES RETURNING id")[0]
                             .as<std::int64_t>();
    tx.exec_params("UPDATE statuses SET conversation_id = $2 WHERE id = $1", status_id,
                   conversation);
    if (!r[2].is_null() && r[1].is_null())
      tx.exec_params(
          "UPDATE statuses SET conversation_id = $2 WHERE id = $1 AND conversation_id IS NULL",
          r[2].as<std::int64_t>(), conversation);
  }
  if (r[3].as<std::string>() != "direct") return;
  const auto author = r[4].as<std::int64_t>();
  std::vector<std::int64_t> participants{author};
  for (const auto& row :
       tx.exec_params("SELECT account_id FROM mentions WHERE status_id = $1", status_id))
    participants.push_back(row[0].as<std::int64_t>());
  std::sort(participants.begin(), participants.end());
  participants.erase(std::unique(participants.begin(), participants.end()), participants.end());
  // Local participants, but not one who blocked the author, muted it with
  // its notifications, or blocked its server: their inbox stays untouched.
  for (const auto& row : tx.exec_params(
           "SELECT o.id FROM accounts o JOIN accounts a ON a.id = $2"
           " WHERE o.id = ANY($1::bigint[]) AND o.domain IS NULL"
           "   AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = o.id"
           "                   AND b.target_account_id = a.id)"
           "   AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = o.id"
           "                   AND m.target_account_id = a.id AND m.hide_notifications"
           "                   AND (m.expires_at IS NULL OR m.expires_at > now()))"
           "   AND NOT EXISTS (SELECT 1 FROM account_domain_blocks d WHERE d.account_id = o.id"
           "                   AND d.domain = a.domain)",
           bigint_array_literal(participants), author)) {
    const auto owner = row[0].as<std::int64_t>();
    std::vector<std::int64_t> others;
    for (std::int64_t id : participants)
      if (id != owner) others.push_back(id);
    tx.exec_params(
        "INSERT INTO account_conversations (account_id, conversation_id,"
        " participant_account_ids, last_status_id, unread) VALUES ($1, $2, $3::bigint[], $4, $5)"
        " ON CONFLICT (account_id, conversation_id) DO UPDATE SET"
        "  participant_account_ids = ARRAY(SELECT DISTINCT p FROM unnest("
        "    account_conversations.participant_account_ids || EXCLUDED.participant_account_ids)"
        "    AS p ORDER BY p),"
        "  last_status_id = greatest(account_conversations.last_status_id,"
        "    EXCLUDED.last_status_id),"
        "  unread = EXCLUDED.unread, updated_at = now()",
        owner, conversation, bigint_array_literal(others), status_id, owner != author);
  }
}

std::vector<ConversationEntry> conversations_page(pqxx::transaction_base& tx,
                                                  std::int64_t account_id,
                                                  const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  std::vector<ConversationEntry> out;
  for (const auto& row : tx.exec_params(
           std::string(
               "SELECT id, last_status_id FROM account_conversations"
               " WHERE account_id = $1 AND last_status_id IS NOT NULL"
               " AND last_status_id < $2 AND last_status_id > $3 ORDER BY last_status_id ") +
               (upward ? "ASC" : "DESC") + " LIMIT $4",
           account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
           page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
           static_cast<std::int64_t>(page.limit)))
    out.push_back({row[0].as<std::int64_t>(), row[1].as<std::int64_t>()});
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

bool remove_conversation(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t id) {
  return tx.exec_params("DELETE FROM account_conversations WHERE id = $1 AND account_id = $2", id,
                        account_id)
             .affected_rows() > 0;
}

bool mark_conversation_read(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t id) {
  return tx.exec_params(
               "UPDATE account_conversations SET unread = false WHERE id = $1 AND account_id = $2",
               id, account_id)
             .affected_rows() > 0;
}

}  // namespace kith::db
