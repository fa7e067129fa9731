// Statuses to post later (POST /api/v1/statuses with scheduled_at): the
// create request's parameters kept as a row of scheduled_statuses, and a
// durable job of the "scheduled_status" queue due at scheduled_at
// (db/jobs.hpp), which the scheduled-status worker claims to post it.
//
// The one idea: the row and its job are written, moved and removed
// together, in the caller's transaction; the job is named by its
// dedupe_key ("scheduled_status:<id>"), so rescheduling moves its run_at
// and deleting the row deletes the job. A job whose row is gone (deleted
// while the worker was busy) finds nothing and is simply completed.
// What it must never do: post anything itself (the worker does, through
// the client API's create path), or check permissions.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/paging.hpp"
#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

inline constexpr std::string_view kScheduledStatusQueue = "scheduled_status";
// Mastodon's ScheduledStatusValidator: at most 300 scheduled statuses per
// account, at most 25 of them on one (UTC) day, each at least 5 minutes
// ahead (PostStatusService::MIN_SCHEDULE_OFFSET).
inline constexpr std::size_t kMaxScheduledStatuses = 300;
inline constexpr std::size_t kMaxScheduledStatusesPerDay = 25;
inline constexpr std::chrono::minutes kMinScheduleOffset{5};
// Longest scheduled_at text read (an ISO 8601 time is about 30 characters).
inline constexpr std::size_t kMaxScheduleTimeLength = 64;

// A scheduled_at value as PostgreSQL reads it.
struct ScheduleTime {
  std::string iso;  // 2024-01-01T00:00:00.000Z
  std::chrono::system_clock::time_point at;
  bool far_enough = false;  // at least kMinScheduleOffset from now
};
// nullopt when `text` is not an ISO 8601 date and time (checked here first:
// PostgreSQL alone would also take "tomorrow" or "epoch") or not finite.
// Runs its own read transaction.
std::optional<ScheduleTime> read_schedule_time(pqxx::connection& connection,
                                               const std::string& text);

struct ScheduledStatusRow {
  std::int64_t id = 0;
  std::int64_t account_id = 0;
  std::string scheduled_at;  // ISO 8601, UTC
  std::string params;        // JSON text: the ScheduledStatus entity's params
  std::vector<std::int64_t> media_ids;
};

// Why a new scheduled time is refused, if it is.
enum class ScheduleLimit { ok, total, daily };
ScheduleLimit check_schedule_limits(pqxx::transaction_base& tx, std::int64_t account_id,
                                    const ScheduleTime& when,
                                    std::optional<std::int64_t> moving = {});

// The row and its job; returns the row's id.
std::int64_t insert_scheduled_status(pqxx::transaction_base& tx, std::int64_t account_id,
                                     const ScheduleTime& when, const std::string& params_json,
                                     const std::vector<std::int64_t>& media_ids);
// The account's row `id`, or nullopt. `lock`: FOR UPDATE (the worker).
std::optional<ScheduledStatusRow> find_scheduled_status(pqxx::transaction_base& tx, std::int64_t id,
                                                        std::optional<std::int64_t> account_id,
                                                        bool lock = false);
std::vector<ScheduledStatusRow> scheduled_statuses_page(pqxx::transaction_base& tx,
                                                        std::int64_t account_id,
                                                        const PageRequest& page);
// Moves the row and its queued job; false when the account has no row `id`.
bool reschedule_status(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t id,
                       const ScheduleTime& when);
// Removes the row and its queued job; false when there was no such row.
bool delete_scheduled_status(pqxx::transaction_base& tx, std::int64_t id,
                             std::optional<std::int64_t> account_id = {});

// The job payload naming a row, and back.
std::string scheduled_status_payload(std::int64_t id);
std::optional<std::int64_t> scheduled_status_of_payload(const std::string& payload);

}  // namespace kith::db
