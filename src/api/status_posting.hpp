// Posting a status, shared by POST /api/v1/statuses (statuses.cpp) and the
// scheduled-status worker (scheduled_status_worker.cpp), so that a status
// posted later goes through exactly the checks and writes of one posted
// now; and scheduling one (scheduled_statuses.cpp), which create calls
// when the request has scheduled_at. Internal to the api module.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <functional>
#include <string>

#include "client_support.hpp"

namespace kith::api {

// What became of a post: the new status's id, or the HTTP status and
// message of the refusal (422 for bad parameters, 404 for a reply to a
// status its author may not see).
struct PostOutcome {
  std::int64_t status_id = 0;
  int http_status = 200;
  std::string error;
};

// Runs inside the post's transaction after the status is written; false
// rolls the whole post back (the scheduled-status worker completes its job
// here, so the status and the job's completion commit together).
using AlsoInTransaction = std::function<bool(pqxx::transaction_base&)>;

// Posts a status of `account_id` from the parameters of POST
// /api/v1/statuses (status, spoiler_text, visibility, in_reply_to_id...,
// never scheduled_at): checked, mentions resolved (network work, before
// the transaction), then the status, its mentions and hashtags and its
// Create activity written in one transaction. Wakes the delivery queue
// after the commit. A refusal changes nothing.
boost::asio::awaitable<PostOutcome> post_status(ApiContext& context, std::int64_t account_id,
                                                const Params& params,
                                                const AlsoInTransaction& also = {});

// POST /api/v1/statuses with scheduled_at, once the parameters were found
// to make a valid status: the ScheduledStatus entity, or 422. The request's
// Idempotency-Key ("" for none) is kept in its params.
boost::asio::awaitable<http::Response> schedule_status(ApiRoutes& routes, const Caller& caller,
                                                       const Params& params,
                                                       const std::string& scheduled_at,
                                                       const std::string& idempotency_key);

// The create parameters kept in a scheduled status's `params` (JSON text),
// as POST /api/v1/statuses would have read them; without in_reply_to_id
// unless `keep_reply`.
Params params_of_scheduled(const std::string& params_json, bool keep_reply = true);

}  // namespace kith::api
