// The durable job queue: work that must happen even if kith dies first
// (outgoing deliveries today, accepted inbound activities later), kept as
// rows of the `jobs` table (migrations 0001 and 0002).
//
// The one idea: a job is a row before anyone relies on it, and a worker owns a
// row only through a lease. `enqueue` writes into the caller's transaction,
// so a status and its delivery jobs commit together or not at all (STYLE 8).
// `claim` takes due rows with FOR UPDATE SKIP LOCKED, so several workers and
// several daemons share one table without waiting on each other, marks them
// 'running' with locked_until = now() + lease and a fresh lease_token, and
// first puts back to 'queued' any 'running' row whose lease ran out: its
// worker died. `complete`, `retry`, `fail` and `release` name the job by id
// and lease token and do nothing (returning false) if the token changed, so a
// worker that outlived its lease never overwrites what the new holder does.
//
// Crash safety. A job is at least once, never at most once:
// * kith dies before `enqueue` commits: neither the cause (the status) nor
//   the job exists; nothing was promised.
// * kith dies with a job claimed, before or during the POST: the row stays
//   'running' until locked_until, then the next claim (by any daemon on the
//   database, or this one restarted) takes it again. Nothing is lost; the
//   delivery is late by at most the lease.
// * kith dies after the receiver got the POST but before `complete`
//   committed: the job is reclaimed and delivered again. The receiver sees
//   the same activity twice and applies it once, because ActivityPub servers
//   de-duplicate by activity id (Mastodon, GoToSocial and kith's own inbox
//   do). That duplicate is the price of never losing a delivery; there is no
//   way to make a remote POST and a local COMMIT one atomic step.
// * PostgreSQL is unreachable when a worker finishes: the same as a crash
//   for that job (it is reclaimed after its lease).
// The lease must therefore be longer than any one attempt can take (the
// delivery.lease key is checked against the HTTP and pool timeouts at load).
//
// What it must never do: hold a row lock while talking to the network (claim
// commits before any request is made), lose a row (finished rows are kept
// as 'done' or 'failed' and purged only after a retention time), or know
// what a payload means: payloads are JSON text the caller writes and reads.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

using SystemTime = std::chrono::system_clock::time_point;

// Candidate rows looked at per claimed job, so that rows of hosts over
// their cap can be passed over in one query.
inline constexpr std::size_t kClaimCandidatesPerJob = 4;
inline constexpr std::size_t kMaxClaimBatch = 256;
inline constexpr std::size_t kMaxJobErrorBytes = 1000;  // last_error is truncated to this

struct NewJob {
  std::string queue;                 // e.g. "delivery"
  std::string payload;               // JSON text (stored as jsonb)
  std::string dedupe_key;            // empty: none; else a second enqueue with it is a no-op
  std::string host;                  // empty: none; else host[:port] in lower case
  std::optional<SystemTime> run_at;  // not before; nullopt: now
};

// Adds a job in the caller's transaction (it commits with the caller's other
// writes). Returns its id, or nullopt if a job with the same dedupe_key
// already exists (ON CONFLICT (dedupe_key) DO NOTHING).
std::optional<std::int64_t> enqueue(pqxx::transaction_base& tx, const NewJob& job);

// A claimed job. `id` and `lease_token` together are the lease.
struct JobLease {
  std::int64_t id = 0;
  std::int64_t token = 0;
};

struct ClaimedJob {
  JobLease lease;
  std::string payload;  // JSON text
  std::string host;     // empty if the job has none
  int attempts = 0;     // including the one this claim starts
  SystemTime created_at;
};

struct ClaimRequest {
  std::string queue;
  std::size_t limit = 1;  // at most this many jobs (capped at kMaxClaimBatch)
  std::chrono::milliseconds lease{120'000};
  // Per-host caps: a job with a host is claimed only while its host has
  // quota left. Hosts in `host_quota` have that many (0: none, e.g. an open
  // circuit breaker); others have `default_host_quota` (0: no cap).
  std::size_t default_host_quota = 0;
  std::map<std::string, std::size_t> host_quota;
};

// Reclaims rows whose lease ran out, then claims up to `limit` due jobs
// (state 'queued', run_at <= now()), oldest run_at first, in one
// transaction; increments their attempts. Throws on database errors.
std::vector<ClaimedJob> claim(pqxx::connection& connection, const ClaimRequest& request);

// The job is done. False if the lease was lost (the job was reclaimed).
bool complete(pqxx::connection& connection, const JobLease& lease);
// The same inside the caller's transaction, so that what the job did and its
// completion commit together (the inbox worker); the caller must not commit
// if this returns false.
bool complete(pqxx::transaction_base& tx, const JobLease& lease);
// Back to 'queued', due `delay` from now (database time), with the error
// recorded. False if the lease was lost.
bool retry(pqxx::connection& connection, const JobLease& lease, std::chrono::milliseconds delay,
           std::string_view error);
// Given up: 'failed' with the error recorded. False if the lease was lost.
bool fail(pqxx::connection& connection, const JobLease& lease, std::string_view error);
// Back to 'queued', due `delay` from now, and the attempt this lease counted
// is taken back: the job was not tried (shutting down, host's breaker open).
// Returns how many of the leases were still held.
std::size_t release(pqxx::connection& connection, const std::vector<JobLease>& leases,
                    std::chrono::milliseconds delay = std::chrono::milliseconds{0});

struct PostponeResult {
  std::size_t postponed = 0;  // now due at `until`
  std::size_t failed = 0;     // created before `give_up_created_before`: failed instead
};

// Every queued job of `host` in `queue` due before `until` is made due at
// `until` (without counting an attempt), except jobs created before
// `give_up_created_before`, which fail with `error`: they ran out of time
// while the host was down.
PostponeResult postpone_host(pqxx::connection& connection, std::string_view queue,
                             std::string_view host, SystemTime until,
                             SystemTime give_up_created_before, std::string_view error);

struct JobCounts {
  std::int64_t queued = 0;  // waiting, due now or later
  std::int64_t due = 0;     // of those, due now
  std::int64_t running = 0;
  std::int64_t done = 0;    // kept until purged
  std::int64_t failed = 0;  // kept until purged
};

JobCounts count_jobs(pqxx::connection& connection, std::string_view queue);

// Deletes 'done' jobs finished before `done_before` and 'failed' ones
// finished before `failed_before`; returns how many.
std::size_t purge_finished(pqxx::connection& connection, std::string_view queue,
                           SystemTime done_before, SystemTime failed_before);

}  // namespace kith::db
