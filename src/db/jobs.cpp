// The jobs table as a queue: enqueue in the caller's transaction, claim with
// FOR UPDATE SKIP LOCKED under a lease, and finish only while the lease is
// still held. The crash-safety argument is in include/kith/db/jobs.hpp.
//
// Times that are "from now" (a retry's delay, a lease) are computed by
// PostgreSQL with now(), so that daemons on several machines share one clock;
// absolute times from the caller (run_at, postpone's until) are sent as Unix
// seconds.
#include "kith/db/jobs.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

double unix_seconds(SystemTime time) {
  return std::chrono::duration<double>(time.time_since_epoch()).count();
}

SystemTime from_unix_seconds(double seconds) {
  return SystemTime(
      std::chrono::duration_cast<SystemTime::duration>(std::chrono::duration<double>(seconds)));
}

// A PostgreSQL array literal of text values: {"a","b"}.
std::string text_array(const std::vector<std::string>& values) {
  std::string out = "{";
  for (const auto& value : values) {
    if (out.size() > 1) out += ',';
    out += '"';
    for (char c : value) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    out += '"';
  }
  return out + "}";
}

std::string bigint_array(const std::vector<std::int64_t>& values) {
  std::string out = "{";
  for (auto value : values) {
    if (out.size() > 1) out += ',';
    out += std::to_string(value);
  }
  return out + "}";
}

// last_error is for operators reading psql: printable ASCII only (a message
// may quote remote input), and bounded.
std::string clean_error(std::string_view error) {
  std::string out;
  out.reserve(std::min(error.size(), kMaxJobErrorBytes));
  for (char c : error) {
    if (out.size() >= kMaxJobErrorBytes) break;
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out;
}

}  // namespace

std::optional<std::int64_t> enqueue(pqxx::transaction_base& tx, const NewJob& job) {
  const pqxx::result rows = tx.exec_params(
      "INSERT INTO jobs (queue, payload, dedupe_key, host, run_at)"
      " VALUES ($1, $2::jsonb, NULLIF($3, ''), NULLIF($4, ''),"
      "         CASE WHEN $5::boolean THEN to_timestamp($6::float8) ELSE now() END)"
      " ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
      job.queue, job.payload, job.dedupe_key, job.host, job.run_at.has_value(),
      job.run_at ? unix_seconds(*job.run_at) : 0.0);
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

std::vector<ClaimedJob> claim(pqxx::connection& connection, const ClaimRequest& request) {
  const std::size_t limit = std::min(request.limit, kMaxClaimBatch);
  if (limit == 0) return {};
  std::vector<std::string> blocked;
  for (const auto& [host, quota] : request.host_quota)
    if (quota == 0) blocked.push_back(host);

  pqxx::work tx(connection);
  // Leases that ran out: the worker holding them died or lost the database.
  // SKIP LOCKED: a row another daemon is reclaiming right now is its to take.
  const pqxx::result reclaimed = tx.exec_params(
      "UPDATE jobs SET state = 'queued', locked_until = NULL, lease_token = NULL,"
      "                last_error = 'lease expired: the worker stopped before finishing'"
      " WHERE id IN (SELECT id FROM jobs"
      "              WHERE state = 'running' AND locked_until < now() AND queue = $1"
      "              FOR UPDATE SKIP LOCKED)"
      " RETURNING id",
      request.queue);
  if (!reclaimed.empty())
    spdlog::info("jobs: {} job(s) of queue {} reclaimed after their lease ran out",
                 reclaimed.size(), request.queue);

  // Due rows, oldest first, locked for this transaction. More candidates than
  // wanted, so that rows of a host over its cap can be passed over; those
  // are unlocked again at commit, untouched.
  const pqxx::result candidates = tx.exec_params(
      "SELECT id, coalesce(host, '') FROM jobs"
      " WHERE queue = $1 AND state = 'queued' AND run_at <= now()"
      "   AND (host IS NULL OR host <> ALL($2::text[]))"
      " ORDER BY run_at LIMIT $3 FOR UPDATE SKIP LOCKED",
      request.queue, text_array(blocked),
      static_cast<std::int64_t>(limit * kClaimCandidatesPerJob));

  std::map<std::string, std::size_t> taken;
  std::vector<std::int64_t> chosen;
  for (const auto& row : candidates) {
    if (chosen.size() >= limit) break;
    const std::string host = row[1].as<std::string>();
    if (!host.empty()) {
      const auto quota_it = request.host_quota.find(host);
      const std::size_t quota =
          quota_it != request.host_quota.end() ? quota_it->second : request.default_host_quota;
      const bool capped = quota_it != request.host_quota.end() || request.default_host_quota > 0;
      if (capped && taken[host] >= quota) continue;
      ++taken[host];
    }
    chosen.push_back(row[0].as<std::int64_t>());
  }

  std::vector<ClaimedJob> jobs;
  if (!chosen.empty()) {
    const pqxx::result rows = tx.exec_params(
        "UPDATE jobs SET state = 'running', attempts = attempts + 1,"
        "                locked_until = now() + $2::bigint * interval '1 millisecond',"
        "                lease_token = nextval('jobs_lease_token_seq')"
        " WHERE id = ANY($1::bigint[])"
        " RETURNING id, lease_token, payload::text, coalesce(host, ''), attempts,"
        "           extract(epoch FROM created_at)::float8",
        bigint_array(chosen), static_cast<std::int64_t>(request.lease.count()));
    jobs.reserve(rows.size());
    for (const auto& row : rows) {
      ClaimedJob job;
      job.lease = JobLease{row[0].as<std::int64_t>(), row[1].as<std::int64_t>()};
      job.payload = row[2].as<std::string>();
      job.host = row[3].as<std::string>();
      job.attempts = row[4].as<int>();
      job.created_at = from_unix_seconds(row[5].as<double>());
      jobs.push_back(std::move(job));
    }
  }
  tx.commit();
  return jobs;
}

bool complete(pqxx::transaction_base& tx, const JobLease& lease) {
  const pqxx::result rows = tx.exec_params(
      "UPDATE jobs SET state = 'done', finished_at = now(), locked_until = NULL,"
      "                lease_token = NULL"
      " WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id",
      lease.id, lease.token);
  return !rows.empty();
}

bool complete(pqxx::connection& connection, const JobLease& lease) {
  pqxx::work tx(connection);
  const bool held = complete(static_cast<pqxx::transaction_base&>(tx), lease);
  tx.commit();
  return held;
}

bool retry(pqxx::connection& connection, const JobLease& lease, std::chrono::milliseconds delay,
           std::string_view error) {
  pqxx::work tx(connection);
  const pqxx::result rows = tx.exec_params(
      "UPDATE jobs SET state = 'queued', run_at = now() + $3::bigint * interval '1 millisecond',"
      "                locked_until = NULL, lease_token = NULL, last_error = $4"
      " WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id",
      lease.id, lease.token, static_cast<std::int64_t>(std::max<std::int64_t>(0, delay.count())),
      clean_error(error));
  tx.commit();
  return !rows.empty();
}

bool fail(pqxx::connection& connection, const JobLease& lease, std::string_view error) {
  pqxx::work tx(connection);
  const pqxx::result rows = tx.exec_params(
      "UPDATE jobs SET state = 'failed', finished_at = now(), locked_until = NULL,"
      "                lease_token = NULL, last_error = $3"
      " WHERE id = $1 AND lease_token = $2 AND state = 'running' RETURNING id",
      lease.id, lease.token, clean_error(error));
  tx.commit();
  return !rows.empty();
}

std::size_t release(pqxx::connection& connection, const std::vector<JobLease>& leases,
                    std::chrono::milliseconds delay) {
  if (leases.empty()) return 0;
  std::vector<std::int64_t> ids, tokens;
  for (const auto& lease : leases) {
    ids.push_back(lease.id);
    tokens.push_back(lease.token);
  }
  pqxx::work tx(connection);
  const pqxx::result rows = tx.exec_params(
      "UPDATE jobs SET state = 'queued', run_at = now() + $3::bigint * interval '1 millisecond',"
      "                locked_until = NULL, lease_token = NULL,"
      "                attempts = greatest(attempts - 1, 0)"
      " FROM unnest($1::bigint[], $2::bigint[]) AS held(id, token)"
      " WHERE jobs.id = held.id AND jobs.lease_token = held.token AND jobs.state = 'running'"
      " RETURNING jobs.id",
      bigint_array(ids), bigint_array(tokens),
      static_cast<std::int64_t>(std::max<std::int64_t>(0, delay.count())));
  tx.commit();
  return rows.size();
}

PostponeResult postpone_host(pqxx::connection& connection, std::string_view queue,
                             std::string_view host, SystemTime until,
                             SystemTime give_up_created_before, std::string_view error) {
  pqxx::work tx(connection);
  const pqxx::row row = tx.exec_params1(
      "WITH expired AS ("
      "  UPDATE jobs SET state = 'failed', finished_at = now(), last_error = $5"
      "   WHERE queue = $1 AND host = $2 AND state = 'queued'"
      "     AND created_at < to_timestamp($4::float8) RETURNING 1),"
      " moved AS ("
      "  UPDATE jobs SET run_at = to_timestamp($3::float8)"
      "   WHERE queue = $1 AND host = $2 AND state = 'queued'"
      "     AND run_at < to_timestamp($3::float8) AND created_at >= to_timestamp($4::float8) "
      "RETURNING 1)"
      " SELECT (SELECT count(*) FROM moved), (SELECT count(*) FROM expired)",
      std::string(queue), std::string(host), unix_seconds(until),
      unix_seconds(give_up_created_before), clean_error(error));
  tx.commit();
  return PostponeResult{row[0].as<std::size_t>(), row[1].as<std::size_t>()};
}

JobCounts count_jobs(pqxx::connection& connection, std::string_view queue) {
  pqxx::work tx(connection);
  const pqxx::row row = tx.exec_params1(
      "SELECT count(*) FILTER (WHERE state = 'queued'),"
      "       count(*) FILTER (WHERE state = 'queued' AND run_at <= now()),"
      "       count(*) FILTER (WHERE state = 'running'),"
      "       count(*) FILTER (WHERE state = 'done'),"
      "       count(*) FILTER (WHERE state = 'failed')"
      "  FROM jobs WHERE queue = $1",
      std::string(queue));
  tx.commit();
  return JobCounts{row[0].as<std::int64_t>(), row[1].as<std::int64_t>(), row[2].as<std::int64_t>(),
                   row[3].as<std::int64_t>(), row[4].as<std::int64_t>()};
}

std::size_t purge_finished(pqxx::connection& connection, std::string_view queue,
                           SystemTime done_before, SystemTime failed_before) {
  pqxx::work tx(connection);
  const pqxx::result rows = tx.exec_params(
      "DELETE FROM jobs WHERE queue = $1 AND ("
      "  (state = 'done' AND finished_at < to_timestamp($2::float8)) OR"
      "  (state = 'failed' AND finished_at < to_timestamp($3::float8))) RETURNING id",
      std::string(queue), unix_seconds(done_before), unix_seconds(failed_before));
  tx.commit();
  return rows.size();
}

}  // namespace kith::db
