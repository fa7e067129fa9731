// Following and blocking other accounts, and answering follow requests
// (Mastodon's accounts_controller.rb follow/unfollow/block/unblock,
// follow_requests_controller.rb; FollowService, UnfollowService,
// BlockService, AuthorizeFollowService, RejectFollowService).
//
// A follow of a local account that is not locked is accepted at once; of a
// locked one it waits for POST /follow_requests/:id/authorize; of a remote
// one it is pending until the remote server's Accept arrives (the inbox).
// Blocking ends follows both ways. Each change and its activity commit in
// one transaction. Every answer is the Relationship entity.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/entities.hpp"
#include "kith/db/local_actions.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

enum class Outcome { ok, not_found, forbidden };

struct Result {
  Outcome outcome = Outcome::ok;
  json body;
};

http::Response answer(Result result) {
  if (result.outcome == Outcome::not_found) return not_found();
  if (result.outcome == Outcome::forbidden)
    return http::error_response(403, "This action is not allowed");
  return json_ok(result.body);
}

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
    out.outcome = action(tx, host, *me, *target, params);
    if (out.outcome != Outcome::ok) return out;
    out.body = relationship_json(db::relationship(tx, me->id, target->id));
    tx.commit();
    return out;
  });
  if (result.outcome == Outcome::ok) routes.context.wake_delivery();
  co_return answer(std::move(result));
}

Outcome do_follow(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
                  const db::AccountRef& target, const Params& params) {
  if (db::find_block(tx, me.id, target.id) || db::find_block(tx, target.id, me.id))
    return Outcome::forbidden;
  const bool reblogs = parse_bool(params.first("reblogs")).value_or(true);
  const bool notify = parse_bool(params.first("notify")).value_or(false);
  if (auto existing = db::find_follow(tx, me.id, target.id)) {
    db::set_follow_options(tx, existing->id, reblogs, notify);
    return Outcome::ok;
  }
  const std::int64_t follow_id = db::next_id(tx);
  const bool accepted = target.local() && !target.locked;
  if (db::insert_local_follow(tx, follow_id, me.id, target.id,
                              ap::urls::follow_activity(me.uri, follow_id), accepted, reblogs,
                              notify)) {
    ap::outbox::follow(tx, host, follow_id);
  } else if (auto raced = db::find_follow(tx, me.id, target.id)) {
    // A concurrent request followed first and queued the Follow.
    db::set_follow_options(tx, raced->id, reblogs, notify);
  }
  return Outcome::ok;
}

Outcome do_unfollow(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
                    const db::AccountRef& target, const Params&) {
  end_follow(tx, host, me.id, target.id);
  return Outcome::ok;
}

Outcome do_block(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
                 const db::AccountRef& target, const Params&) {
  if (db::find_block(tx, me.id, target.id)) return Outcome::ok;
  // Blocking ends both follows: ours with Undo{Follow}, theirs with a
  // Reject of their Follow (Mastodon's BlockService through
  // UnfollowService), before the Block itself.
  end_follow(tx, host, me.id, target.id);
  if (auto theirs = db::find_follow(tx, target.id, me.id)) {
    ap::outbox::reject_follow(tx, host, theirs->id);
    db::delete_follow(tx, theirs->id);
  }
  const std::int64_t block_id = db::next_id(tx);
  db::insert_local_block(tx, block_id, me.id, target.id,
                         ap::urls::block_activity(me.uri, block_id));
  ap::outbox::block(tx, host, block_id);
  return Outcome::ok;
}

Outcome do_unblock(pqxx::transaction_base& tx, const std::string& host, const db::AccountRef& me,
                   const db::AccountRef& target, const Params&) {
  if (auto block = db::find_block(tx, me.id, target.id)) {
    ap::outbox::unblock(tx, host, block->id);
    db::delete_block(tx, block->id);
  }
  return Outcome::ok;
}

http::Handler account_handler(ApiRoutes& routes, std::string_view scope,
                              Outcome (*action)(pqxx::transaction_base&, const std::string&,
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
  router.add("GET", "/api/v1/follow_requests", list_follow_requests(routes));
  router.add("POST", "/api/v1/follow_requests/:id/authorize", answer_follow_request(routes, true));
  router.add("POST", "/api/v1/follow_requests/:id/reject", answer_follow_request(routes, false));
}

}  // namespace kith::api
