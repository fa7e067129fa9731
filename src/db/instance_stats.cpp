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

}  // namespace kith::db
