// The scheduled-status worker: posts the statuses users scheduled
// (POST /api/v1/statuses with scheduled_at) when they fall due.
//
// The one idea: a scheduled status is a row of scheduled_statuses and a
// durable job of the "scheduled_status" queue due at its scheduled_at
// (db/scheduled_statuses.hpp). This worker claims due jobs the way the
// delivery and inbox workers do (db/jobs.hpp: FOR UPDATE SKIP LOCKED under
// a lease, so several daemons can share the queue) and posts each through
// the client API's own create path (post_status), in ONE transaction with
// the removal of the row and the job's completion: the status appears
// exactly once, or the job is taken up again after its lease. A row
// deleted meanwhile leaves nothing to post; parameters that no longer make
// a valid status (the author was suspended) fail the job and drop the row.
// What it must never do: post a status twice, or post one whose row is
// gone.
#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <functional>
#include <memory>

#include "kith/api/routes.hpp"

namespace kith::api {

class ScheduledStatusWorker {
 public:
  // Everything `context` refers to must outlive the worker. Destroy it
  // after the io_context it runs on has stopped and before that
  // io_context is destroyed.
  explicit ScheduledStatusWorker(ApiContext context);
  ~ScheduledStatusWorker();
  ScheduledStatusWorker(const ScheduledStatusWorker&) = delete;
  ScheduledStatusWorker& operator=(const ScheduledStatusWorker&) = delete;

  void start(boost::asio::any_io_executor executor);
  // Stops claiming; `done` runs once the status being posted (if any) is
  // finished. Claimed jobs not started are put back.
  void begin_shutdown(std::function<void()> done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace kith::api
