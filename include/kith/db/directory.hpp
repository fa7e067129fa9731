// What the instance shows about itself beyond GET /api/v1/instance: the
// profile directory (discoverable accounts), the servers it knows (peers)
// and its weekly activity. Read by api/placeholders.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Discoverable, not suspended accounts (local ones only when
// `local_only`), newest first (`by_newest`) or most recently active first,
// `limit` after skipping `offset`.
std::vector<std::int64_t> directory_page(pqxx::transaction_base& tx, bool local_only,
                                         bool by_newest, std::size_t offset, std::size_t limit);

// Distinct domains of known remote accounts, sorted, at most `most`.
std::vector<std::string> known_domains(pqxx::transaction_base& tx, std::size_t most);

// Mastodon's instance activity: per week (the last `weeks`, current first),
// local statuses posted, users whose tokens were last used in that week
// (kith keeps only the last use, so an approximation of logins), and
// sign-ups.
struct WeekActivity {
  std::int64_t week = 0;  // UNIX time of the week's start (Monday 00:00 UTC)
  std::int64_t statuses = 0;
  std::int64_t logins = 0;
  std::int64_t registrations = 0;
};
std::vector<WeekActivity> weekly_activity(pqxx::transaction_base& tx, int weeks);

// When the instance was set up (its actor's creation), ISO 8601 with
// milliseconds; the epoch when unknown.
std::string instance_created_at(pqxx::transaction_base& tx);

}  // namespace kith::db
