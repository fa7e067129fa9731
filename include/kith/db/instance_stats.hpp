// Counts that describe the instance (NodeInfo, /api/v1/instance).
#pragma once

#include <cstdint>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

struct InstanceStats {
  std::int64_t user_count = 0;    // local users that are not disabled
  std::int64_t status_count = 0;  // local statuses that are not deleted
  std::int64_t domain_count = 0;  // remote domains kith knows accounts on
};

InstanceStats read_instance_stats(pqxx::connection& connection);

// Local users that are not disabled and signed in or posted within the last
// 30 and 180 days (NodeInfo's activeMonth and activeHalfyear).
struct ActiveUsers {
  std::int64_t month = 0;
  std::int64_t halfyear = 0;
};

ActiveUsers read_active_users(pqxx::connection& connection);

}  // namespace kith::db
