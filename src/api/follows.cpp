// What a user does to another account: follow (with its reblogs, notify
// and languages options), unfollow, remove from followers, block, unblock,
// mute (for a while or for good), unmute, a private note, endorse (pin) and
// unendorse; and answering follow requests (Mastodon's
// accounts_controller.rb, accounts/notes_controller.rb, pins_controller.rb,
// follow_requests_controller.rb; FollowService, UnfollowService,
// BlockService, MuteService, AuthorizeFollowService, RejectFollowService).
//
// A follow of a local account that is not locked is accepted at once; of a
// locked one it waits for POST /follow_requests/:id/authorize; of a remote
// one it is pending until the remote server's Accept arrives (the inbox).
// Following again changes only the options given, and sends nothing.
// Blocking ends follows both ways. Mutes, notes and endorsements are
// private and never federate. Each change and its activity commit in one
// transaction; bad input changes nothing. Every answer is the Relationship
// entity.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/entities.hpp"
#include "kith/api/status_text.hpp"
#include "kith/db/follows.hpp"
#include "kith/db/local_actions.hpp"
#include "kith/db/relationships.hpp"
#include "kith/http/url.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Most languages[] of one follow; a private note's length (Mastodon's
// AccountNote::COMMENT_SIZE_LIMIT); the longest mute (100 years: longer is
// forever in all but name, and keeps the interval arithmetic small).
constexpr std::size_t kMaxFollowLanguages = 16;
constexpr std::size_t kMaxNoteCharacters = 2000;
constexpr std::int64_t kMaxMuteSeconds = 100LL * 365 * 24 * 3600;

enum class Outcome { ok, not_found, forbidden, unprocessable };

struct Result {
  Outcome outcome = Outcome::ok;
  json body;
  std::string error;  // for unprocessable
};

http::Response answer(Result result) {
  if (result.outcome == Outcome::not_found) return not_found();
  if (result.outcome == Outcome::forbidden)
    return http::error_response(403, "This action is not allowed");
  if (result.outcome == Outcome::unprocessable) return unprocessable(result.error);
  return json_ok(result.body);
}

// An action's outcome: ok, or an error (with the 422 message).
struct Done {
  Outcome outcome = Outcome::ok;
  std::string error;
  Done(Outcome o = Outcome::ok) : outcome(o) {}  // NOLINT: Outcome converts
  static Done invalid(std::string message) {
    Done d(Outcome::unprocessable);
    d.error = std::move(message);
    return d;
  }
};

// Removes the follow of `target_id` by `account_id`, if there is one,
// sending Undo{Follow} when the followee is remote.
void end_follow(pqxx::transaction_base& tx, const std::string& host, std::int64_t account_id,
                std::int64_t target_id) {
  if (auto follow = db::find_follow(tx, account_id, target_id)) {
    ap::outbox::unfollow(tx, host, follow->id);
    db::delete_follow(tx, follow->id);
  }
}

// Runs `action(tx, me, target)` for POST /api/v1/accounts/:id/<action>,
// answering the relationship afterwards.
template <class Action>
boost::asio::awaitable<http::Response> account_action(ApiRoutes& routes, http::Request& request,
                                                      std::string_view scope, Action action) {
  auto auth = co_await authenticate(routes, request, scope);
  if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
  const Caller caller = std::get<Caller>(auth);
  auto id = parse_id(request.params["id"]);
  if (!id) co_return not_found();
  auto parsed = read_params(request);
  if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
  const Params& params = std::get<Params>(parsed);
  const std::string& host = routes.context.config.host;
  Result result = co_await routes.context.pool.run([&](pqxx::connection& c) {
    Result out;
    pqxx::work tx(c);
    auto me = db::account_ref(tx, caller.account_id);
    auto target = db::account_ref(tx, *id);
    if (!me || !target || target->suspended) {
      out.outcome = Outcome::not_found;
      return out;
    }
    if (target->id == me->id) {
      out.outcome = Outcome::forbidden;
      return out;
    }
    Done done = action(tx, host, *me, *target, params);
    out.outcome = done.outcome;
    out.error = std::move(done.error);
    if (out.outcome != Outcome::ok) return out;
    out.body = relationship_json(db::relationship(tx, me->id, target->id));
    tx.commit();
    return out;
  });
  if (result.outcome == Outcome::ok) routes.context.wake_delivery();
  co_return answer(std::move(result));
}

// The options of a follow request: reblogs, notify and languages[], each
// only when given. An error message for a bad one.
std::optional<std::string> follow_options(const Params& params, db::FollowOptions& options) {
  options.show_reblogs = parse_bool(params.first("reblogs"));
  if (params.first("reblogs") && !options.show_reblogs) return "Reblogs is not a boolean";
  options.notify = parse_bool(params.first("notify"));
  if (params.first("notify") && !options.notify) return "Notify is not a boolean";
  const std::vector<std::string> languages = params.all("languages");
  if (!languages.empty()) {
    if (languages.size() > kMaxFollowLanguages) return "Languages are too many";
    options.languages.emplace();
    for (std::string code : languages) {
      std::transform(code.begin(), code.end(), code.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (code.empty()) continue;  // languages[]= alone: every language
      if (code.size() < 2 || code.size() > 3 ||
          !std::all_of(code.begin(), code.end(), [](char c) { return c >= 'a' && c <= 'z'; }))
        return "Languages contains an unsupported language";
      if (std::find(options.languages->begin(), options.languages->end(), code) ==
          options.languages->end())
        options.languages->push_back(code);
    }
  }
  return std::nullopt;
}

Done do_follow(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
               const db::AccountRef& target, const Params& params) {
  db::FollowOptions options;
  if (auto error = follow_options(params, options)) return Done::invalid(*error);
  if (db::find_block(tx, me.id, target.id) || db::find_block(tx, target.id, me.id))
    return Outcome::forbidden;
  if (auto existing = db::find_follow(tx, me.id, target.id)) {
    // Already following (or requested): only the options change.
    db::update_follow_options(tx, existing->id, options);
    return Outcome::ok;
  }
  const std::int64_t follow_id = db::next_id(tx);
  const bool accepted = target.local() && !target.locked;
  if (db::insert_local_follow(
          tx, follow_id, me.id, target.id, ap::urls::follow_activity(me.uri, follow_id), accepted,
          options.show_reblogs.value_or(true), options.notify.value_or(false))) {
    db::update_follow_options(tx, follow_id, options);
    ap::outbox::follow(tx, host, follow_id);
  } else if (auto raced = db::find_follow(tx, me.id, target.id)) {
    // A concurrent request followed first and queued the Follow.
    db::update_follow_options(tx, raced->id, options);
  }
  return Outcome::ok;
}

Done do_unfollow(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
                 const db::AccountRef& target, const Params&) {
  end_follow(tx, host, me.id, target.id);
  return Outcome::ok;
}

// Rejects the follow (or follow request) of `follower` of `followed`, if
// there is one: Reject{Follow} to a remote follower.
void reject_their_follow(pqxx::transaction_base& tx, const std::string& host, std::int64_t follower,
                         std::int64_t followed) {
  if (auto theirs = db::find_follow(tx, follower, followed)) {
    ap::outbox::reject_follow(tx, host, theirs->id);
    db::delete_follow(tx, theirs->id);
  }
}

// POST /accounts/:id/remove_from_followers (Mastodon 3.5).
Done do_remove_from_followers(pqxx::transaction_base& tx, const std::string& host,
                              const db::AccountRef& me, const db::AccountRef& target,
                              const Params&) {
  reject_their_follow(tx, host, target.id, me.id);
  return Outcome::ok;
}

Done do_block(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
              const db::AccountRef& target, const Params&) {
  if (db::find_block(tx, me.id, target.id)) return Outcome::ok;
  // Blocking ends both follows: ours with Undo{Follow}, theirs with a
  // Reject of their Follow (Mastodon's BlockService through
  // UnfollowService), before the Block itself.
  end_follow(tx, host, me.id, target.id);
  reject_their_follow(tx, host, target.id, me.id);
  const std::int64_t block_id = db::next_id(tx);
  db::insert_local_block(tx, block_id, me.id, target.id,
                         ap::urls::block_activity(me.uri, block_id));
  ap::outbox::block(tx, host, block_id);
  return Outcome::ok;
}

Done do_unblock(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
                const db::AccountRef& target, const Params&) {
  if (auto block = db::find_block(tx, me.id, target.id)) {
    ap::outbox::unblock(tx, host, block->id);
    db::delete_block(tx, block->id);
  }
  return Outcome::ok;
}

// POST /accounts/:id/mute: notifications (default true), duration in
// seconds (0 or absent: until unmuted). Muting again changes both.
Done do_mute(pqxx::transaction_base& tx, const std::string&, const db::AccountRef& me,
             const db::AccountRef& target, const Params& params) {
  const auto notifications_text = params.first("notifications");
  const auto notifications = parse_bool(notifications_text);
  if (notifications_text && !notifications) return Done::invalid("Notifications is not a boolean");
  std::optional<std::int64_t> duration;
  if (auto text = params.first("duration"); text && !text->empty() && *text != "0") {
    auto seconds = parse_id(*text);
    if (!seconds) return Done::invalid("Duration is not a number of seconds");
    duration = std::min(*seconds, kMaxMuteSeconds);
  }
  db::mute_account(tx, me.id, target.id, notifications.value_or(true), duration);
  return Outcome::ok;
}

Done do_unmute(pqxx::transaction_base& tx, const std::string&, const db::AccountRef& me,
               const db::AccountRef& target, const Params&) {
  db::unmute_account(tx, me.id, target.id);
  return Outcome::ok;
}

// POST /accounts/:id/note: comment ("" or absent removes the note).
Done do_note(pqxx::transaction_base& tx, const std::string&, const db::AccountRef& me,
             const db::AccountRef& target, const Params& params) {
  const std::string comment = params.first("comment").value_or("");
  if (!http::valid_utf8(comment) || count_characters(comment) > kMaxNoteCharacters)
    return Done::invalid("Comment is too long (maximum is 2000 characters)");
  db::set_account_note(tx, me.id, target.id, comment);
  return Outcome::ok;
}

// POST /accounts/:id/pin: only an account one follows may be endorsed.
Done do_endorse(pqxx::transaction_base& tx, const std::string&, const db::AccountRef& me,
                const db::AccountRef& target, const Params&) {
  auto follow = db::find_follow(tx, me.id, target.id);
  if (!follow || !follow->accepted)
    return Done::invalid("You must be already following the person you want to endorse");
  db::endorse_account(tx, me.id, target.id);
  return Outcome::ok;
}

Done do_unendorse(pqxx::transaction_base& tx, const std::string&, const db::AccountRef& me,
                  const db::AccountRef& target, const Params&) {
  db::unendorse_account(tx, me.id, target.id);
  return Outcome::ok;
}

http::Handler account_handler(ApiRoutes& routes, std::string_view scope,
                              Done (*action)(pqxx::transaction_base&, const std::string&,
                                             const db::AccountRef&, const db::AccountRef&,
                                             const Params&)) {
  return
      [&routes, scope, action](http::Request& request) -> boost::asio::awaitable<http::Response> {
        return account_action(routes, request, scope, action);
      };
}

http::Handler list_follow_requests(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed), 40, 80);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    json accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      std::vector<std::int64_t> ids;
      for (const auto& entry : db::follow_requests_page(tx, caller.account_id, page)) {
        cursors.push_back(entry.cursor);
        ids.push_back(entry.account_id);
      }
      return render_accounts(tx, ids, host);
    });
    http::Response response = json_ok(accounts);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

// authorize / reject the follow request of account :id.
http::Handler answer_follow_request(ApiRoutes& routes, bool accept) {
  return [&routes, accept](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    Result result = co_await routes.context.pool.run([&](pqxx::connection& c) {
      Result out;
      pqxx::work tx(c);
      auto follow = db::find_follow(tx, *id, caller.account_id);
      if (!follow || follow->accepted) {
        out.outcome = Outcome::not_found;
        return out;
      }
      if (accept) {
        db::accept_follow_row(tx, follow->id);
        ap::outbox::accept_follow(tx, host, follow->id);
      } else {
        ap::outbox::reject_follow(tx, host, follow->id);
        db::delete_follow(tx, follow->id);
      }
      out.body = relationship_json(db::relationship(tx, caller.account_id, *id));
      tx.commit();
      return out;
    });
    if (result.outcome == Outcome::ok) routes.context.wake_delivery();
    co_return answer(std::move(result));
  };
}

}  // namespace

void add_follow_routes(http::Router& router, ApiRoutes& routes) {
  router.add("POST", "/api/v1/accounts/:id/follow",
             account_handler(routes, "write:follows", do_follow));
  router.add("POST", "/api/v1/accounts/:id/unfollow",
             account_handler(routes, "write:follows", do_unfollow));
  router.add("POST", "/api/v1/accounts/:id/block",
             account_handler(routes, "write:blocks", do_block));
  router.add("POST", "/api/v1/accounts/:id/unblock",
             account_handler(routes, "write:blocks", do_unblock));
  router.add("POST", "/api/v1/accounts/:id/remove_from_followers",
             account_handler(routes, "write:follows", do_remove_from_followers));
  router.add("POST", "/api/v1/accounts/:id/mute", account_handler(routes, "write:mutes", do_mute));
  router.add("POST", "/api/v1/accounts/:id/unmute",
             account_handler(routes, "write:mutes", do_unmute));
  router.add("POST", "/api/v1/accounts/:id/note",
             account_handler(routes, "write:accounts", do_note));
  router.add("POST", "/api/v1/accounts/:id/pin",
             account_handler(routes, "write:accounts", do_endorse));
  router.add("POST", "/api/v1/accounts/:id/unpin",
             account_handler(routes, "write:accounts", do_unendorse));
  router.add("GET", "/api/v1/follow_requests", list_follow_requests(routes));
  router.add("POST", "/api/v1/follow_requests/:id/authorize", answer_follow_request(routes, true));
  router.add("POST", "/api/v1/follow_requests/:id/reject", answer_follow_request(routes, false));
}

}  // namespace kith::api
