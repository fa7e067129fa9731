// Scheduled statuses and their jobs (scheduled_statuses.hpp).
#include "kith/db/scheduled_statuses.hpp"

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/db/jobs.hpp"
#include "sql_arrays.hpp"

namespace kith::db {
namespace {

std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

std::string dedupe_key(std::int64_t id) {
  return std::string(kScheduledStatusQueue) + ":" + std::to_string(id);
}

// YYYY-MM-DD then T or a space and HH:MM: the start of an ISO 8601 date
// and time (RFC 3339); PostgreSQL reads the rest (seconds, fraction, zone).
bool looks_like_iso_time(const std::string& text) {
  if (text.size() < 16 || text.size() > kMaxScheduleTimeLength) return false;
  auto digits = [&text](std::size_t from, std::size_t count) {
    return std::all_of(text.begin() + static_cast<std::ptrdiff_t>(from),
                       text.begin() + static_cast<std::ptrdiff_t>(from + count),
                       [](char c) { return c >= '0' && c <= '9'; });
  };
  return digits(0, 4) && text[4] == '-' && digits(5, 2) && text[7] == '-' && digits(8, 2) &&
         (text[10] == 'T' || text[10] == 't' || text[10] == ' ') && digits(11, 2) &&
         text[13] == ':' && digits(14, 2);
}

const char* const kRowColumns = "id, account_id, %s, params::text, array_to_string(media_ids, ',')";

ScheduledStatusRow to_row(const pqxx::row& row) {
  ScheduledStatusRow out;
  out.id = row[0].as<std::int64_t>();
  out.account_id = row[1].as<std::int64_t>();
  out.scheduled_at = row[2].as<std::string>();
  out.params = row[3].as<std::string>();
  const std::string ids = row[4].as<std::string>();
  std::size_t start = 0;
  while (start < ids.size()) {
    std::size_t end = ids.find(',', start);
    if (end == std::string::npos) end = ids.size();
    out.media_ids.push_back(std::stoll(ids.substr(start, end - start)));
    start = end + 1;
  }
  return out;
}

std::string row_columns() {
  std::string columns = kRowColumns;
  columns.replace(columns.find("%s"), 2, iso_time("scheduled_at"));
  return columns;
}

}  // namespace

std::optional<ScheduleTime> read_schedule_time(pqxx::connection& connection,
                                               const std::string& text) {
  if (!looks_like_iso_time(text)) return std::nullopt;
  pqxx::read_transaction tx(connection);
  try {
    const pqxx::row row = tx.exec_params1(
        "SELECT isfinite(t), " + iso_time("t") +
            ", extract(epoch FROM t)::float8, t >= now() + make_interval(mins => $2)"
            " FROM (SELECT $1::timestamptz AS t) parsed",
        text, static_cast<int>(kMinScheduleOffset.count()));
    if (!row[0].as<bool>()) return std::nullopt;
    ScheduleTime out;
    out.iso = row[1].as<std::string>();
    out.at = std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(
            std::chrono::duration<double>(row[2].as<double>())));
    out.far_enough = row[3].as<bool>();
    return out;
  } catch (const pqxx::data_exception&) {
    return std::nullopt;  // a date PostgreSQL cannot read (month 13, year 0...)
  }
}

ScheduleLimit check_schedule_limits(pqxx::transaction_base& tx, std::int64_t account_id,
                                    const ScheduleTime& when, std::optional<std::int64_t> moving) {
  const pqxx::row row = tx.exec_params1(
      "SELECT count(*), count(*) FILTER (WHERE (scheduled_at AT TIME ZONE 'UTC')::date"
      "   = ($2::timestamptz AT TIME ZONE 'UTC')::date)"
      " FROM scheduled_statuses WHERE account_id = $1 AND id <> $3",
      account_id, when.iso, moving.value_or(0));
  if (!moving && row[0].as<std::size_t>() >= kMaxScheduledStatuses) return ScheduleLimit::total;
  if (row[1].as<std::size_t>() >= kMaxScheduledStatusesPerDay) return ScheduleLimit::daily;
  return ScheduleLimit::ok;
}

std::int64_t insert_scheduled_status(pqxx::transaction_base& tx, std::int64_t account_id,
                                     const ScheduleTime& when, const std::string& params_json,
                                     const std::vector<std::int64_t>& media_ids) {
  const std::int64_t id =
      tx.exec_params1(
            "INSERT INTO scheduled_statuses (account_id, scheduled_at, params, media_ids)"
            " VALUES ($1, $2::timestamptz, $3::jsonb, $4::bigint[]) RETURNING id",
            account_id, when.iso, params_json, bigint_array_literal(media_ids))[0]
          .as<std::int64_t>();
  NewJob job;
  job.queue = std::string(kScheduledStatusQueue);
  job.payload = scheduled_status_payload(id);
  job.dedupe_key = dedupe_key(id);
  job.run_at = when.at;
  enqueue(tx, job);
  return id;
}

std::optional<ScheduledStatusRow> find_scheduled_status(pqxx::transaction_base& tx, std::int64_t id,
                                                        std::optional<std::int64_t> account_id,
                                                        bool lock) {
  const pqxx::result rows = tx.exec_params(
      "SELECT " + row_columns() +
          " FROM scheduled_statuses WHERE id = $1 AND ($2::bigint IS NULL OR account_id = $2)" +
          (lock ? " FOR UPDATE" : ""),
      id, account_id);
  if (rows.empty()) return std::nullopt;
  return to_row(rows[0]);
}

std::vector<ScheduledStatusRow> scheduled_statuses_page(pqxx::transaction_base& tx,
                                                        std::int64_t account_id,
                                                        const PageRequest& page) {
  const bool upward = page.min_id.has_value() && !page.max_id.has_value();
  std::vector<ScheduledStatusRow> out;
  for (const auto& row :
       tx.exec_params("SELECT " + row_columns() +
                          " FROM scheduled_statuses WHERE account_id = $1 AND id < $2 AND id > $3"
                          " ORDER BY id " +
                          (upward ? "ASC" : "DESC") + " LIMIT $4",
                      account_id, page.max_id.value_or(std::numeric_limits<std::int64_t>::max()),
                      page.min_id.value_or(std::numeric_limits<std::int64_t>::min()),
                      static_cast<std::int64_t>(page.limit)))
    out.push_back(to_row(row));
  if (upward) std::reverse(out.begin(), out.end());
  return out;
}

bool reschedule_status(pqxx::transaction_base& tx, std::int64_t account_id, std::int64_t id,
                       const ScheduleTime& when) {
  if (tx.exec_params("UPDATE scheduled_statuses SET scheduled_at = $3::timestamptz"
                     " WHERE id = $1 AND account_id = $2 RETURNING id",
                     id, account_id, when.iso)
          .empty())
    return false;
  tx.exec_params(
      "UPDATE jobs SET run_at = $2::timestamptz WHERE dedupe_key = $1 AND state = 'queued'",
      dedupe_key(id), when.iso);
  return true;
}

bool delete_scheduled_status(pqxx::transaction_base& tx, std::int64_t id,
                             std::optional<std::int64_t> account_id) {
  if (tx.exec_params("DELETE FROM scheduled_statuses WHERE id = $1"
                     " AND ($2::bigint IS NULL OR account_id = $2) RETURNING id",
                     id, account_id)
          .empty())
    return false;
  // A running job is the worker posting it: it completes its own job.
  tx.exec_params("DELETE FROM jobs WHERE dedupe_key = $1 AND state = 'queued'", dedupe_key(id));
  return true;
}

std::string scheduled_status_payload(std::int64_t id) {
  return nlohmann::json{{"scheduled_status_id", std::to_string(id)}}.dump();
}

std::optional<std::int64_t> scheduled_status_of_payload(const std::string& payload) {
  const nlohmann::json document = nlohmann::json::parse(payload, nullptr, false);
  if (!document.is_object() || !document.contains("scheduled_status_id") ||
      !document["scheduled_status_id"].is_string())
    return std::nullopt;
  try {
    const std::string& text = document["scheduled_status_id"].get_ref<const std::string&>();
    std::size_t used = 0;
    const std::int64_t id = std::stoll(text, &used);
    if (used != text.size() || id <= 0) return std::nullopt;
    return id;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

}  // namespace kith::db
