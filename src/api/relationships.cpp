// The signed-in user's relations to other accounts, as lists and as
// Relationship entities: GET /api/v1/accounts/relationships and
// /familiar_followers, the lists of mutes, blocks and endorsements, and
// the user's own server blocks, GET/POST/DELETE /api/v1/domain_blocks
// (Mastodon's accounts/relationships_controller.rb,
// familiar_followers_controller.rb, mutes_controller.rb,
// blocks_controller.rb, endorsements_controller.rb,
// domain_blocks_controller.rb and AfterBlockDomainFromAccountService).
//
// Lists page by their own row's id (the mute, the block), which clients
// only see in the Link header. Blocking a server ends the follows between
// the user and its accounts both ways (Undo{Follow} for ours, Reject for
// theirs, in the transaction that stores the block) and removes the
// notifications its accounts caused; its statuses then stay out of the
// user's timelines (client_views' kNotMuted) and its accounts cannot
// notify the user (create_notification).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/acct.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/entities.hpp"
#include "kith/db/local_actions.hpp"
#include "kith/db/relationships.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Most ids in one relationships or familiar_followers request, and most
// familiar followers shown per account.
constexpr std::size_t kMaxRelationshipIds = 40;
constexpr std::size_t kMaxFamiliarFollowers = 80;
// Mastodon's page sizes: accounts 40 (at most 80), domains 100 (200).
constexpr std::size_t kAccountPageDefault = 40;
constexpr std::size_t kAccountPageMax = 80;
constexpr std::size_t kDomainPageDefault = 100;
constexpr std::size_t kDomainPageMax = 200;
// Longest domain parameter read.
constexpr std::size_t kMaxDomainLength = 512;
// Most domains one user may block (more is 422).
constexpr std::size_t kMaxDomainBlocks = 1000;

// id[] of the request: distinct ids, in order, at most kMaxRelationshipIds.
std::vector<std::int64_t> requested_ids(const Params& params) {
  std::vector<std::int64_t> ids;
  for (const std::string& value : params.all("id")) {
    auto id = parse_id(value);
    if (!id || std::find(ids.begin(), ids.end(), *id) != ids.end()) continue;
    if (ids.size() >= kMaxRelationshipIds) break;
    ids.push_back(*id);
  }
  return ids;
}

// GET /api/v1/accounts/relationships?id[]=: one Relationship per known
// account, in the order asked; suspended accounts only with_suspended=true.
http::Handler relationships(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const std::vector<std::int64_t> ids = requested_ids(params);
    const bool with_suspended = parse_bool(params.first("with_suspended")).value_or(false);
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json out = json::array();
      auto known = db::account_views(tx, ids);
      for (std::int64_t id : ids) {
        auto it = known.find(id);
        if (it == known.end() || (it->second.suspended && !with_suspended)) continue;
        out.push_back(relationship_json(db::relationship(tx, caller.account_id, id)));
      }
      return out;
    });
    co_return json_ok(body);
  };
}

// GET /api/v1/accounts/familiar_followers?id[]=: [{id, accounts}] for each
// account that exists and is not suspended.
http::Handler familiar_followers(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const std::vector<std::int64_t> ids = requested_ids(std::get<Params>(parsed));
    const std::string& host = routes.context.config.host;
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json out = json::array();
      auto known = db::account_views(tx, ids);
      for (std::int64_t id : ids) {
        auto it = known.find(id);
        if (it == known.end() || it->second.suspended) continue;
        out.push_back(
            {{"id", std::to_string(id)},
             {"accounts",
              render_accounts(
                  tx, db::familiar_followers(tx, caller.account_id, id, kMaxFamiliarFollowers),
                  host)}});
      }
      return out;
    });
    co_return json_ok(body);
  };
}

// GET /api/v1/mutes, /blocks, /endorsements: accounts, paged by the row's
// id. Muted accounts carry mute_expires_at (Mastodon's
// MutedAccountSerializer).
enum class AccountList { mutes, blocks, endorsements };

http::Handler account_list(ApiRoutes& routes, AccountList which, std::string_view scope) {
  return [&routes, which, scope](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, scope);
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page =
        page_request(std::get<Params>(parsed), kAccountPageDefault, kAccountPageMax);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    json accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      const std::vector<db::AccountListEntry> entries =
          which == AccountList::mutes    ? db::mutes_page(tx, caller.account_id, page)
          : which == AccountList::blocks ? db::blocks_page(tx, caller.account_id, page)
                                         : db::endorsements_page(tx, caller.account_id, page);
      std::vector<std::int64_t> ids;
      for (const auto& entry : entries) {
        cursors.push_back(entry.cursor);
        ids.push_back(entry.account_id);
      }
      json out = render_accounts(tx, ids, host);
      if (which == AccountList::mutes) {
        for (json& account : out) {
          account["mute_expires_at"] = nullptr;
          for (const auto& entry : entries)
            if (std::to_string(entry.account_id) == account["id"] && !entry.expires_at.empty())
              account["mute_expires_at"] = entry.expires_at;
        }
      }
      return out;
    });
    http::Response response = json_ok(accounts);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

// GET /api/v1/domain_blocks: the blocked domains (strings), newest first.
http::Handler list_domain_blocks(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:blocks");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page =
        page_request(std::get<Params>(parsed), kDomainPageDefault, kDomainPageMax);
    std::vector<std::int64_t> cursors;
    json domains = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json out = json::array();
      for (const auto& entry : db::domain_blocks_page(tx, caller.account_id, page)) {
        cursors.push_back(entry.cursor);
        out.push_back(entry.domain);
      }
      return out;
    });
    http::Response response = json_ok(domains);
    set_link_header(response, routes.context.config.host, request.path, cursors, page.limit);
    co_return response;
  };
}

// The `domain` parameter, normalised as accounts.domain is (lower case,
// IDNA, host[:port]); an error response when it is missing, malformed or
// this server's own.
std::variant<std::string, http::Response> domain_param(const Params& params,
                                                       const std::string& our_host) {
  std::string domain = params.first("domain").value_or("");
  while (!domain.empty() && domain.front() == ' ') domain.erase(0, 1);
  while (!domain.empty() && domain.back() == ' ') domain.pop_back();
  if (domain.empty()) return http::error_response(400, "Domain is missing");
  if (domain.size() > kMaxDomainLength) return unprocessable("Domain is not a valid domain");
  auto normal = ap::normalize_authority(domain);
  if (!normal) return unprocessable("Domain is not a valid domain");
  auto ours = ap::normalize_authority(our_host);
  if (ours && normal.authority == ours.authority)
    return unprocessable("Domain is this server's own");
  return normal.authority;
}

// POST /api/v1/domain_blocks: block the domain, end the follows with its
// accounts both ways, clear their notifications. DELETE: unblock (the
// follows stay ended). Both answer {}.
http::Handler change_domain_block(ApiRoutes& routes, bool block) {
  return [&routes, block](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:blocks");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const std::string& host = routes.context.config.host;
    auto domain_or_error = domain_param(std::get<Params>(parsed), host);
    if (auto* error = std::get_if<http::Response>(&domain_or_error)) co_return std::move(*error);
    const std::string domain = std::get<std::string>(domain_or_error);
    const bool done = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      if (!block) {
        db::delete_domain_block(tx, caller.account_id, domain);
      } else if (!db::may_block_domain(tx, caller.account_id, domain, kMaxDomainBlocks)) {
        return false;
      } else if (db::insert_domain_block(tx, caller.account_id, domain)) {
        for (const db::FollowRow& follow : db::follows_with_domain(tx, caller.account_id, domain)) {
          if (follow.account_id == caller.account_id)
            ap::outbox::unfollow(tx, host, follow.id);
          else
            ap::outbox::reject_follow(tx, host, follow.id);
          db::delete_follow(tx, follow.id);
        }
        db::delete_notifications_from_domain(tx, caller.account_id, domain);
      }
      tx.commit();
      return true;
    });
    if (!done)
      co_return unprocessable("at most " + std::to_string(kMaxDomainBlocks) +
                              " domains can be blocked");
    if (block) routes.context.wake_delivery();
    co_return json_ok(json::object());
  };
}

}  // namespace

void add_relationship_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/accounts/relationships", relationships(routes));
  router.add("GET", "/api/v1/accounts/familiar_followers", familiar_followers(routes));
  router.add("GET", "/api/v1/mutes", account_list(routes, AccountList::mutes, "read:mutes"));
  router.add("GET", "/api/v1/blocks", account_list(routes, AccountList::blocks, "read:blocks"));
  router.add("GET", "/api/v1/endorsements",
             account_list(routes, AccountList::endorsements, "read:accounts"));
  router.add("GET", "/api/v1/domain_blocks", list_domain_blocks(routes));
  router.add("POST", "/api/v1/domain_blocks", change_domain_block(routes, true));
  router.add("DELETE", "/api/v1/domain_blocks", change_domain_block(routes, false));
}

}  // namespace kith::api
