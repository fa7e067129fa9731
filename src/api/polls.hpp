// Polls in the client API: reading the poll of a new status from POST
// /api/v1/statuses parameters (statuses.cpp calls these), with Mastodon's
// limits. Internal to the api module.
#pragma once

#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>

#include "kith/api/params.hpp"
#include "kith/db/polls.hpp"

namespace kith::api {

// Mastodon's defaults (configuration.polls of the instance document).
inline constexpr std::size_t kMaxPollOptionCount = 4;
inline constexpr std::size_t kMaxPollOptionCharacters = 50;
inline constexpr std::int64_t kMinPollExpiresIn = 300;        // 5 minutes
inline constexpr std::int64_t kMaxPollExpiresIn = 2'629'746;  // a month

// True when the parameters carry a poll (poll[options][] or poll[...]).
bool has_poll(const Params& params);

// Reads poll[options][], poll[expires_in], poll[multiple] and
// poll[hide_totals] into `out`; returns the error to answer (422's
// message), or "" when they make a valid poll.
std::string read_new_poll(const Params& params, db::NewPoll& out);

// A JSON body's "poll" object, added to `params` as the form fields above
// (Params leaves objects out).
void add_json_poll(Params& params, const nlohmann::json& poll);

}  // namespace kith::api
