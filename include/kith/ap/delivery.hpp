// Delivery: getting kith's activities into other servers' inboxes, signed,
// eventually, and without hammering servers that are down.
//
// The one idea: a delivery is a row in the jobs table (db/jobs.hpp), written
// in the same transaction as the activity that causes it, and a worker only
// ever moves a row from one state to the next. `enqueue_deliveries` writes
// one job per distinct inbox (shared inboxes de-duplicated). The
// DeliveryQueue claims due jobs through the pool, signs each POST with the
// author's key (draft-cavage-12 as Mastodon sends it: rsa-sha256 over
// (request-target) host date digest, with a SHA-256 Digest of the body) and
// sends it through the one http::Client. Then:
//   2xx                               -> done
//   other 4xx, 3xx; refused_address, plain_http, bad_url, bad_request,
//   redirect_refused, too_many_redirects (the URL itself is unusable)
//                                     -> failed at once (permanent)
//   408, 429, 5xx, timeouts, DNS, connection and TLS errors
//                                     -> retried with backoff, honouring
//                                        Retry-After, until give_up_after
// The retry schedule (backoff_delay): 15 s after the first failure, doubling
// each time up to 6 h between attempts, each delay scaled by a random factor
// in [0.75, 1.25]; a Retry-After longer than that delay (capped at 6 h) is
// waited instead; the last attempt is made when the job is give_up_after
// (default 48 h) old. Without jitter the attempts fall at 0, 15 s, 45 s,
// 1m45, 3m45, 7m45, 15m45, 31m45, 1h03m45, 2h07m45, 4h15m45, 8h31m45, then
// every 6 h (14h31m45 ... 44h31m45) and at 48 h: 19 attempts over two days,
// as Mastodon's 17 attempts (Sidekiq retry: 16) span about 2.1 days.
//
// Around the sends: a per-host circuit breaker (HostBreaker: after 10
// consecutive failures a host is paused for 1 minute, doubling to 1 hour
// while probes keep failing, and all its queued jobs are postponed, not
// failed; then one probe delivery decides), and a per-host cap on deliveries
// in flight equal to the client's (jobs of a busy host are not claimed, so
// none waits inside the client and times out there).
//
// What it must never do: drop a job that is not done or failed (a crash or
// a database error leaves it to be reclaimed after its lease), fail a job
// for a reason that may pass (a 5xx, a timeout), retry one that cannot
// succeed for ever, block an I/O thread on the database, or log a private
// key or a signature.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "kith/ap/rsa.hpp"
#include "kith/core/config.hpp"
#include "kith/core/metrics.hpp"
#include "kith/http/client.hpp"
#include "kith/http/url.hpp"

namespace pqxx {
class transaction_base;
}
namespace kith::db {
class Pool;
}

namespace kith::ap {

using SystemTime = std::chrono::system_clock::time_point;

// The jobs table's queue name for deliveries.
inline constexpr std::string_view kDeliveryQueue = "delivery";

// ---------------------------------------------------------------------------
// Enqueueing.

// account_id of an activity that the instance actor (https://<host>/actor)
// sends and signs, with key id https://<host>/actor#main-key: a Flag, which
// must not name the local reporter. No account row has id 0 (ids come from
// kith_next_id(), which is never 0).
inline constexpr std::int64_t kInstanceActorAccountId = 0;

struct OutgoingActivity {
  std::string id;               // the activity's id: receivers de-duplicate by it
  std::string json;             // the exact body to send
  std::int64_t account_id = 0;  // the local account whose key signs (or the instance actor)
  std::string key_id;           // its publicKey id, e.g. https://host/users/alice#main-key
};

struct Recipient {
  std::string inbox;
  std::string shared_inbox;  // empty when the actor has none
};

struct InboxSelection {
  std::vector<http::Url> inboxes;  // distinct, in first-seen order
  std::size_t skipped = 0;         // recipients with no usable URL
};

// The inboxes to deliver to: each recipient's shared inbox if it has a usable
// one, else its own inbox; URLs compared in their normal form, so that
// followers on one server cost one delivery. Unparseable URLs are skipped.
InboxSelection select_inboxes(std::span<const Recipient> recipients);

// The job payload, JSON text:
//   {"activity_id": "...", "inbox": "<url>", "account_id": 42,
//    "key_id": "...", "body": "<the activity JSON, as a string>"}
std::string delivery_payload(const OutgoingActivity& activity, const http::Url& inbox);
// "delivery:" + hex SHA-256 of activity id, "\n", inbox URL: one job per
// activity and inbox however often enqueueing is repeated (hashed, because
// two URLs could exceed what a btree index entry may hold).
std::string delivery_dedupe_key(std::string_view activity_id, std::string_view inbox);

// Writes one delivery job per selected inbox in the caller's transaction, so
// that they commit with the activity. Returns how many were new.
std::size_t enqueue_deliveries(pqxx::transaction_base& tx, const OutgoingActivity& activity,
                               std::span<const Recipient> recipients);

// ---------------------------------------------------------------------------
// Retry policy: pure functions, so that the schedule can be tested.

inline constexpr std::chrono::milliseconds kFirstRetryDelay{15'000};
inline constexpr std::chrono::milliseconds kMaxRetryDelay{6 * 3'600'000};
inline constexpr double kRetryJitter = 0.25;  // each delay times [1 - j, 1 + j]
inline constexpr std::chrono::seconds kMaxRetryAfter{6 * 3600};
inline constexpr std::size_t kMaxRetryAfterBytes = 64;

// The delay after the `failures`-th failed attempt (1 for the first):
// min(kFirstRetryDelay * 2^(failures-1), kMaxRetryDelay), times
// 1 - kRetryJitter + 2 * kRetryJitter * `unit`, where `unit` is a uniform
// random draw in [0, 1).
std::chrono::milliseconds backoff_delay(int failures, double unit);

// RFC 9110 10.2.3: Retry-After = HTTP-date / delay-seconds. Returns the wait
// it asks for from `now` (0 for a date in the past), at most kMaxRetryAfter;
// nullopt if the value is neither form.
std::optional<std::chrono::seconds> parse_retry_after(std::string_view value, SystemTime now);

enum class DeliveryOutcome { delivered, retry, permanent };
// What a result says about the remote host, for its circuit breaker.
enum class HostHealth {
  up,       // it answered (2xx, 3xx, 4xx other than 408 and 429)
  down,     // no answer, an error answer (5xx), or asked us to back off (408, 429)
  unknown,  // kith did not reach it (a refused address, a bad URL)
};

struct Classification {
  DeliveryOutcome outcome = DeliveryOutcome::retry;
  HostHealth host = HostHealth::unknown;
  std::string reason;  // bounded, for metrics: "http_503", "connect_failed"...
  std::string detail;  // for logs and last_error
  std::optional<std::chrono::seconds> retry_after;
};

Classification classify(const http::ClientResult& result, SystemTime now);

struct RetryDecision {
  bool give_up = false;
  std::chrono::milliseconds delay{0};
};

// After a retryable failure of attempt number `attempts` (1 for the first)
// of a job created at `created_at`: give up if the job is already
// `give_up_after` old; otherwise wait backoff_delay(attempts, unit), or the
// Retry-After if that is longer, but never past the job's give-up time, so
// that the last attempt falls exactly at it.
RetryDecision next_attempt(int attempts, SystemTime created_at, SystemTime now,
                           std::chrono::milliseconds give_up_after,
                           std::optional<std::chrono::seconds> retry_after, double unit);

// ---------------------------------------------------------------------------
// Per-host circuit breaker: a pure state machine; time is passed in.

struct BreakerOptions {
  unsigned failure_threshold = 10;                    // Mastodon's STOPLIGHT_FAILURE_THRESHOLD
  std::chrono::milliseconds cooldown{60'000};         // Mastodon's STOPLIGHT_COOLDOWN
  std::chrono::milliseconds max_cooldown{3'600'000};  // doubling per failed probe, up to this
};

enum class BreakerState {
  closed,     // deliveries go ahead; consecutive failures are counted
  open,       // none until open_until
  half_open,  // open_until passed: one probe delivery may go
};

class HostBreaker {
 public:
  using Clock = std::chrono::steady_clock;
  explicit HostBreaker(BreakerOptions options = {})
      : options_(options), cooldown_(options.cooldown) {}

  BreakerState state(Clock::time_point now) const;
  // Whether a delivery may start now: always when closed, never when open,
  // and when half open only if no probe is out (this one becomes the probe).
  bool try_start(Clock::time_point now);
  // How a delivery that try_start let through went.
  void record_success();
  // True if this failure opened the breaker (again).
  bool record_failure(Clock::time_point now);
  // It ended without saying anything about the host: frees the probe.
  void record_no_verdict();

  Clock::time_point open_until() const { return open_until_; }
  unsigned consecutive_failures() const { return failures_; }
  bool probing() const { return probe_out_; }
  bool idle() const { return !open_ && failures_ == 0 && !probe_out_; }  // may be forgotten

 private:
  BreakerOptions options_;
  bool open_ = false;
  bool probe_out_ = false;
  unsigned failures_ = 0;
  std::chrono::milliseconds cooldown_;
  Clock::time_point open_until_{};
};

// ---------------------------------------------------------------------------
// Signing.

// The PEM private keys that sign the jobs of `account_ids` (sorted,
// distinct): local accounts' keys from `local_keys`, and for
// kInstanceActorAccountId the instance actor's from `instance_key` (asked
// only when that id is present). Ids without a key are absent.
std::map<std::int64_t, std::string> signing_key_pems(
    const std::vector<std::int64_t>& account_ids,
    const std::function<std::map<std::int64_t, std::string>(const std::vector<std::int64_t>&)>&
        local_keys,
    const std::function<std::string()>& instance_key);

// Date, Digest and Signature headers for a POST of a body whose Digest header
// value is `digest` to `target`, signed at `now` with `key` (rsa-sha256 over
// (request-target) host date digest). Empty if signing fails.
std::vector<http::Header> signature_headers(const RsaPrivateKey& key, const std::string& key_id,
                                            const http::Url& target, const std::string& digest,
                                            SystemTime now);

// ---------------------------------------------------------------------------
// The workers.

struct DeliveryOptions {
  unsigned workers = 8;  // deliveries in flight at once; 0: none on this daemon
  std::chrono::milliseconds give_up_after{48 * 3'600'000};
  std::chrono::milliseconds lease{120'000};
  std::size_t per_host = http::kDefaultMaxRequestsPerHost;  // in flight to one host
  std::chrono::milliseconds idle_poll{2'000};               // how often an idle queue is looked at
  BreakerOptions breaker;
};

// delivery.* keys, and the client's per-host cap.
DeliveryOptions delivery_options_from_config(const core::Config& config,
                                             const http::ClientOptions& client);

class DeliveryQueue {
 public:
  // Registers the delivery metrics. `pool`, `client` and `metrics` must
  // outlive the queue. Destroy it after the io_context it runs on has
  // stopped (its coroutines are then never resumed) and before that
  // io_context is destroyed (its strand and timers belong to it).
  DeliveryQueue(db::Pool& pool, http::Client& client, core::MetricsRegistry& metrics,
                DeliveryOptions options);
  ~DeliveryQueue();
  DeliveryQueue(const DeliveryQueue&) = delete;
  DeliveryQueue& operator=(const DeliveryQueue&) = delete;

  // Starts the workers on `executor` (an io_context's). Call once.
  void start(boost::asio::any_io_executor executor);
  // Jobs were just committed by this process: look now, not at the next poll.
  void wake();
  // Stops claiming; lets deliveries in flight finish for up to `drain`; then
  // puts the unfinished ones back in the queue (their POST may or may not
  // have arrived: the receiver de-duplicates) and calls `done`, once, from
  // an I/O thread. Without start(), calls `done` at once.
  void begin_shutdown(std::chrono::milliseconds drain, std::function<void()> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kith::ap
