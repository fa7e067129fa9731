// GET /api/v2/search: accounts and statuses by handle or URL (Mastodon's
// app/controllers/api/v2/search_controller.rb, SearchService,
// ResolveURLService, ResolveAccountService).
//
//   q = @user@host or user@host -> the account, from the database or, with
//       resolve=true, through WebFinger (RemoteActors::by_acct);
//   q = an https URL -> the account or status with that id or URL in the
//       database, or with resolve=true the document fetched from its origin
//       (Fetcher): an actor or a status (Note, Question...) is stored, the
//       way the inbox stores them, and returned if the caller may see it.
// Not yet: full-text and hashtag search (hashtags is always []).
// Resolving needs a signed-in user, as in Mastodon: anonymous callers get
// what the database has.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/acct.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/inbox_rules.hpp"
#include "kith/db/inbound.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

constexpr std::size_t kMaxQueryLength = 2048;

// A status fetched from its origin (Fetcher checked that its id is the URL
// that answered), stored the way the inbox stores a Create's object: only
// when its author is a remote actor on the same origin, with its HTML
// sanitised (inbox::status_from_object) and its mentions linked to accounts
// kith already knows. The id of the stored (or already known) status.
boost::asio::awaitable<std::optional<std::int64_t>> store_fetched_status(ApiRoutes& routes,
                                                                         const ap::Object& object) {
  std::optional<std::int64_t> none;
  if (!ap::inbox::is_status_type(object.type) || object.attributed_to.empty() ||
      ap::inbox::authorship_error(object, object.attributed_to))
    co_return none;
  auto author = co_await routes.context.actors.by_uri(object.attributed_to);
  if (!author || author->local() || author->suspended) co_return none;
  std::string error;
  auto status = ap::inbox::status_from_object(object, author->id, author->followers_url, error);
  if (!status) co_return none;
  const ap::inbox::NamedAccounts named = ap::inbox::named_accounts(object, author->followers_url);
  co_return co_await routes.context.pool.run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    for (const std::string& uri : named.mentioned)
      if (auto id = db::account_id_by_uri(tx, uri)) status->mentioned_account_ids.push_back(*id);
    for (const std::string& uri : named.addressed)
      if (auto id = db::account_id_by_uri(tx, uri)) status->silent_account_ids.push_back(*id);
    const db::StoredStatus stored = db::insert_remote_status(tx, *status);
    tx.commit();
    return std::optional<std::int64_t>(stored.id);
  });
}

http::Handler search(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:search");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::optional<Caller> caller = std::get<std::optional<Caller>>(auth);
    const std::int64_t viewer = caller ? caller->account_id : 0;
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    std::string q = params.first("q").value_or("");
    while (!q.empty() && q.front() == ' ') q.erase(0, 1);
    while (!q.empty() && q.back() == ' ') q.pop_back();
    if (q.size() > kMaxQueryLength) co_return unprocessable("Query is too long");
    const std::string type = params.first("type").value_or("");
    const bool resolve = caller && parse_bool(params.first("resolve")).value_or(false);
    const bool want_accounts = type.empty() || type == "accounts";
    const bool want_statuses = type.empty() || type == "statuses";
    const std::string& host = routes.context.config.host;

    std::optional<std::int64_t> account_id, status_id;
    const bool is_url = q.starts_with("https://") || q.starts_with("http://");
    std::string username, domain;
    if (!is_url && q.find('@', 1) != std::string::npos) {
      if (auto handle = ap::parse_acct(q)) {
        username = handle.acct->user;
        domain = handle.acct->host;
        auto ours = ap::normalize_authority(host);
        if (ours && domain == ours.authority) domain.clear();
      }
    } else if (!is_url && !q.empty()) {
      username = q.front() == '@' ? q.substr(1) : q;  // a local username
    }

    co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      if (is_url) {
        if (want_accounts) account_id = db::account_id_by_uri(tx, q);
        if (want_statuses) status_id = db::status_id_by_uri(tx, q);
      } else if (!username.empty() && want_accounts) {
        account_id = db::account_id_by_acct(tx, username, domain);
      }
      return 0;
    });

    if (resolve && !account_id && !status_id) {
      if (!is_url && !domain.empty() && want_accounts) {
        if (auto remote = co_await routes.context.actors.by_acct(username, domain))
          account_id = remote->id;
      } else if (is_url && q.starts_with("https://")) {
        ap::FetchResult fetched = co_await routes.context.fetcher.fetch(q);
        if (fetched && fetched.document->kind() == ap::Kind::actor && want_accounts) {
          if (auto remote = co_await routes.context.actors.by_uri(fetched.document->id()))
            account_id = remote->id;
        } else if (fetched && fetched.document->kind() == ap::Kind::object && want_statuses) {
          status_id =
              co_await store_fetched_status(routes, std::get<ap::Object>(fetched.document->value));
        }
      }
    }

    json body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json accounts = account_id ? render_accounts(tx, {*account_id}, host) : json::array();
      json statuses = status_id ? render_statuses(tx, {*status_id}, viewer, routes) : json::array();
      return json{{"accounts", std::move(accounts)},
                  {"statuses", std::move(statuses)},
                  {"hashtags", json::array()}};
    });
    co_return json_ok(body);
  };
}

}  // namespace

void add_search_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v2/search", search(routes));
}

}  // namespace kith::api
