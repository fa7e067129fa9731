// Moving and deleting the signed-in user's own account: aliases
// (alsoKnownAs), Move to another account, and Delete of the account
// (GoToSocial's /api/v1/accounts/alias, /move and /delete; Mastodon does
// these from its web settings only).
//
// The one idea: each change and the activity that tells other servers are
// written in ONE transaction (outbox.hpp), and the password is checked
// (argon2, on the pool's thread) before anything irreversible. A Move is
// believed by others only when the target lists this account in
// alsoKnownAs, so the target is fetched fresh and checked here first; the
// local followers move at once, through the same code as the inbox's Move
// (ap/move_followers.hpp).
// What it must never do: move or delete without the right password, or
// keep an account half-deleted (its Delete queued but the rows kept, or the
// other way round).
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/move_followers.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/db/users.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Most aliases one account may list (GoToSocial allows a handful too).
constexpr std::size_t kMaxAliases = 5;
// Longest alias or target uri and password looked at.
constexpr std::size_t kMaxUriLength = 2048;
constexpr std::size_t kMaxPasswordLength = 1024;

// The caller's actor uri and password hash, read together.
struct Self {
  std::string uri;
  std::string password_hash;
};

boost::asio::awaitable<std::optional<Self>> read_self(ApiRoutes& routes, const Caller& caller) {
  co_return co_await routes.context.pool.run([&caller](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    const pqxx::result rows = tx.exec_params(
        "SELECT a.uri, u.password_hash FROM users u JOIN accounts a ON a.id = u.account_id"
        " WHERE u.id = $1 AND a.id = $2",
        caller.user_id, caller.account_id);
    std::optional<Self> self;
    if (!rows.empty()) self = Self{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
    return self;
  });
}

// Whether `password` is the caller's; argon2 runs on the pool's thread.
boost::asio::awaitable<bool> password_matches(ApiRoutes& routes, const Self& self,
                                              const std::string& password) {
  if (password.empty() || password.size() > kMaxPasswordLength) co_return false;
  co_return co_await routes.context.pool.run([&self, &password](pqxx::connection&) {
    return db::verify_password(password, self.password_hash);
  });
}

http::Response wrong_password() {
  return http::error_response(403, "Invalid password");
}

http::Handler set_aliases(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const std::vector<std::string> wanted = std::get<Params>(parsed).all("also_known_as_uris");
    if (wanted.size() > kMaxAliases)
      co_return unprocessable("at most " + std::to_string(kMaxAliases) + " aliases are allowed");
    auto self = co_await read_self(routes, caller);
    if (!self) co_return not_found();
    json aliases = json::array();
    for (const std::string& uri : wanted) {
      if (uri.empty() || uri.size() > kMaxUriLength)
        co_return unprocessable("an alias is empty or too long");
      const auto account = co_await routes.context.actors.by_uri(uri);
      if (!account) co_return unprocessable("no account could be found at " + uri);
      if (account->id == caller.account_id)
        co_return unprocessable("an account cannot alias itself");
      if (std::find(aliases.begin(), aliases.end(), account->uri) == aliases.end())
        aliases.push_back(account->uri);
    }
    const std::string host = routes.context.config.host;
    const std::string text = aliases.dump();
    auto account = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      tx.exec_params(
          "UPDATE accounts SET also_known_as = $2::jsonb, updated_at = now() WHERE id = $1",
          caller.account_id, text);
      ap::outbox::update_actor(tx, host, caller.account_id);
      auto out = render_account(tx, caller.account_id, host);
      tx.commit();
      return out;
    });
    if (!account) co_return not_found();
    routes.context.wake_delivery();
    co_return json_ok(*account);
  };
}

http::Response accepted() {
  http::Response response = json_ok(json::object());
  response.status = 202;
  return response;
}

http::Handler move_account(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const std::string password = params.first("password").value_or("");
    const std::string target_uri = params.first("moved_to_uri").value_or("");
    if (password.empty()) co_return unprocessable("password is required");
    if (target_uri.empty() || target_uri.size() > kMaxUriLength)
      co_return unprocessable("moved_to_uri is required");
    auto self = co_await read_self(routes, caller);
    if (!self) co_return not_found();
    if (!co_await password_matches(routes, *self, password)) co_return wrong_password();
    const auto target = co_await routes.context.actors.by_uri(target_uri, ap::Refresh::always);
    if (!target) co_return unprocessable("the account to move to cannot be found");
    if (target->id == caller.account_id)
      co_return unprocessable("an account cannot move to itself");
    if (target->local())
      co_return unprocessable("moving to an account on this server is not supported");
    if (target->suspended) co_return unprocessable("the account to move to is suspended");
    if (std::find(target->also_known_as.begin(), target->also_known_as.end(), self->uri) ==
        target->also_known_as.end())
      co_return unprocessable("the account to move to does not list this account in alsoKnownAs");
    const std::string host = routes.context.config.host;
    const std::int64_t target_id = target->id;
    const std::string moved_to = target->uri;
    co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      tx.exec_params(
          "UPDATE accounts SET moved_to_account_id = $2, updated_at = now() WHERE id = $1",
          caller.account_id, target_id);
      // The Move goes to the followers as they are now; the local ones then
      // follow the target instead.
      ap::outbox::move(tx, host, caller.account_id, moved_to);
      ap::move_local_followers(tx, host, caller.account_id, target_id);
      tx.commit();
    });
    routes.context.wake_delivery();
    co_return accepted();
  };
}

http::Handler delete_account(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const std::string password = std::get<Params>(parsed).first("password").value_or("");
    if (password.empty()) co_return unprocessable("password is required");
    auto self = co_await read_self(routes, caller);
    if (!self) co_return not_found();
    if (!co_await password_matches(routes, *self, password)) co_return wrong_password();
    const std::string host = routes.context.config.host;
    co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      const std::int64_t id = caller.account_id;
      // Queued while the follows that choose its recipients still exist.
      ap::outbox::delete_actor(tx, host, id);
      // The same clean-up as a remote account's Delete{Person}
      // (db::delete_remote_account). Suspended, the account's actor answers
      // 410 and its user gets no token (db::find_login); users.disabled is
      // left alone, since a disabled account's actor answers 404 instead.
      tx.exec_params(
          "DELETE FROM statuses WHERE reblog_of_id IN (SELECT id FROM statuses WHERE account_id ="
          " $1) OR (account_id = $1 AND reblog_of_id IS NOT NULL)",
          id);
      tx.exec_params(
          "UPDATE statuses SET deleted_at = now(), content = '', spoiler_text = '',"
          " updated_at = now() WHERE account_id = $1 AND deleted_at IS NULL",
          id);
      tx.exec_params("DELETE FROM follows WHERE account_id = $1 OR target_account_id = $1", id);
      tx.exec_params("DELETE FROM favourites WHERE account_id = $1", id);
      tx.exec_params("DELETE FROM blocks WHERE account_id = $1 OR target_account_id = $1", id);
      tx.exec_params(
          "UPDATE accounts SET suspended_at = now(), updated_at = now()"
          " WHERE id = $1 AND suspended_at IS NULL",
          id);
      tx.commit();
    });
    routes.context.wake_delivery();
    co_return accepted();
  };
}

}  // namespace

void add_account_move_routes(http::Router& router, ApiRoutes& routes) {
  router.add("POST", "/api/v1/accounts/alias", set_aliases(routes));
  router.add("POST", "/api/v1/accounts/move", move_account(routes));
  router.add("POST", "/api/v1/accounts/delete", delete_account(routes));
}

}  // namespace kith::api
