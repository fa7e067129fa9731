// The inbox worker: other servers' accepted activities, applied to kith's
// database.
//
// The one idea: the HTTP side (inbox.hpp) only proves who sent an activity
// and stores it as a job of the "inbox" queue; this worker claims those
// jobs (db/jobs.hpp: FOR UPDATE SKIP LOCKED under a lease, as the
// DeliveryQueue does), decides what each activity means and whether it is
// true (inbox_rules.hpp: an actor is believed about its own origin only;
// other objects are fetched from theirs), and writes its effects in ONE
// transaction together with the job's completion. So an activity is applied
// entirely or not at all; a crash mid-way leaves the job to be reclaimed
// after its lease; a worker that lost its lease commits nothing; and
// because every row an activity makes keeps its id in a UNIQUE uri, the same
// activity applied twice (a replay, a second job for it) changes nothing.
// Outcomes:
//   applied  the effects and 'done' commit together
//   ignored  true but irrelevant here (a Like of a remote status, a post
//            nobody here follows): 'done', nothing written
//   invalid  false or malformed (a bad origin, an unknown type, a payload of
//            the wrong shape): 'failed' with last_error, never retried
//   retry    undecidable now (the database is away, a remote server did not
//            answer): queued again with the delivery queue's backoff, failed
//            once the job is kInboxGiveUpAfter old
// The handlers, one file per family, are src/ap/apply_*.cpp; their database
// writes are db/inbound.hpp.
// What it must never do: believe an embedded object on another origin than
// its actor, change a row that is not the actor's, apply part of an
// activity, or retry for ever.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "kith/core/config.hpp"
#include "kith/core/metrics.hpp"

namespace kith::db {
class Pool;
}

namespace kith::ap {

class Fetcher;
class RemoteActors;

// An activity that still cannot be applied this long after it arrived is
// failed (Mastodon's ActivityPub::ProcessingWorker retries for about a day).
inline constexpr std::chrono::hours kInboxGiveUpAfter{24};
// Most fetches one activity may need (actor, object, the object's author),
// each bounded by federation.request_timeout: the lease covers them all.
inline constexpr int kMaxFetchesPerActivity = 3;

struct InboxOptions {
  unsigned workers = 4;  // activities applied at once; 0: none on this daemon
  std::chrono::milliseconds lease{300'000};
  std::chrono::milliseconds give_up_after{kInboxGiveUpAfter};
  std::chrono::milliseconds idle_poll{2'000};  // how often an idle queue is looked at
  std::string host;                            // this server's authority
};

// inbox.workers, and a lease longer than kMaxFetchesPerActivity requests
// plus the database waits.
InboxOptions inbox_options_from_config(const core::Config& config);

class InboxWorker {
 public:
  // Registers the kith_inbox_* metrics. Everything passed in must outlive
  // the worker. `wake_delivery` is called after a commit that queued
  // deliveries (an Accept, a moved Follow). Destroy it after the io_context
  // it runs on has stopped and before that io_context is destroyed.
  InboxWorker(db::Pool& pool, Fetcher& fetcher, RemoteActors& actors,
              core::MetricsRegistry& metrics, InboxOptions options,
              std::function<void()> wake_delivery);
  ~InboxWorker();
  InboxWorker(const InboxWorker&) = delete;
  InboxWorker& operator=(const InboxWorker&) = delete;

  // Starts the workers on `executor` (an io_context's). Call once.
  void start(boost::asio::any_io_executor executor);
  // Jobs were just committed (by the inbox's HTTP side): look now. Thread-safe.
  void wake();
  // Stops claiming; lets activities being applied finish for up to `drain`;
  // then puts the unfinished ones back in the queue (nothing of theirs was
  // committed) and calls `done`, once, from an I/O thread. Without start(),
  // calls `done` at once.
  void begin_shutdown(std::chrono::milliseconds drain, std::function<void()> done);

  struct Impl;

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace kith::ap
