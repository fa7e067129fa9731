// The inbox worker, from a committed job row to an applied activity:
//
//   dispatch()  one coroutine: while fewer than `workers` activities are
//               being applied, claim due jobs of the "inbox" queue through
//               the pool and start process() for each; when nothing is due,
//               sleep until the next poll or wake()
//   process()   reads the payload and the activity, finds the actor, asks the
//               family's prepare_* what the activity means (inbox_apply.hpp),
//               then records the outcome: the writes and the job's
//               completion in one transaction, or done / failed / retried
//   maintain()  samples the queue's counts for /metrics and purges old
//               finished rows
//
// The queue's own state lives on one strand, like the DeliveryQueue's; the
// fetches a handler makes run through the http::Client on their own strands.
#include "kith/ap/inbox_worker.hpp"

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
#include <map>
#include <pqxx/pqxx>
#include <random>

#include "inbox_apply.hpp"
#include "kith/ap/delivery.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/inbox.hpp"
#include "kith/db/jobs.hpp"
#include "kith/db/pool.hpp"
#include "kith/db/remote_accounts.hpp"

namespace kith::ap {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;
constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);

namespace {

constexpr milliseconds kCountsInterval{10'000};
constexpr milliseconds kFirstPurgeAfter{300'000};
constexpr milliseconds kPurgeInterval{3'600'000};
// Done rows are kept a day (operators look at them; the dedupe key keeps a
// replayed activity from making a second job meanwhile, and the uri columns
// keep it from applying twice after that); failed ones a week.
constexpr auto kKeepDone = std::chrono::hours(24);
constexpr auto kKeepFailed = std::chrono::hours(24 * 7);
constexpr milliseconds kMinDatabaseBackoff{1'000};
constexpr milliseconds kMaxDatabaseBackoff{30'000};
// A minute on top of the fetches, for the database work around them.
constexpr milliseconds kLeaseMargin{60'000};

// The activity types counted by name in kith_inbox_activities_total; any
// other is counted as "other", so a sender cannot grow the label set.
constexpr std::string_view kCountedTypes[] = {"Follow", "Accept", "Reject", "Undo",     "Create",
                                              "Update", "Delete", "Like",   "Announce", "Block",
                                              "Flag",   "Move",   "Add",    "Remove"};

std::string counted_type(std::string_view type) {
  for (auto known : kCountedTypes)
    if (known == type) return std::string(type);
  return "other";
}

std::string format_delay(milliseconds delay) {
  const auto s = std::chrono::duration_cast<std::chrono::seconds>(delay).count();
  if (s < 120) return std::to_string(s) + "s";
  if (s < 7200) return std::to_string(s / 60) + "m";
  return std::to_string(s / 3600) + "h" + std::to_string((s % 3600) / 60) + "m";
}

// What the transaction of an applied activity did.
struct Applied {
  bool held = false;    // the lease was still ours: committed
  std::string refused;  // the write found the activity false: rolled back
  inbox::WriteResult result;
};

}  // namespace

InboxOptions inbox_options_from_config(const core::Config& config) {
  InboxOptions options;
  options.workers = config.inbox.workers;
  options.lease = kMaxFetchesPerActivity * config.federation.request_timeout +
                  4 * config.database.acquire_timeout + kLeaseMargin;
  options.host = config.host;
  return options;
}

struct InboxWorker::Impl {
  Impl(db::Pool& pool, Fetcher& fetcher, RemoteActors& actors, core::MetricsRegistry& metrics,
       InboxOptions options, std::function<void()> wake_delivery);

  db::Pool& pool;
  Fetcher& fetcher;
  RemoteActors& actors;
  const InboxOptions options;
  std::function<void()> wake_delivery;
  core::CounterFamily& outcomes;
  core::HistogramFamily& durations;

  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::optional<asio::steady_timer> wake_timer;
  std::optional<asio::steady_timer> maintenance_timer;
  std::optional<asio::steady_timer> drain_timer;
  bool wake_pending = false;
  bool stopping = false;
  bool dispatcher_running = false;
  bool drained = false;
  std::vector<std::function<void()>> on_drained;
  std::map<std::int64_t, db::JobLease> in_flight;
  std::mt19937_64 random{std::random_device{}()};

  std::atomic<std::int64_t> jobs_queued{0}, jobs_due{0}, jobs_running{0}, jobs_done{0},
      jobs_failed{0};
  std::atomic<std::size_t> in_flight_count{0};

  double unit() { return std::uniform_real_distribution<double>(0.0, 1.0)(random); }
  void count(const std::string& type, const char* outcome) {
    outcomes.add({{"type", type}, {"outcome", outcome}});
  }

  void start(asio::any_io_executor executor);
  void wake();
  asio::awaitable<void> sleep(milliseconds duration);
  asio::awaitable<void> dispatch();
  asio::awaitable<void> process(db::ClaimedJob job);
  asio::awaitable<void> attempt(const db::ClaimedJob& job);
  asio::awaitable<inbox::Prepared> decide(const InboundActivity& inbound, std::string& type);
  asio::awaitable<void> record(const db::ClaimedJob& job, const std::string& type,
                               inbox::Prepared prepared);
  asio::awaitable<void> record_retry(const db::ClaimedJob& job, const std::string& type,
                                     const std::string& reason);
  void finished(std::int64_t id);
  asio::awaitable<void> maintain();
  void begin_shutdown(milliseconds drain, std::function<void()> done);
  asio::awaitable<void> abandon_in_flight();
  void finish_drain();
  void maybe_finish_drain();
};

InboxWorker::Impl::Impl(db::Pool& pool_, Fetcher& fetcher_, RemoteActors& actors_,
                        core::MetricsRegistry& metrics, InboxOptions options_,
                        std::function<void()> wake_delivery_)
    : pool(pool_),
      fetcher(fetcher_),
      actors(actors_),
      options(std::move(options_)),
      wake_delivery(std::move(wake_delivery_)),
      outcomes(metrics.counter(
          "kith_inbox_activities_total",
          "Inbound activities by type and outcome: applied, ignored (true but irrelevant), "
          "invalid (failed for good), retried, gave_up, released (shutting down)")),
      durations(metrics.histogram("kith_inbox_apply_duration_seconds",
                                  "Time to apply one inbound activity, fetches included",
                                  {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10, 30})) {
  for (const char* outcome : {"applied", "ignored", "invalid", "retried", "gave_up", "released"})
    outcomes.add({{"type", "other"}, {"outcome", outcome}}, 0);
  metrics.gauge("kith_inbox_jobs",
                "Inbox jobs in the database by state (sampled every 10 s; due: queued and due "
                "now; done and failed: kept for a while)",
                [this] {
                  return std::vector<core::GaugeSample>{
                      {{{"state", "queued"}}, double(jobs_queued.load())},
                      {{{"state", "due"}}, double(jobs_due.load())},
                      {{{"state", "running"}}, double(jobs_running.load())},
                      {{{"state", "done"}}, double(jobs_done.load())},
                      {{{"state", "failed"}}, double(jobs_failed.load())}};
                });
  metrics.gauge("kith_inbox_in_flight", "Inbound activities being applied by this daemon now",
                [this] {
                  return std::vector<core::GaugeSample>{{{}, double(in_flight_count.load())}};
                });
}

void InboxWorker::Impl::start(asio::any_io_executor executor) {
  strand.emplace(asio::make_strand(executor));
  wake_timer.emplace(*strand);
  maintenance_timer.emplace(*strand);
  drain_timer.emplace(*strand);
  if (options.workers == 0) {
    spdlog::info("inbox: no workers on this daemon (inbox.workers = 0)");
    drained = true;
    return;
  }
  dispatcher_running = true;
  asio::co_spawn(*strand, dispatch(), asio::detached);
  asio::co_spawn(*strand, maintain(), asio::detached);
  spdlog::info("inbox: {} worker(s), lease {}, giving up after {}", options.workers,
               format_delay(options.lease), format_delay(options.give_up_after));
}

void InboxWorker::Impl::wake() {
  wake_pending = true;
  if (wake_timer) wake_timer->cancel();
}

asio::awaitable<void> InboxWorker::Impl::sleep(milliseconds duration) {
  if (!wake_pending && !stopping) {
    wake_timer->expires_after(duration);
    co_await wake_timer->async_wait(kTuple);
  }
  wake_pending = false;
}

asio::awaitable<void> InboxWorker::Impl::dispatch() {
  milliseconds database_backoff{0};
  while (!stopping) {
    const std::size_t free =
        options.workers - std::min<std::size_t>(options.workers, in_flight.size());
    if (free == 0) {
      co_await sleep(options.idle_poll);  // a finishing activity wakes us
      continue;
    }
    std::vector<db::ClaimedJob> batch;
    bool claimed = false;
    try {
      db::ClaimRequest request;
      request.queue = std::string(kInboxQueue);
      request.limit = free;
      request.lease = options.lease;
      batch = co_await pool.run([&request](pqxx::connection& c) { return db::claim(c, request); });
      claimed = true;
    } catch (const std::exception& e) {
      if (database_backoff.count() == 0)
        spdlog::warn("inbox: cannot claim jobs: {} (retrying)", e.what());
    }
    if (!claimed) {
      database_backoff = std::clamp(database_backoff * 2, kMinDatabaseBackoff, kMaxDatabaseBackoff);
      co_await sleep(database_backoff);
      continue;
    }
    if (database_backoff.count() > 0) spdlog::info("inbox: claiming jobs works again");
    database_backoff = milliseconds(0);
    if (stopping) {
      std::vector<db::JobLease> leases;
      for (const auto& job : batch) leases.push_back(job.lease);
      try {
        if (!leases.empty())
          co_await pool.run([&leases](pqxx::connection& c) { return db::release(c, leases); });
      } catch (const std::exception& e) {
        spdlog::warn("inbox: claimed jobs not put back ({}); taken up again after their lease",
                     e.what());
      }
      break;
    }
    if (batch.empty()) {
      co_await sleep(options.idle_poll);
      continue;
    }
    for (auto& job : batch) {
      in_flight.emplace(job.lease.id, job.lease);
      in_flight_count = in_flight.size();
      asio::co_spawn(*strand, process(std::move(job)), asio::detached);
    }
  }
  dispatcher_running = false;
  maybe_finish_drain();
}

asio::awaitable<void> InboxWorker::Impl::process(db::ClaimedJob job) {
  const std::int64_t id = job.lease.id;
  try {
    co_await attempt(job);
  } catch (const std::exception& e) {
    // The outcome could not be recorded (the database went away): the job
    // keeps its lease and is applied again once that runs out; nothing of it
    // was committed.
    spdlog::warn("inbox job {}: outcome not recorded ({}); it will be retried after its lease", id,
                 e.what());
  }
  finished(id);
}

asio::awaitable<void> InboxWorker::Impl::attempt(const db::ClaimedJob& job) {
  const auto started = SteadyClock::now();
  std::string type = "other";
  inbox::Prepared prepared;
  const auto inbound = parse_inbox_payload(job.payload);
  if (!inbound) {
    prepared = inbox::invalid("malformed job payload");
  } else {
    // Anything a handler throws (the pool is away, a bug) is a reason to try
    // again later, never to lose the activity. (No co_await in a catch block.)
    std::string error;
    try {
      prepared = co_await decide(*inbound, type);
    } catch (const std::exception& e) {
      error = e.what();
    }
    if (!error.empty()) prepared = inbox::retry_later(error);
  }
  co_await record(job, type, std::move(prepared));
  durations.observe({}, std::chrono::duration<double>(SteadyClock::now() - started).count());
}

asio::awaitable<inbox::Prepared> InboxWorker::Impl::decide(const InboundActivity& inbound,
                                                           std::string& type) {
  const ReadResult read = read_document(inbound.body);
  if (!read.document) {
    const auto& e = *read.error;
    co_return inbox::invalid("unreadable activity: " + (e.field.empty() ? "" : e.field + ": ") +
                             e.message);
  }
  if (read.document->kind() != Kind::activity)
    co_return inbox::invalid("not an activity: " + read.document->type());
  const Activity& activity = std::get<Activity>(read.document->value);
  type = counted_type(activity.type);
  // The HTTP side checked this already; an activity that reaches the worker
  // some other way is held to the same rule.
  if (!inbox::same_origin(activity.id, activity.actor))
    co_return inbox::invalid("the activity id is not on its actor's origin");

  // The actor: the signer's account when the signer is the actor (the HTTP
  // side stored it), else resolved (the activity was re-fetched from its
  // origin). A Delete of an actor we do not know needs no fetch: there is
  // nothing to delete.
  std::optional<db::AccountRef> actor;
  const bool self_delete = activity.type == "Delete" && activity.object == activity.actor;
  if (activity.actor == inbound.signer && inbound.signer_account_id > 0) {
    const std::int64_t id = inbound.signer_account_id;
    actor = co_await pool.run([&id](pqxx::connection& c) { return db::find_account_by_id(c, id); });
    if (actor && actor->uri != activity.actor) actor.reset();
  }
  if (!actor && self_delete) {
    const std::string uri = activity.actor;
    actor =
        co_await pool.run([&uri](pqxx::connection& c) { return db::find_account_by_uri(c, uri); });
    if (!actor) co_return inbox::ignored("Delete of an actor kith does not know");
  }
  if (!actor) actor = co_await actors.by_uri(activity.actor);
  if (!actor) co_return inbox::retry_later("the actor " + activity.actor + " cannot be fetched");
  if (actor->local()) co_return inbox::invalid("the actor is a local account");
  if (actor->suspended) co_return inbox::ignored("the actor is suspended");

  inbox::Context context{pool, fetcher, actors, options.host};
  co_return co_await inbox::prepare_activity(context, inbox::Received{inbound, activity, *actor});
}

asio::awaitable<void> InboxWorker::Impl::record(const db::ClaimedJob& job, const std::string& type,
                                                inbox::Prepared prepared) {
  const db::JobLease lease = job.lease;
  switch (prepared.verdict) {
    case inbox::Verdict::apply: {
      Applied applied;
      std::string error;
      try {
        applied = co_await pool.run([&](pqxx::connection& c) {
          Applied a;
          pqxx::work tx(c);
          try {
            a.result = prepared.write(tx);
          } catch (const inbox::Refused& e) {
            a.refused = e.what();
            return a;  // rolled back
          } catch (const pqxx::data_exception& e) {
            // A value PostgreSQL refuses (a date it cannot read): the
            // activity is malformed, and would be again.
            a.refused = std::string("a value the database refuses: ") + e.what();
            return a;
          }
          a.held = db::complete(tx, lease);
          if (a.held) tx.commit();
          return a;
        });
      } catch (const std::exception& e) {
        error = e.what();
      }
      if (!error.empty()) {
        co_await record_retry(job, type, error);
        co_return;
      }
      if (!applied.refused.empty()) {
        prepared = inbox::invalid(applied.refused);
        break;  // failed below
      }
      if (!applied.held) {
        spdlog::info("inbox job {}: its lease was lost; nothing of it was committed", lease.id);
        co_return;
      }
      count(type, applied.result.ignored ? "ignored" : "applied");
      spdlog::debug("inbox job {} ({}): {}", lease.id, type, applied.result.note);
      if (applied.result.deliveries > 0 && wake_delivery) wake_delivery();
      co_return;
    }
    case inbox::Verdict::ignore: {
      co_await pool.run([&lease](pqxx::connection& c) { return db::complete(c, lease); });
      count(type, "ignored");
      spdlog::debug("inbox job {} ({}): ignored: {}", lease.id, type, prepared.reason);
      co_return;
    }
    case inbox::Verdict::retry:
      co_await record_retry(job, type, prepared.reason);
      co_return;
    case inbox::Verdict::invalid:
      break;
  }
  const std::string reason = "invalid: " + prepared.reason;
  co_await pool.run([&](pqxx::connection& c) { return db::fail(c, lease, reason); });
  count(type, "invalid");
  spdlog::info("inbox job {} ({}) failed: {}", lease.id, type, prepared.reason);
}

asio::awaitable<void> InboxWorker::Impl::record_retry(const db::ClaimedJob& job,
                                                      const std::string& type,
                                                      const std::string& reason) {
  const db::JobLease lease = job.lease;
  const RetryDecision decision =
      next_attempt(job.attempts, job.created_at, std::chrono::system_clock::now(),
                   options.give_up_after, std::nullopt, unit());
  if (decision.give_up) {
    const std::string error =
        "gave up after " + std::to_string(job.attempts) + " attempt(s): " + reason;
    co_await pool.run([&](pqxx::connection& c) { return db::fail(c, lease, error); });
    count(type, "gave_up");
    spdlog::info("inbox job {} ({}): {}", lease.id, type, error);
    co_return;
  }
  co_await pool.run(
      [&](pqxx::connection& c) { return db::retry(c, lease, decision.delay, reason); });
  count(type, "retried");
  spdlog::info("inbox job {} ({}): attempt {} failed ({}); next in {}", lease.id, type,
               job.attempts, reason, format_delay(decision.delay));
}

void InboxWorker::Impl::finished(std::int64_t id) {
  in_flight.erase(id);
  in_flight_count = in_flight.size();
  if (!stopping) wake();
  maybe_finish_drain();
}

asio::awaitable<void> InboxWorker::Impl::maintain() {
  auto next_purge = SteadyClock::now() + kFirstPurgeAfter;
  while (!stopping) {
    try {
      const db::JobCounts counts =
          co_await pool.run([](pqxx::connection& c) { return db::count_jobs(c, kInboxQueue); });
      jobs_queued = counts.queued;
      jobs_due = counts.due;
      jobs_running = counts.running;
      jobs_done = counts.done;
      jobs_failed = counts.failed;
      if (SteadyClock::now() >= next_purge) {
        next_purge = SteadyClock::now() + kPurgeInterval;
        const auto now = std::chrono::system_clock::now();
        const std::size_t purged = co_await pool.run([&now](pqxx::connection& c) {
          return db::purge_finished(c, kInboxQueue, now - kKeepDone, now - kKeepFailed);
        });
        if (purged > 0) spdlog::info("inbox: {} finished job(s) purged", purged);
      }
    } catch (const std::exception& e) {
      spdlog::debug("inbox: sampling the queue failed: {}", e.what());
    }
    if (stopping) break;
    maintenance_timer->expires_after(kCountsInterval);
    co_await maintenance_timer->async_wait(kTuple);
  }
}

void InboxWorker::Impl::begin_shutdown(milliseconds drain, std::function<void()> done) {
  if (drained) {
    if (done) done();
    return;
  }
  if (done) on_drained.push_back(std::move(done));
  if (stopping) return;
  stopping = true;
  wake_timer->cancel();
  maintenance_timer->cancel();
  if (!in_flight.empty())
    spdlog::info("inbox: stopping; {} activity(ies) being applied get up to {} to finish",
                 in_flight.size(), format_delay(drain));
  drain_timer->expires_after(drain);
  drain_timer->async_wait([this](boost::system::error_code ec) {
    if (!ec && !drained) asio::co_spawn(*strand, abandon_in_flight(), asio::detached);
  });
  maybe_finish_drain();
}

asio::awaitable<void> InboxWorker::Impl::abandon_in_flight() {
  std::vector<db::JobLease> leases;
  for (const auto& [id, lease] : in_flight) leases.push_back(lease);
  if (!leases.empty()) {
    try {
      const std::size_t released =
          co_await pool.run([&leases](pqxx::connection& c) { return db::release(c, leases); });
      outcomes.add({{"type", "other"}, {"outcome", "released"}}, double(released));
      spdlog::info("inbox: {} unfinished activity(ies) put back in the queue", released);
    } catch (const std::exception& e) {
      spdlog::warn(
          "inbox: unfinished activities not put back ({}); taken up again after their "
          "lease",
          e.what());
    }
  }
  finish_drain();
}

void InboxWorker::Impl::finish_drain() {
  if (drained) return;
  drained = true;
  drain_timer->cancel();
  for (auto& done : on_drained) done();
  on_drained.clear();
}

void InboxWorker::Impl::maybe_finish_drain() {
  if (stopping && !dispatcher_running && in_flight.empty()) finish_drain();
}

InboxWorker::InboxWorker(db::Pool& pool, Fetcher& fetcher, RemoteActors& actors,
                         core::MetricsRegistry& metrics, InboxOptions options,
                         std::function<void()> wake_delivery)
    : impl_(std::make_unique<Impl>(pool, fetcher, actors, metrics, std::move(options),
                                   std::move(wake_delivery))) {}

InboxWorker::~InboxWorker() = default;

void InboxWorker::start(asio::any_io_executor executor) {
  impl_->start(std::move(executor));
}

void InboxWorker::wake() {
  if (!impl_->strand) return;
  asio::post(*impl_->strand, [impl = impl_.get()] { impl->wake(); });
}

void InboxWorker::begin_shutdown(milliseconds drain, std::function<void()> done) {
  if (!impl_->strand) {
    if (done) done();
    return;
  }
  asio::post(*impl_->strand, [impl = impl_.get(), drain, done = std::move(done)]() mutable {
    impl->begin_shutdown(drain, std::move(done));
  });
}

}  // namespace kith::ap
