// The scheduled-status worker (kith/api/scheduled_status_worker.hpp): one
// coroutine on a strand claims due jobs of the "scheduled_status" queue a
// few at a time, posts them one after the other, and looks again every
// kIdlePoll when nothing is due.
#include "kith/api/scheduled_status_worker.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <optional>
#include <pqxx/pqxx>
#include <utility>

#include "kith/db/jobs.hpp"
#include "kith/db/scheduled_statuses.hpp"
#include "status_posting.hpp"

namespace kith::api {

namespace asio = boost::asio;
using std::chrono::milliseconds;

namespace {

constexpr auto kTuple = asio::as_tuple(asio::use_awaitable);
// How often the queue is looked at when nothing is due: a status is posted
// at most this late.
constexpr milliseconds kIdlePoll{1'000};
// Jobs claimed at once (posted one after the other).
constexpr std::size_t kClaimBatch = 8;
// Longer than posting one status can take: resolving its mentions (a few
// WebFinger and actor fetches) and one transaction.
constexpr milliseconds kLease{300'000};
// After an error that is not the status's fault (the database went away).
constexpr milliseconds kRetryDelay{30'000};

}  // namespace

struct ScheduledStatusWorker::Impl {
  explicit Impl(ApiContext ctx) : context(ctx) {}

  ApiContext context;
  std::optional<asio::strand<asio::any_io_executor>> strand;
  std::optional<asio::steady_timer> timer;
  bool stopping = false;
  bool running = false;
  std::function<void()> on_stopped;

  asio::awaitable<void> loop();
  asio::awaitable<void> publish(const db::ClaimedJob& job);
  void stopped() {
    running = false;
    if (on_stopped) std::exchange(on_stopped, nullptr)();
  }
};

asio::awaitable<void> ScheduledStatusWorker::Impl::loop() {
  while (!stopping) {
    std::vector<db::ClaimedJob> batch;
    try {
      db::ClaimRequest request;
      request.queue = std::string(db::kScheduledStatusQueue);
      request.limit = kClaimBatch;
      request.lease = kLease;
      batch = co_await context.pool.run(
          [&request](pqxx::connection& c) { return db::claim(c, request); });
    } catch (const std::exception& e) {
      spdlog::debug("scheduled statuses: cannot claim jobs: {}", e.what());
    }
    std::size_t next = 0;
    for (; next < batch.size() && !stopping; ++next) co_await publish(batch[next]);
    if (next < batch.size()) {
      std::vector<db::JobLease> leases;
      for (; next < batch.size(); ++next) leases.push_back(batch[next].lease);
      try {
        co_await context.pool.run(
            [&leases](pqxx::connection& c) { return db::release(c, leases); });
      } catch (const std::exception& e) {
        spdlog::debug("scheduled statuses: jobs not put back ({}), taken up after their lease",
                      e.what());
      }
    }
    if (stopping) break;
    if (batch.empty()) {
      timer->expires_after(kIdlePoll);
      co_await timer->async_wait(kTuple);
    }
  }
  stopped();
}

asio::awaitable<void> ScheduledStatusWorker::Impl::publish(const db::ClaimedJob& job) {
  const db::JobLease lease = job.lease;
  std::string error;
  try {
    const std::optional<std::int64_t> id = db::scheduled_status_of_payload(job.payload);
    if (!id) {
      co_await context.pool.run(
          [&lease](pqxx::connection& c) { return db::fail(c, lease, "malformed payload"); });
      co_return;
    }
    const std::int64_t scheduled_id = *id;
    auto row = co_await context.pool.run([&scheduled_id](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::find_scheduled_status(tx, scheduled_id, std::nullopt);
    });
    if (!row) {  // cancelled while this job was claimed
      co_await context.pool.run([&lease](pqxx::connection& c) { return db::complete(c, lease); });
      co_return;
    }
    // The status, the row's removal and the job's completion commit
    // together; a row deleted meanwhile (or a lost lease) rolls back.
    const AlsoInTransaction finish = [&scheduled_id, &lease](pqxx::transaction_base& tx) {
      if (!db::find_scheduled_status(tx, scheduled_id, std::nullopt, true)) return false;
      db::delete_scheduled_status(tx, scheduled_id);
      return db::complete(tx, lease);
    };
    Params params = params_of_scheduled(row->params);
    PostOutcome posted = co_await post_status(context, row->account_id, params, finish);
    if (posted.http_status == 404 && params.first("in_reply_to_id")) {
      // The status it answered is gone or hidden now: posted on its own,
      // as Mastodon's PublishScheduledStatusWorker does.
      params = params_of_scheduled(row->params, false);
      posted = co_await post_status(context, row->account_id, params, finish);
    }
    if (posted.status_id != 0) {
      spdlog::debug("scheduled status {} posted as {}", scheduled_id, posted.status_id);
      co_return;
    }
    if (posted.http_status == 409) {  // the row went away, or the lease did
      co_await context.pool.run([&lease](pqxx::connection& c) { return db::complete(c, lease); });
      co_return;
    }
    // No longer a valid status: it never will be.
    const std::string reason = posted.error;
    co_await context.pool.run([&](pqxx::connection& c) {
      {
        pqxx::work tx(c);
        db::delete_scheduled_status(tx, scheduled_id);
        tx.commit();
      }
      return db::fail(c, lease, reason);
    });
    spdlog::info("scheduled status {} not posted: {}", scheduled_id, reason);
    co_return;
  } catch (const std::exception& e) {
    error = e.what();
  }
  // No co_await in a catch block.
  try {
    co_await context.pool.run(
        [&](pqxx::connection& c) { return db::retry(c, lease, kRetryDelay, error); });
  } catch (const std::exception&) {
    // Taken up again after its lease.
  }
  spdlog::info("scheduled status job {}: {} (retrying)", lease.id, error);
}

ScheduledStatusWorker::ScheduledStatusWorker(ApiContext context)
    : impl_(std::make_unique<Impl>(context)) {}

ScheduledStatusWorker::~ScheduledStatusWorker() = default;

void ScheduledStatusWorker::start(asio::any_io_executor executor) {
  impl_->strand.emplace(asio::make_strand(executor));
  impl_->timer.emplace(*impl_->strand);
  impl_->running = true;
  asio::co_spawn(*impl_->strand, impl_->loop(), asio::detached);
}

void ScheduledStatusWorker::begin_shutdown(std::function<void()> done) {
  Impl* impl = impl_.get();
  if (!impl->strand) {
    done();
    return;
  }
  asio::post(*impl->strand, [impl, done = std::move(done)]() mutable {
    impl->stopping = true;
    if (!impl->running) {
      done();
      return;
    }
    impl->on_stopped = std::move(done);
    impl->timer->cancel();
  });
}

}  // namespace kith::api
