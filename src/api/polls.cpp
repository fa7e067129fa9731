// Polls (https://docs.joinmastodon.org/methods/polls/): GET /api/v1/polls/:id
// and POST /api/v1/polls/:id/votes, and reading a new status's poll
// (polls.hpp). A vote is refused, changing nothing, in one's own poll, in a
// poll that has ended, a second time, or with choices out of range (422, as
// Mastodon). A vote in a remote poll is sent to its author as one Create of
// a Note per choice, `name` the option's title, inReplyTo the Question (as
// Mastodon votes); the votes and their deliveries commit together.
#include "polls.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>
#include <set>

#include "client_support.hpp"
#include "kith/ap/poll_votes.hpp"
#include "kith/api/status_text.hpp"
#include "kith/db/notifications.hpp"
#include "kith/http/url.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Most choices read from one vote request (a poll has at most
// kMaxStatusViewPollOptions options shown).
constexpr std::size_t kMaxChoices = db::kMaxStatusViewPollOptions;

// The Poll entity of poll `poll_id`, as the status carrying it shows it to
// `viewer`; nullopt when the viewer may not see that status.
std::optional<json> render_poll(pqxx::transaction_base& tx, std::int64_t poll_id,
                                std::int64_t viewer, std::string_view host) {
  const auto rows = tx.exec_params("SELECT status_id FROM polls WHERE id = $1", poll_id);
  if (rows.empty()) return std::nullopt;
  auto status = render_status(tx, rows[0][0].as<std::int64_t>(), viewer, host);
  if (!status || !status->contains("poll") || (*status)["poll"].is_null()) return std::nullopt;
  return (*status)["poll"];
}

http::Handler get_poll(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto poll = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      db::close_expired_polls(tx, *id);  // its voters learn that it ended
      auto out = render_poll(tx, *id, viewer, host);
      tx.commit();
      return out;
    });
    if (!poll) co_return not_found();
    co_return json_ok(*poll);
  };
}

struct VoteOutcome {
  int status = 200;
  std::string error;
  json poll;
  bool delivered = false;
};

http::Handler vote(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    std::vector<int> choices;
    for (const std::string& value : std::get<Params>(parsed).all("choices")) {
      if (choices.size() >= kMaxChoices) co_return unprocessable("Too many choices");
      auto n = parse_id("1" + value);  // "0" is a valid choice: parse it shifted
      if (!n || value.empty() || value.size() > 4) co_return unprocessable("Choices are invalid");
      const int choice = std::stoi(value);
      if (std::find(choices.begin(), choices.end(), choice) == choices.end())
        choices.push_back(choice);
    }
    if (choices.empty()) co_return unprocessable("Choices can't be blank");
    const std::string& host = routes.context.config.host;
    VoteOutcome outcome = co_await routes.context.pool.run([&](pqxx::connection& c) {
      VoteOutcome out;
      pqxx::work tx(c);
      auto target = db::poll_target(tx, *id);
      if (!target || db::status_views(tx, {target->status_id}, caller.account_id).empty()) {
        out.status = 404;
        out.error = "Record not found";
        return out;
      }
      auto refuse = [&out](std::string message) {
        out.status = 422;
        out.error = "Validation failed: " + std::move(message);
        return out;
      };
      if (target->author_id == caller.account_id) return refuse("You cannot vote in your own poll");
      if (target->expired) return refuse("The poll has already ended");
      if (!target->multiple && choices.size() > 1)
        return refuse("You can only choose one option in this poll");
      for (int choice : choices)
        if (choice < 0 || static_cast<std::size_t>(choice) >= target->option_titles.size())
          return refuse("Choice is not one of the poll's options");
      if (db::has_voted(tx, target->poll_id, caller.account_id))
        return refuse("You have already voted on this poll");
      db::record_votes(tx, target->poll_id, caller.account_id, choices, {});
      if (!target->local)
        out.delivered = ap::send_poll_votes(tx, target->poll_id, caller.account_id) > 0;
      auto rendered = render_poll(tx, target->poll_id, caller.account_id, host);
      out.poll = rendered ? *rendered : json(nullptr);
      tx.commit();
      return out;
    });
    if (outcome.status != 200) co_return http::error_response(outcome.status, outcome.error);
    if (outcome.delivered) routes.context.wake_delivery();
    co_return json_ok(outcome.poll);
  };
}

}  // namespace

bool has_poll(const Params& params) {
  return !params.all("poll[options]").empty() || params.first("poll[expires_in]").has_value();
}

std::string read_new_poll(const Params& params, db::NewPoll& out) {
  const std::vector<std::string> options = params.all("poll[options]");
  if (options.size() < 2) return "Poll must have at least 2 options";
  if (options.size() > kMaxPollOptionCount)
    return "Poll can't contain more than " + std::to_string(kMaxPollOptionCount) + " options";
  std::set<std::string> seen;
  for (const std::string& option : options) {
    if (!http::valid_utf8(option)) return "Poll options are not valid UTF-8";
    if (option.find_first_not_of(" \t\r\n") == std::string::npos)
      return "Poll options can't be blank";
    if (count_characters(option) > kMaxPollOptionCharacters)
      return "Poll options can't be longer than " + std::to_string(kMaxPollOptionCharacters) +
             " characters";
    if (!seen.insert(option).second) return "Poll options must be unique";
  }
  const std::string expires = params.first("poll[expires_in]").value_or("");
  auto seconds = parse_id(expires);
  if (!seconds) return "Poll expiration is required and must be a number of seconds";
  if (*seconds < kMinPollExpiresIn) return "Poll duration must be at least 5 minutes";
  if (*seconds > kMaxPollExpiresIn) return "Poll duration can't be longer than a month";
  out.options = options;
  out.expires_in = *seconds;
  out.multiple = parse_bool(params.first("poll[multiple]")).value_or(false);
  out.hide_totals = parse_bool(params.first("poll[hide_totals]")).value_or(false);
  return "";
}

void add_json_poll(Params& params, const nlohmann::json& poll) {
  if (!poll.is_object()) return;
  auto text = [](const json& value) -> std::optional<std::string> {
    if (value.is_string()) return value.get<std::string>();
    if (value.is_boolean()) return std::string(value.get<bool>() ? "true" : "false");
    if (value.is_number()) return value.dump();
    return std::nullopt;
  };
  if (poll.contains("options") && poll["options"].is_array())
    for (const json& option : poll["options"])
      if (auto value = text(option)) params.add("poll[options]", *value);
  for (const char* name : {"expires_in", "multiple", "hide_totals"})
    if (poll.contains(name))
      if (auto value = text(poll[name])) params.add(std::string("poll[") + name + "]", *value);
}

void add_poll_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/polls/:id", get_poll(routes));
  router.add("POST", "/api/v1/polls/:id/votes", vote(routes));
}

}  // namespace kith::api
