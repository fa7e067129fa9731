// Accounts: the signed-in user's own (verify_credentials,
// update_credentials), any account by id or by acct, its statuses, its
// followers and following, and relationships (Mastodon's
// app/controllers/api/v1/accounts_controller.rb and accounts/*).
//
// update_credentials takes form and JSON bodies; multipart bodies (avatar
// and header images, fields_attributes) come with the media work (issue 4)
// and are refused with 415 until then by read_params.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/acct.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/entities.hpp"
#include "kith/api/status_text.hpp"
#include "kith/db/local_actions.hpp"
#include "kith/http/url.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Mastodon's limits on profile text.
constexpr std::size_t kMaxDisplayNameCharacters = 30;
constexpr std::size_t kMaxNoteCharacters = 500;
// Most ids in one relationships request.
constexpr std::size_t kMaxRelationshipIds = 40;
// Longest acct accepted by lookup.
constexpr std::size_t kMaxAcctLength = 512;

std::optional<json> credential_account(pqxx::transaction_base& tx, std::int64_t account_id,
                                       const std::string& host) {
  auto accounts = db::account_views(tx, {account_id});
  auto it = accounts.find(account_id);
  if (it == accounts.end()) return std::nullopt;
  AccountSource source;
  source.follow_requests_count = static_cast<std::int64_t>(
      db::follow_requests_page(tx, account_id, db::PageRequest{std::nullopt, std::nullopt, 1000})
          .size());
  const pqxx::result text = tx.exec_params(
      "SELECT coalesce(u.locale, 'en') FROM users u WHERE u.account_id = $1", account_id);
  if (!text.empty()) source.language = text[0][0].as<std::string>();
  return credential_account_json(it->second, source, host);
}

http::Handler verify_credentials(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) {
      // The `profile` scope (Mastodon 4.3) allows this one endpoint.
      if (error->status != 403) co_return std::move(*error);
      auto profile = co_await authenticate(routes, request, "profile");
      if (auto* again = std::get_if<http::Response>(&profile)) co_return std::move(*again);
      auth = std::move(profile);
    }
    const Caller caller = std::get<Caller>(auth);
    const std::string& host = routes.context.config.host;
    auto account = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return credential_account(tx, caller.account_id, host);
    });
    if (!account) co_return not_found();
    co_return json_ok(*account);
  };
}

http::Handler update_credentials(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const std::string& host = routes.context.config.host;

    db::ProfileChange change;
    std::string note_text;
    if (auto name = params.first("display_name")) {
      if (count_characters(*name) > kMaxDisplayNameCharacters || !http::valid_utf8(*name))
        co_return unprocessable("Display name is too long (maximum is 30 characters)");
      change.display_name = *name;
    }
    if (auto note = params.first("note")) {
      if (count_characters(*note) > kMaxNoteCharacters || !http::valid_utf8(*note))
        co_return unprocessable("Note is too long (maximum is 500 characters)");
      note_text = *note;
      change.note = note->empty() ? std::string() : render_status_html(*note, {}, host);
    }
    change.locked = parse_bool(params.first("locked"));
    change.discoverable = parse_bool(params.first("discoverable"));
    change.bot = parse_bool(params.first("bot"));

    auto account = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      db::update_profile(tx, caller.account_id, change);
      ap::outbox::update_actor(tx, host, caller.account_id);
      auto out = credential_account(tx, caller.account_id, host);
      tx.commit();
      return out;
    });
    if (!account) co_return not_found();
    routes.context.wake_delivery();
    co_return json_ok(*account);
  };
}

http::Handler get_account(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto account = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_account(tx, *id, host);
    });
    if (!account) co_return not_found();
    co_return json_ok(*account);
  };
}

// GET /api/v1/accounts/lookup?acct=alice or bob@remote.example: from the
// database, or a remote account through WebFinger.
http::Handler lookup_account(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    std::string acct = request.query_param("acct").value_or("");
    if (acct.empty() || acct.size() > kMaxAcctLength) co_return not_found();
    if (acct.front() == '@') acct.erase(0, 1);
    std::string username = acct, domain;
    if (auto at = acct.find('@'); at != std::string::npos) {
      auto handle = ap::parse_acct(acct);
      if (!handle) co_return not_found();
      username = handle.acct->user;
      domain = handle.acct->host;
      auto ours = ap::normalize_authority(routes.context.config.host);
      if (ours && domain == ours.authority) domain.clear();
    }
    const std::string& host = routes.context.config.host;
    auto found = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      std::optional<json> out;
      if (auto id = db::account_id_by_acct(tx, username, domain))
        out = render_account(tx, *id, host);
      return out;
    });
    if (!found && !domain.empty()) {
      if (auto remote = co_await routes.context.actors.by_acct(username, domain)) {
        const std::int64_t id = remote->id;
        found = co_await routes.context.pool.run([&](pqxx::connection& c) {
          pqxx::read_transaction tx(c);
          return render_account(tx, id, host);
        });
      }
    }
    if (!found) co_return not_found();
    co_return json_ok(*found);
  };
}

http::Handler account_statuses(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const db::PageRequest page = page_request(params);
    const bool exclude_replies = parse_bool(params.first("exclude_replies")).value_or(false);
    const bool exclude_reblogs = parse_bool(params.first("exclude_reblogs")).value_or(false);
    const bool only_media = parse_bool(params.first("only_media")).value_or(false);
    // kith has no pinned statuses yet: the pinned list is empty.
    const bool pinned = parse_bool(params.first("pinned")).value_or(false);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    auto statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      if (db::account_views(tx, {*id}).empty()) return out;
      if (!pinned)
        ids = db::account_timeline(tx, *id, viewer, exclude_replies, exclude_reblogs, page,
                                   only_media);
      out = render_statuses(tx, ids, viewer, host);
      return out;
    });
    if (!statuses) co_return not_found();
    http::Response response = json_ok(*statuses);
    set_link_header(response, host, request.path, ids, page.limit, &params,
                    {"exclude_replies", "exclude_reblogs", "only_media", "pinned", "tagged"});
    co_return response;
  };
}

// followers / following: accounts, paged by the follow's id.
http::Handler follow_list(ApiRoutes& routes, bool followers) {
  return [&routes, followers](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const db::PageRequest page = page_request(std::get<Params>(parsed), 40, 80);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> cursors;
    auto accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      if (db::account_views(tx, {*id}).empty()) return out;
      auto entries =
          followers ? db::followers_page(tx, *id, page) : db::following_page(tx, *id, page);
      std::vector<std::int64_t> account_ids;
      for (const auto& entry : entries) {
        cursors.push_back(entry.cursor);
        account_ids.push_back(entry.account_id);
      }
      out = render_accounts(tx, account_ids, host);
      return out;
    });
    if (!accounts) co_return not_found();
    http::Response response = json_ok(*accounts);
    set_link_header(response, host, request.path, cursors, page.limit);
    co_return response;
  };
}

http::Handler relationships(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:follows");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    std::vector<std::int64_t> ids;
    for (const std::string& value : std::get<Params>(parsed).all("id")) {
      if (ids.size() >= kMaxRelationshipIds) break;
      if (auto id = parse_id(value)) ids.push_back(*id);
    }
    auto body = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      json out = json::array();
      auto known = db::account_views(tx, ids);
      for (std::int64_t id : ids)
        if (known.count(id))
          out.push_back(relationship_json(db::relationship(tx, caller.account_id, id)));
      return out;
    });
    co_return json_ok(body);
  };
}

}  // namespace

void add_account_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/accounts/verify_credentials", verify_credentials(routes));
  router.add("PATCH", "/api/v1/accounts/update_credentials", update_credentials(routes));
  router.add("GET", "/api/v1/accounts/relationships", relationships(routes));
  router.add("GET", "/api/v1/accounts/lookup", lookup_account(routes));
  router.add("GET", "/api/v1/accounts/:id", get_account(routes));
  router.add("GET", "/api/v1/accounts/:id/statuses", account_statuses(routes));
  router.add("GET", "/api/v1/accounts/:id/followers", follow_list(routes, true));
  router.add("GET", "/api/v1/accounts/:id/following", follow_list(routes, false));
}

}  // namespace kith::api
