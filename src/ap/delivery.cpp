// Delivery, from a committed job row to a recorded outcome:
//
//   dispatch()   one coroutine: while fewer than `workers` deliveries are in
//                flight, claim due jobs through the pool (never more for a
//                host than its cap, none for a host whose breaker is open),
//                parse their payloads and load the signing keys on the pool
//                thread, and start deliver() for each; when nothing is due,
//                sleep until the next poll or wake()
//   deliver()    asks the host's breaker, sends the signed POST through the
//                http::Client, classifies the result, tells the breaker,
//                and records done / retry / failed through the pool
//   maintain()   samples the queue's counts for /metrics and purges old
//                finished rows
//
// All of the queue's own state lives on one strand; only the breakers (read
// by /metrics) are also behind a mutex, and the job counts are atomics. The
// HTTP requests themselves run on their own strands of the io_context, so
// deliveries to different hosts proceed in parallel on several I/O threads.
#include "kith/ap/delivery.hpp"

#include <spdlog/spdlog.h>
#include <algorithm>
#include <atomic>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <cctype>
#include <cmath>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <set>

#include "kith/ap/digest.hpp"
#include "kith/ap/request_parts.hpp"
#include "kith/ap/signature_header.hpp"
#include "kith/ap/signature_policy.hpp"
#include "kith/ap/signing_string.hpp"
#include "kith/db/account_keys.hpp"
#include "kith/db/instance_actor.hpp"
#include "kith/db/jobs.hpp"
#include "kith/db/pool.hpp"

namespace kith::ap {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using std::chrono::seconds;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

// How often the job counts behind kith_delivery_jobs are sampled.
constexpr milliseconds kCountsInterval{10'000};
// Finished rows are kept for operators (and so that a repeated enqueue of the
// same activity and inbox stays a no-op) and then deleted.
constexpr milliseconds kFirstPurgeAfter{300'000};
constexpr milliseconds kPurgeInterval{3'600'000};
constexpr auto kKeepDone = std::chrono::hours(24);
constexpr auto kKeepFailed = std::chrono::hours(24 * 7);
// Waits after a failed claim (the database is away), doubling to this.
constexpr milliseconds kMinDatabaseBackoff{1'000};
constexpr milliseconds kMaxDatabaseBackoff{30'000};
// Hosts whose breaker state is remembered; beyond this, new hosts go untracked.
constexpr std::size_t kMaxTrackedHosts = 10'000;
// A deferred job waits for the breaker plus up to this, so that a host's
// jobs do not all come due in the same instant.
constexpr milliseconds kDeferSpread{5'000};

constexpr std::string_view kActivityContentType = "application/activity+json";

std::string hex(const Bytes& bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out += kDigits[b >> 4];
    out += kDigits[b & 0xf];
  }
  return out;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string format_delay(milliseconds delay) {
  const auto s = std::chrono::duration_cast<seconds>(delay).count();
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  return std::to_string(s / 3600) + "h" + std::to_string((s % 3600) / 60) + "m";
}

// A job's payload, as delivery_payload writes it.
struct Payload {
  std::string activity_id;
  std::string inbox;
  std::int64_t account_id = 0;
  std::string key_id;
  std::string body;
};

std::optional<Payload> parse_payload(const std::string& text, std::string& error) {
  const auto json = nlohmann::json::parse(text, nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    error = "not a JSON object";
    return std::nullopt;
  }
  Payload payload;
  const auto text_field = [&](const char* name, std::string& out) {
    const auto it = json.find(name);
    if (it == json.end() || !it->is_string()) {
      error = std::string("no string \"") + name + "\"";
      return false;
    }
    out = it->get<std::string>();
    return true;
  };
  if (!text_field("activity_id", payload.activity_id) || !text_field("inbox", payload.inbox) ||
      !text_field("key_id", payload.key_id) || !text_field("body", payload.body))
    return std::nullopt;
  const auto account = json.find("account_id");
  if (account == json.end() || !account->is_number_integer()) {
    error = "no integer \"account_id\"";
    return std::nullopt;
  }
  payload.account_id = account->get<std::int64_t>();
  return payload;
}

}  // namespace

// ---------------------------------------------------------------------------
// Enqueueing.

InboxSelection select_inboxes(std::span<const Recipient> recipients) {
  InboxSelection selection;
  std::set<std::string> seen;
  for (const auto& recipient : recipients) {
    std::optional<http::Url> url;
    if (!recipient.shared_inbox.empty()) {
      if (auto parsed = http::parse_url(recipient.shared_inbox)) url = std::move(*parsed.url);
    }
    if (!url) {
      if (auto parsed = http::parse_url(recipient.inbox)) url = std::move(*parsed.url);
    }
    if (!url) {
      ++selection.skipped;
      continue;
    }
    if (seen.insert(url->text_without_fragment()).second)
      selection.inboxes.push_back(std::move(*url));
  }
  return selection;
}

std::string delivery_payload(const OutgoingActivity& activity, const http::Url& inbox) {
  const nlohmann::json payload = {{"activity_id", activity.id},
                                  {"inbox", inbox.text_without_fragment()},
                                  {"account_id", activity.account_id},
                                  {"key_id", activity.key_id},
                                  {"body", activity.json}};
  return payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string delivery_dedupe_key(std::string_view activity_id, std::string_view inbox) {
  std::string material(activity_id);
  material += '\n';
  material += inbox;
  return "delivery:" + hex(sha256(material));
}

std::size_t enqueue_deliveries(pqxx::transaction_base& tx, const OutgoingActivity& activity,
                               std::span<const Recipient> recipients) {
  const InboxSelection selection = select_inboxes(recipients);
  if (selection.skipped > 0)
    spdlog::info("delivery of {}: {} recipient(s) without a usable inbox URL skipped", activity.id,
                 selection.skipped);
  std::size_t added = 0;
  for (const auto& inbox : selection.inboxes) {
    db::NewJob job;
    job.queue = std::string(kDeliveryQueue);
    job.payload = delivery_payload(activity, inbox);
    job.dedupe_key = delivery_dedupe_key(activity.id, inbox.text_without_fragment());
    job.host = inbox.origin.authority();
    if (db::enqueue(tx, job)) ++added;
  }
  return added;
}

// ---------------------------------------------------------------------------
// Retry policy.

milliseconds backoff_delay(int failures, double unit) {
  milliseconds base = kFirstRetryDelay;
  for (int i = 1; i < failures && base < kMaxRetryDelay; ++i) base *= 2;
  base = std::min(base, kMaxRetryDelay);
  const double factor = 1.0 - kRetryJitter + 2.0 * kRetryJitter * std::clamp(unit, 0.0, 1.0);
  return milliseconds(std::llround(static_cast<double>(base.count()) * factor));
}

std::optional<seconds> parse_retry_after(std::string_view value, SystemTime now) {
  if (value.size() > kMaxRetryAfterBytes) return std::nullopt;
  value = trim(value);
  if (value.empty()) return std::nullopt;
  // delay-seconds = 1*DIGIT
  if (std::all_of(value.begin(), value.end(),
                  [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; })) {
    std::int64_t total = 0;
    for (char c : value) {
      total = total * 10 + (c - '0');
      if (total > kMaxRetryAfter.count()) return kMaxRetryAfter;  // and no overflow
    }
    return seconds(total);
  }
  // HTTP-date
  const auto date = parse_http_date(value);
  if (!date) return std::nullopt;
  const auto wait = *date - std::chrono::floor<seconds>(now);
  if (wait <= seconds(0)) return seconds(0);
  return std::min(std::chrono::duration_cast<seconds>(wait), kMaxRetryAfter);
}

Classification classify(const http::ClientResult& result, SystemTime now) {
  Classification c;
  if (!result) {
    using K = http::ClientErrorKind;
    c.reason = std::string(http::describe(result.error.kind));
    c.detail = result.error.message;
    switch (result.error.kind) {
      // The URL or the request can never work: retrying changes nothing.
      case K::bad_request:
      case K::bad_url:
      case K::plain_http:
      case K::refused_address:
      case K::redirect_refused:
      case K::too_many_redirects:
        c.outcome = DeliveryOutcome::permanent;
        c.host = HostHealth::unknown;
        return c;
      // A bug in the client, not the host's doing.
      case K::internal:
        c.outcome = DeliveryOutcome::retry;
        c.host = HostHealth::unknown;
        return c;
      case K::dns:
      case K::connect_failed:
      case K::connect_timeout:
      case K::tls:
      case K::write_timeout:
      case K::read_timeout:
      case K::total_timeout:
      case K::too_large:
      case K::connection_lost:
      case K::bad_response:
        break;
    }
    c.outcome = DeliveryOutcome::retry;
    c.host = HostHealth::down;
    return c;
  }
  const http::ClientResponse& response = *result.response;
  const int status = response.status;
  c.reason = (status >= 100 && status <= 599) ? "http_" + std::to_string(status) : "http_invalid";
  c.detail = "HTTP " + std::to_string(status) + " from " + response.final_url.origin.serialize() +
             response.final_url.path;
  if (status >= 200 && status <= 299) {
    c.outcome = DeliveryOutcome::delivered;
    c.host = HostHealth::up;
  } else if (status == 408 || status == 429 || (status >= 500 && status <= 599)) {
    c.outcome = DeliveryOutcome::retry;
    c.host = HostHealth::down;
    if (auto value = response.header("retry-after")) c.retry_after = parse_retry_after(*value, now);
  } else if (status >= 300 && status <= 499) {
    // 4xx: the receiver refuses this activity (gone, forbidden, malformed);
    // 3xx: an inbox does not move, and a POST is not followed.
    c.outcome = DeliveryOutcome::permanent;
    c.host = HostHealth::up;
  } else {
    c.outcome = DeliveryOutcome::retry;
    c.host = HostHealth::down;
  }
  return c;
}

RetryDecision next_attempt(int attempts, SystemTime created_at, SystemTime now,
                           milliseconds give_up_after, std::optional<seconds> retry_after,
                           double unit) {
  const SystemTime deadline = created_at + give_up_after;
  if (now >= deadline) return RetryDecision{true, milliseconds(0)};
  milliseconds delay = backoff_delay(attempts, unit);
  if (retry_after) delay = std::max<milliseconds>(delay, std::min(*retry_after, kMaxRetryAfter));
  delay = std::min(delay, std::chrono::ceil<milliseconds>(deadline - now));
  return RetryDecision{false, delay};
}

// ---------------------------------------------------------------------------
// Circuit breaker.

BreakerState HostBreaker::state(Clock::time_point now) const {
  if (!open_) return BreakerState::closed;
  return now < open_until_ ? BreakerState::open : BreakerState::half_open;
}

bool HostBreaker::try_start(Clock::time_point now) {
  switch (state(now)) {
    case BreakerState::closed:
      return true;
    case BreakerState::open:
      return false;
    case BreakerState::half_open:
      if (probe_out_) return false;
      probe_out_ = true;
      return true;
  }
  return false;
}

void HostBreaker::record_success() {
  open_ = false;
  probe_out_ = false;
  failures_ = 0;
  cooldown_ = options_.cooldown;
}

bool HostBreaker::record_failure(Clock::time_point now) {
  if (failures_ < UINT32_MAX) ++failures_;
  if (open_) {
    // A delivery that started before the breaker opened: nothing new.
    if (now < open_until_) return false;
    // Half open: the probe failed. Pause again, for longer.
    probe_out_ = false;
    cooldown_ = std::min(cooldown_ * 2, std::max(options_.max_cooldown, options_.cooldown));
    open_until_ = now + cooldown_;
    return true;
  }
  if (failures_ < std::max(1u, options_.failure_threshold)) return false;
  open_ = true;
  probe_out_ = false;
  cooldown_ = options_.cooldown;
  open_until_ = now + cooldown_;
  return true;
}

void HostBreaker::record_no_verdict() {
  probe_out_ = false;
}

// ---------------------------------------------------------------------------
// Signing.

std::map<std::int64_t, std::string> signing_key_pems(
    const std::vector<std::int64_t>& account_ids,
    const std::function<std::map<std::int64_t, std::string>(const std::vector<std::int64_t>&)>&
        local_keys,
    const std::function<std::string()>& instance_key) {
  std::vector<std::int64_t> local;
  bool instance = false;
  for (std::int64_t id : account_ids) {
    if (id == kInstanceActorAccountId)
      instance = true;
    else
      local.push_back(id);
  }
  std::map<std::int64_t, std::string> pems;
  if (!local.empty()) pems = local_keys(local);
  pems.erase(kInstanceActorAccountId);  // never a local account's
  if (instance) pems[kInstanceActorAccountId] = instance_key();
  return pems;
}

std::vector<http::Header> signature_headers(const RsaPrivateKey& key, const std::string& key_id,
                                            const http::Url& target, const std::string& digest,
                                            SystemTime now) {
  const std::string authority = target.origin.authority();
  const std::string request_target = target.request_target();
  // Host is listed for the signing string only: the client sends its own,
  // which is the same authority.
  std::vector<http::Header> headers = {{"Host", authority},
                                       {"Date", format_http_date(std::chrono::floor<seconds>(now))},
                                       {"Digest", digest}};
  CavageSignature signature;
  signature.key_id = key_id;
  signature.algorithm = "rsa-sha256";
  signature.headers = {"(request-target)", "host", "date", "digest"};
  signature.headers_given = true;
  const RequestParts parts{"POST", request_target, target.origin.scheme, authority,
                           header_lookup(headers)};
  const SigningStringResult text = build_signing_string(signature, parts);
  if (!text) return {};
  auto bytes = key.sign(RsaScheme::pkcs1_sha256, text.text);
  if (!bytes) return {};
  signature.signature = std::move(*bytes);
  headers.erase(headers.begin());
  headers.push_back({"Signature", serialize_signature_header(signature)});
  return headers;
}

// ---------------------------------------------------------------------------
// The workers.

DeliveryOptions delivery_options_from_config(const core::Config& config,
                                             const http::ClientOptions& client) {
  DeliveryOptions options;
  options.workers = config.delivery.workers;
  options.give_up_after = config.delivery.give_up_after;
  options.lease = config.delivery.lease;
  options.per_host = std::max<std::size_t>(1, client.max_requests_per_host);
  return options;
}

namespace {

// A claimed job, ready to send, or with the reason it cannot be.
struct PreparedDelivery {
  db::ClaimedJob job;
  std::string host;  // the job's host, or the inbox's authority
  std::optional<Payload> payload;
  std::optional<http::Url> inbox;
  std::shared_ptr<const RsaPrivateKey> key;
  std::string error;  // set when the job can never be delivered
};

// Runs on a pool thread: claims, reads the payloads and loads and parses the
// signing keys, so that no I/O thread parses PEM or waits for PostgreSQL.
std::vector<PreparedDelivery> claim_and_prepare(pqxx::connection& connection,
                                                const db::ClaimRequest& request) {
  std::vector<PreparedDelivery> prepared;
  std::vector<std::int64_t> account_ids;
  for (auto& job : db::claim(connection, request)) {
    PreparedDelivery p;
    p.job = std::move(job);
    p.host = p.job.host;
    std::string error;
    p.payload = parse_payload(p.job.payload, error);
    p.job.payload.clear();  // the body now lives in `payload` only
    if (!p.payload) {
      p.error = "malformed job payload: " + error;
    } else if (auto url = http::parse_url(p.payload->inbox); !url) {
      p.error = "inbox URL unusable: " + std::string(http::describe(url.error));
    } else {
      p.inbox = std::move(*url.url);
      if (p.host.empty()) p.host = p.inbox->origin.authority();
      account_ids.push_back(p.payload->account_id);
    }
    prepared.push_back(std::move(p));
  }
  if (account_ids.empty()) return prepared;
  std::sort(account_ids.begin(), account_ids.end());
  account_ids.erase(std::unique(account_ids.begin(), account_ids.end()), account_ids.end());
  const auto pems = signing_key_pems(
      account_ids,
      [&connection](const std::vector<std::int64_t>& ids) {
        return db::local_private_keys(connection, ids);
      },
      [&connection] { return db::instance_actor_private_key(connection); });
  std::map<std::int64_t, std::shared_ptr<const RsaPrivateKey>> keys;
  std::map<std::int64_t, RsaError> key_errors;
  for (const auto& [id, pem] : pems) {
    auto parsed = RsaPrivateKey::from_pem(pem);
    if (parsed) {
      keys.emplace(id, std::make_shared<const RsaPrivateKey>(std::move(*parsed.key)));
    } else {
      key_errors.emplace(id, parsed.error);
    }
  }
  for (auto& p : prepared) {
    if (!p.error.empty()) continue;
    const std::int64_t id = p.payload->account_id;
    if (auto it = keys.find(id); it != keys.end()) {
      p.key = it->second;
    } else if (auto bad = key_errors.find(id); bad != key_errors.end()) {
      p.error = "the private key of account " + std::to_string(id) +
                " cannot be used: " + std::string(describe(bad->second));
    } else {
      p.error = "account " + std::to_string(id) + " is not a local account with a key";
    }
  }
  return prepared;
}

}  // namespace

struct DeliveryQueue::Impl {
  Impl(db::Pool& pool, http::Client& client, core::MetricsRegistry& metrics,
       DeliveryOptions options);

  db::Pool& pool;
  http::Client& client;
  const DeliveryOptions options;
  core::CounterFamily& outcomes;
  core::CounterFamily& failures;

  // Set by start(); the rest is touched on `strand` only, except as noted.
  std::optional<asio::any_io_executor> io;
  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::optional<asio::steady_timer> wake_timer;
  std::optional<asio::steady_timer> maintenance_timer;
  std::optional<asio::steady_timer> drain_timer;
  bool wake_pending = false;
  bool stopping = false;
  bool dispatcher_running = false;
  bool drained = false;
  std::vector<std::function<void()>> on_drained;
  std::map<std::int64_t, db::JobLease> in_flight;  // by job id
  std::map<std::string, std::size_t> host_in_flight;
  std::mt19937_64 random{std::random_device{}()};

  // Also read by the /metrics samplers, from any thread.
  std::mutex breaker_mutex;
  std::map<std::string, HostBreaker> breakers;  // under breaker_mutex
  std::atomic<std::int64_t> jobs_queued{0}, jobs_due{0}, jobs_running{0}, jobs_done{0},
      jobs_failed{0};
  std::atomic<std::size_t> in_flight_count{0};

  double unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }
  void count(const char* outcome) { outcomes.add({{"outcome", outcome}}); }

  void start(asio::any_io_executor executor);
  void wake();
  asio::awaitable<void> sleep(milliseconds duration);
  db::ClaimRequest claim_request(std::size_t limit);
  asio::awaitable<void> dispatch();
  void start_delivery(PreparedDelivery prepared);
  asio::awaitable<void> deliver(PreparedDelivery prepared);
  asio::awaitable<void> attempt(PreparedDelivery& p);
  http::OutgoingRequest build_request(const PreparedDelivery& p) const;
  // Tells the host's breaker; returns the system time it opened until, if
  // this result opened it.
  std::optional<SystemTime> record_health(const std::string& host, HostHealth health);
  asio::awaitable<void> postpone(const std::string& host, SystemTime until);
  void finished(std::int64_t id, const std::string& host);
  asio::awaitable<void> maintain();
  void begin_shutdown(milliseconds drain, std::function<void()> done);
  asio::awaitable<void> abandon_in_flight();
  void finish_drain();
  void maybe_finish_drain();
};

DeliveryQueue::Impl::Impl(db::Pool& pool_, http::Client& client_, core::MetricsRegistry& metrics,
                          DeliveryOptions options_)
    : pool(pool_),
      client(client_),
      options(std::move(options_)),
      outcomes(metrics.counter("kith_deliveries_total",
                               "Delivery attempts by outcome: delivered, retried, failed "
                               "(permanently), gave_up, deferred (host paused), released")),
      failures(metrics.counter("kith_delivery_failures_total",
                               "Failed delivery attempts by reason (status or client error)")) {
  for (const char* outcome : {"delivered", "retried", "failed", "gave_up", "deferred", "released"})
    outcomes.add({{"outcome", outcome}}, 0);
  metrics.gauge("kith_delivery_jobs",
                "Delivery jobs in the database by state (sampled every 10 s; due: queued and due "
                "now; done and failed: kept for a while)",
                [this] {
                  return std::vector<core::GaugeSample>{
                      {{{"state", "queued"}}, double(jobs_queued.load())},
                      {{{"state", "due"}}, double(jobs_due.load())},
                      {{{"state", "running"}}, double(jobs_running.load())},
                      {{{"state", "done"}}, double(jobs_done.load())},
                      {{{"state", "failed"}}, double(jobs_failed.load())}};
                });
  metrics.gauge("kith_delivery_in_flight", "Deliveries being sent by this daemon now", [this] {
    return std::vector<core::GaugeSample>{{{}, double(in_flight_count.load())}};
  });
  metrics.gauge("kith_delivery_breakers",
                "Hosts whose delivery circuit breaker is open (paused) or half open (probing)",
                [this] {
                  const auto now = SteadyClock::now();
                  double open = 0, half_open = 0;
                  std::lock_guard lock(breaker_mutex);
                  for (const auto& [host, breaker] : breakers) {
                    const auto state = breaker.state(now);
                    if (state == BreakerState::open) ++open;
                    if (state == BreakerState::half_open) ++half_open;
                  }
                  return std::vector<core::GaugeSample>{{{{"state", "open"}}, open},
                                                        {{{"state", "half_open"}}, half_open}};
                });
}

void DeliveryQueue::Impl::start(asio::any_io_executor executor) {
  if (options.workers == 0) {
    spdlog::info("delivery: delivery.workers is 0, this daemon delivers nothing");
    return;
  }
  io = executor;
  strand.emplace(asio::make_strand(executor));
  wake_timer.emplace(*strand);
  maintenance_timer.emplace(*strand);
  drain_timer.emplace(*strand);
  dispatcher_running = true;
  asio::co_spawn(*strand, dispatch(), asio::detached);
  asio::co_spawn(*strand, maintain(), asio::detached);
  spdlog::info("delivery: {} worker(s), at most {} per host, lease {}, giving up after {}",
               options.workers, options.per_host, format_delay(options.lease),
               format_delay(options.give_up_after));
}

void DeliveryQueue::Impl::wake() {
  wake_pending = true;
  wake_timer->cancel();
}

asio::awaitable<void> DeliveryQueue::Impl::sleep(milliseconds duration) {
  if (!wake_pending && !stopping) {
    wake_timer->expires_after(duration);
    co_await wake_timer->async_wait(kTuple);
  }
  wake_pending = false;
}

db::ClaimRequest DeliveryQueue::Impl::claim_request(std::size_t limit) {
  db::ClaimRequest request;
  request.queue = std::string(kDeliveryQueue);
  request.limit = limit;
  request.lease = options.lease;
  request.default_host_quota = options.per_host;
  for (const auto& [host, n] : host_in_flight)
    request.host_quota[host] = n >= options.per_host ? 0 : options.per_host - n;
  const auto now = SteadyClock::now();
  std::lock_guard lock(breaker_mutex);
  for (const auto& [host, breaker] : breakers) {
    std::size_t quota = 0;
    switch (breaker.state(now)) {
      case BreakerState::closed:
        continue;
      case BreakerState::open:
        quota = 0;
        break;
      case BreakerState::half_open:
        quota = breaker.probing() ? 0 : 1;
        break;
    }
    auto [it, added] = request.host_quota.try_emplace(host, options.per_host);
    it->second = std::min(it->second, quota);
  }
  return request;
}

asio::awaitable<void> DeliveryQueue::Impl::dispatch() {
  milliseconds database_backoff{0};
  while (!stopping) {
    const std::size_t free =
        options.workers - std::min<std::size_t>(options.workers, in_flight.size());
    if (free == 0) {
      co_await sleep(options.idle_poll);  // a finishing delivery wakes us
      continue;
    }
    // (C++ allows no co_await inside a catch block: errors are noted, then
    // waited on below.)
    std::vector<PreparedDelivery> batch;
    bool claimed = false;
    try {
      const db::ClaimRequest request = claim_request(free);
      batch = co_await pool.run(
          [&request](pqxx::connection& c) { return claim_and_prepare(c, request); });
      claimed = true;
    } catch (const std::exception& e) {
      if (database_backoff.count() == 0)
        spdlog::warn("delivery: cannot claim jobs: {} (retrying)", e.what());
    }
    if (!claimed) {
      database_backoff = std::clamp(database_backoff * 2, kMinDatabaseBackoff, kMaxDatabaseBackoff);
      co_await sleep(database_backoff);
      continue;
    }
    if (database_backoff.count() > 0) spdlog::info("delivery: claiming jobs works again");
    database_backoff = milliseconds(0);
    if (stopping) {
      // Claimed while shutdown began: put them straight back, untried.
      std::vector<db::JobLease> leases;
      for (const auto& p : batch) leases.push_back(p.job.lease);
      try {
        if (!leases.empty())
          co_await pool.run([&leases](pqxx::connection& c) { return db::release(c, leases); });
      } catch (const std::exception& e) {
        spdlog::warn(
            "delivery: claimed jobs not put back ({}); they are taken up again when "
            "their lease runs out",
            e.what());
      }
      break;
    }
    if (batch.empty()) {
      co_await sleep(options.idle_poll);
      continue;
    }
    for (auto& prepared : batch) start_delivery(std::move(prepared));
  }
  dispatcher_running = false;
  maybe_finish_drain();
}

void DeliveryQueue::Impl::start_delivery(PreparedDelivery prepared) {
  in_flight.emplace(prepared.job.lease.id, prepared.job.lease);
  ++host_in_flight[prepared.host];
  in_flight_count = in_flight.size();
  asio::co_spawn(*strand, deliver(std::move(prepared)), asio::detached);
}

asio::awaitable<void> DeliveryQueue::Impl::deliver(PreparedDelivery prepared) {
  const std::int64_t id = prepared.job.lease.id;
  const std::string host = prepared.host;
  try {
    co_await attempt(prepared);
  } catch (const std::exception& e) {
    // The outcome could not be recorded (the database went away): the job
    // keeps its lease and is delivered again once that runs out.
    spdlog::warn("delivery job {}: outcome not recorded ({}); it will be retried after its lease",
                 id, e.what());
  }
  finished(id, host);
}

http::OutgoingRequest DeliveryQueue::Impl::build_request(const PreparedDelivery& p) const {
  http::OutgoingRequest request;
  request.method = "POST";
  request.url = p.inbox->text_without_fragment();
  request.headers = {{"Content-Type", std::string(kActivityContentType)}};
  request.body = p.payload->body;
  request.sign = [key = p.key, key_id = p.payload->key_id,
                  digest = digest_header_sha256(p.payload->body)](const http::Url& target) {
    try {
      auto headers =
          signature_headers(*key, key_id, target, digest, std::chrono::system_clock::now());
      if (headers.empty()) spdlog::error("delivery: signing a request failed");
      return headers;
    } catch (const std::exception& e) {
      spdlog::error("delivery: signing a request failed: {}", e.what());
      return std::vector<http::Header>{};
    }
  };
  return request;
}

std::optional<SystemTime> DeliveryQueue::Impl::record_health(const std::string& host,
                                                             HostHealth health) {
  const auto now = SteadyClock::now();
  std::lock_guard lock(breaker_mutex);
  auto it = breakers.find(host);
  if (it == breakers.end()) return std::nullopt;  // not tracked (too many hosts)
  HostBreaker& breaker = it->second;
  std::optional<SystemTime> opened;
  switch (health) {
    case HostHealth::up:
      breaker.record_success();
      break;
    case HostHealth::down:
      if (breaker.record_failure(now))
        opened = std::chrono::system_clock::now() +
                 std::chrono::duration_cast<std::chrono::system_clock::duration>(
                     breaker.open_until() - now);
      break;
    case HostHealth::unknown:
      breaker.record_no_verdict();
      break;
  }
  if (breaker.idle()) breakers.erase(it);
  return opened;
}

asio::awaitable<void> DeliveryQueue::Impl::postpone(const std::string& host, SystemTime until) {
  const SystemTime give_up_before = std::chrono::system_clock::now() - options.give_up_after;
  try {
    const auto result = co_await pool.run([&](pqxx::connection& c) {
      return db::postpone_host(c, kDeliveryQueue, host, until, give_up_before,
                               "gave up: the host kept failing (circuit breaker open)");
    });
    spdlog::warn(
        "delivery: {} keeps failing; paused until its breaker half-opens in {} "
        "({} queued job(s) postponed, {} given up)",
        host,
        format_delay(
            std::chrono::duration_cast<milliseconds>(until - std::chrono::system_clock::now())),
        result.postponed, result.failed);
  } catch (const std::exception& e) {
    // Not fatal: claims skip the host while its breaker is open anyway.
    spdlog::warn("delivery: could not postpone the jobs of {}: {}", host, e.what());
  }
}

asio::awaitable<void> DeliveryQueue::Impl::attempt(PreparedDelivery& p) {
  const db::JobLease lease = p.job.lease;
  if (!p.error.empty()) {
    spdlog::warn("delivery job {}: failed: {}", lease.id, p.error);
    co_await pool.run([&](pqxx::connection& c) { return db::fail(c, lease, p.error); });
    count("failed");
    failures.add({{"reason", "bad_job"}});
    co_return;
  }

  // The host's breaker decides whether this delivery may go now.
  std::optional<SteadyClock::time_point> paused_until;
  {
    const auto now = SteadyClock::now();
    std::lock_guard lock(breaker_mutex);
    auto it = breakers.find(p.host);
    if (it == breakers.end() && breakers.size() < kMaxTrackedHosts)
      it = breakers.try_emplace(p.host, options.breaker).first;
    if (it != breakers.end() && !it->second.try_start(now)) paused_until = it->second.open_until();
  }
  if (paused_until) {
    const auto wait = std::chrono::duration_cast<milliseconds>(*paused_until - SteadyClock::now()) +
                      milliseconds(static_cast<std::int64_t>(unit() * kDeferSpread.count()));
    co_await pool.run([&](pqxx::connection& c) {
      return db::release(c, {lease}, std::max(wait, milliseconds(0)));
    });
    count("deferred");
    co_return;
  }

  http::OutgoingRequest request = build_request(p);
  const http::ClientResult result =
      co_await asio::co_spawn(*io, client.request(std::move(request)), asio::use_awaitable);
  const SystemTime now = std::chrono::system_clock::now();
  const Classification c = classify(result, now);
  if (auto opened = record_health(p.host, c.host)) co_await postpone(p.host, *opened);

  bool held = true;
  switch (c.outcome) {
    case DeliveryOutcome::delivered:
      held = co_await pool.run([&](pqxx::connection& conn) { return db::complete(conn, lease); });
      count("delivered");
      spdlog::debug("delivery job {} of {} to {}: {}", lease.id, p.payload->activity_id, p.host,
                    c.detail);
      break;
    case DeliveryOutcome::permanent:
      held = co_await pool.run(
          [&](pqxx::connection& conn) { return db::fail(conn, lease, c.detail); });
      count("failed");
      failures.add({{"reason", c.reason}});
      spdlog::info("delivery job {} of {} failed for good: {}", lease.id, p.payload->activity_id,
                   c.detail);
      break;
    case DeliveryOutcome::retry: {
      failures.add({{"reason", c.reason}});
      const RetryDecision decision = next_attempt(p.job.attempts, p.job.created_at, now,
                                                  options.give_up_after, c.retry_after, unit());
      if (decision.give_up) {
        const std::string error =
            "gave up after " + std::to_string(p.job.attempts) + " attempt(s): " + c.detail;
        held =
            co_await pool.run([&](pqxx::connection& conn) { return db::fail(conn, lease, error); });
        count("gave_up");
        spdlog::info("delivery job {} of {}: {}", lease.id, p.payload->activity_id, error);
      } else {
        held = co_await pool.run([&](pqxx::connection& conn) {
          return db::retry(conn, lease, decision.delay, c.detail);
        });
        count("retried");
        spdlog::info("delivery job {} of {}: attempt {} failed ({}); next in {}", lease.id,
                     p.payload->activity_id, p.job.attempts, c.detail,
                     format_delay(decision.delay));
      }
      break;
    }
  }
  if (!held)
    spdlog::info(
        "delivery job {}: its lease was lost before the outcome was recorded; "
        "it may be delivered again",
        lease.id);
}

void DeliveryQueue::Impl::finished(std::int64_t id, const std::string& host) {
  in_flight.erase(id);
  if (auto it = host_in_flight.find(host); it != host_in_flight.end() && --it->second == 0)
    host_in_flight.erase(it);
  in_flight_count = in_flight.size();
  if (!stopping) wake();
  maybe_finish_drain();
}

asio::awaitable<void> DeliveryQueue::Impl::maintain() {
  auto next_purge = SteadyClock::now() + kFirstPurgeAfter;
  while (!stopping) {
    try {
      const db::JobCounts counts =
          co_await pool.run([](pqxx::connection& c) { return db::count_jobs(c, kDeliveryQueue); });
      jobs_queued = counts.queued;
      jobs_due = counts.due;
      jobs_running = counts.running;
      jobs_done = counts.done;
      jobs_failed = counts.failed;
      if (SteadyClock::now() >= next_purge) {
        next_purge = SteadyClock::now() + kPurgeInterval;
        const auto now = std::chrono::system_clock::now();
        const std::size_t purged = co_await pool.run([&now](pqxx::connection& c) {
          return db::purge_finished(c, kDeliveryQueue, now - kKeepDone, now - kKeepFailed);
        });
        if (purged > 0) spdlog::info("delivery: {} finished job(s) purged", purged);
      }
    } catch (const std::exception& e) {
      spdlog::debug("delivery: sampling the queue failed: {}", e.what());
    }
    if (stopping) break;
    maintenance_timer->expires_after(kCountsInterval);
    co_await maintenance_timer->async_wait(kTuple);
  }
}

void DeliveryQueue::Impl::begin_shutdown(milliseconds drain, std::function<void()> done) {
  if (drained) {
    if (done) done();
    return;
  }
  if (done) on_drained.push_back(std::move(done));
  if (stopping) return;  // a second signal: the drain is already under way
  stopping = true;
  wake_timer->cancel();
  maintenance_timer->cancel();
  if (!in_flight.empty())
    spdlog::info("delivery: stopping; {} delivery(ies) in flight get up to {} to finish",
                 in_flight.size(), format_delay(drain));
  drain_timer->expires_after(drain);
  drain_timer->async_wait([this](boost::system::error_code ec) {
    if (!ec && !drained) asio::co_spawn(*strand, abandon_in_flight(), asio::detached);
  });
  maybe_finish_drain();
}

asio::awaitable<void> DeliveryQueue::Impl::abandon_in_flight() {
  std::vector<db::JobLease> leases;
  for (const auto& [id, lease] : in_flight) leases.push_back(lease);
  if (!leases.empty()) {
    try {
      const std::size_t released =
          co_await pool.run([&leases](pqxx::connection& c) { return db::release(c, leases); });
      count("released");
      spdlog::info("delivery: {} unfinished delivery(ies) put back in the queue", released);
    } catch (const std::exception& e) {
      spdlog::warn(
          "delivery: unfinished deliveries not put back ({}); they are taken up again "
          "when their lease runs out",
          e.what());
    }
  }
  finish_drain();
}

void DeliveryQueue::Impl::finish_drain() {
  if (drained) return;
  drained = true;
  drain_timer->cancel();
  for (auto& done : on_drained) done();
  on_drained.clear();
}

void DeliveryQueue::Impl::maybe_finish_drain() {
  if (stopping && !dispatcher_running && in_flight.empty()) finish_drain();
}

DeliveryQueue::DeliveryQueue(db::Pool& pool, http::Client& client, core::MetricsRegistry& metrics,
                             DeliveryOptions options)
    : impl_(std::make_unique<Impl>(pool, client, metrics, std::move(options))) {}

DeliveryQueue::~DeliveryQueue() = default;

void DeliveryQueue::start(asio::any_io_executor executor) {
  impl_->start(std::move(executor));
}

void DeliveryQueue::wake() {
  if (!impl_->strand) return;
  asio::post(*impl_->strand, [impl = impl_.get()] { impl->wake(); });
}

void DeliveryQueue::begin_shutdown(milliseconds drain, std::function<void()> done) {
  if (!impl_->strand) {
    if (done) done();
    return;
  }
  asio::post(*impl_->strand, [impl = impl_.get(), drain, done = std::move(done)]() mutable {
    impl->begin_shutdown(drain, std::move(done));
  });
}

}  // namespace kith::ap
