// Creating notifications (db/notifications.hpp).
#include "kith/db/notifications.hpp"

#include <pqxx/pqxx>

namespace kith::db {

std::optional<std::int64_t> create_notification(pqxx::transaction_base& tx, std::int64_t account_id,
                                                std::int64_t from_account_id, std::string_view type,
                                                std::optional<std::int64_t> status_id,
                                                std::optional<std::int64_t> report_id) {
  if (account_id == from_account_id) return std::nullopt;
  // Local recipients only; nothing from accounts (or servers) the recipient
  // blocked or muted with hide_notifications, nothing from a muted thread.
  const auto rows = tx.exec_params(
      "INSERT INTO notifications (account_id, from_account_id, type, status_id, report_id)"
      " SELECT $1, $2, $3, $4, $5"
      " FROM accounts r JOIN accounts f ON f.id = $2"
      " WHERE r.id = $1 AND r.domain IS NULL"
      "   AND NOT EXISTS (SELECT 1 FROM blocks b WHERE b.account_id = $1"
      "                   AND b.target_account_id = $2)"
      "   AND NOT EXISTS (SELECT 1 FROM mutes m WHERE m.account_id = $1"
      "                   AND m.target_account_id = $2 AND m.hide_notifications"
      "                   AND (m.expires_at IS NULL OR m.expires_at > now()))"
      "   AND NOT EXISTS (SELECT 1 FROM account_domain_blocks d WHERE d.account_id = $1"
      "                   AND d.domain = f.domain)"
      " ON CONFLICT DO NOTHING RETURNING id",
      account_id, from_account_id, std::string(type), status_id, report_id);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

}  // namespace kith::db
