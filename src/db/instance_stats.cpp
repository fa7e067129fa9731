// Instance-wide counts, in one round trip.
#include "kith/db/instance_stats.hpp"

#include <pqxx/pqxx>

namespace kith::db {

InstanceStats read_instance_stats(pqxx::connection& connection) {
  pqxx::read_transaction tx(connection);
  pqxx::row row = tx.exec1(
      "SELECT (SELECT count(*) FROM users WHERE NOT disabled),"
      "       (SELECT count(*) FROM statuses WHERE local AND deleted_at IS NULL),"
      "       (SELECT count(DISTINCT lower(domain)) FROM accounts WHERE domain IS NOT NULL)");
  return InstanceStats{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(),
                       row[2].as<std::int64_t>()};
}

ActiveUsers read_active_users(pqxx::connection& connection) {
  pqxx::read_transaction tx(connection);
  // A status id is its creation time in milliseconds shifted left 16 bits
  // (kith_next_id), so "posted since T" is an id range on
  // statuses_account_id_idx rather than a scan of created_at.
  pqxx::row row = tx.exec1(
      "WITH since AS ("
      "  SELECT now() - interval '30 days' AS month, now() - interval '180 days' AS halfyear),"
      " bounds AS ("
      "  SELECT month, halfyear,"
      "         (floor(extract(epoch FROM month) * 1000)::bigint << 16) AS month_id,"
      "         (floor(extract(epoch FROM halfyear) * 1000)::bigint << 16) AS halfyear_id"
      "  FROM since),"
      " activity AS ("
      "  SELECT u.last_sign_in_at,"
      "         (SELECT max(s.id) FROM statuses s WHERE s.account_id = u.account_id"
      "            AND s.local AND s.id >= (SELECT halfyear_id FROM bounds)) AS last_status_id"
      "  FROM users u WHERE NOT u.disabled)"
      " SELECT count(*) FILTER (WHERE last_sign_in_at >= b.month OR last_status_id >= b.month_id),"
      "        count(*) FILTER (WHERE last_sign_in_at >= b.halfyear"
      "                            OR last_status_id >= b.halfyear_id)"
      " FROM activity, bounds b");
  return ActiveUsers{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
}

}  // namespace kith::db
