// Lists (Mastodon's lists_controller.rb, lists/accounts_controller.rb and
// accounts/lists_controller.rb): a user's named groups of accounts it
// follows, the List entity {id, title, replies_policy, exclusive}, and the
// members as Accounts, paged with a Link header. The list timeline itself
// is in timelines.cpp.
//
// As Mastodon: someone else's list is 404; a member must be an account the
// owner follows (or requested to follow), else 404; adding a member twice is
// 422. Every change is one transaction, so a request that fails changes
// nothing.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/db/activity_sources.hpp"
#include "kith/db/lists.hpp"
#include "kith/http/url.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Longest list title kept, in bytes.
constexpr std::size_t kMaxListTitleBytes = 1000;
// Most account_ids[] read from one request.
constexpr std::size_t kMaxListAccountIdsPerRequest = 250;
// Most members answered by GET .../accounts?limit=0 (Mastodon's "all").
constexpr std::size_t kMaxListMembersUnpaged = 1000;

json list_json(const db::ListRow& list) {
  return {{"id", std::to_string(list.id)},
          {"title", list.title},
          {"replies_policy", list.replies_policy},
          {"exclusive", list.exclusive}};
}

// What a handler's transaction decided: a body, or an error status.
struct Answer {
  int status = 200;
  json body;
  std::string error;
};

Answer fail(int status, std::string message) {
  return Answer{status, json(), std::move(message)};
}

http::Response respond(const Answer& answer) {
  if (answer.status != 200) return http::error_response(answer.status, answer.error);
  return json_ok(answer.body);
}

bool blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

// The fields of a create or update request applied to `list`; an error
// message when one is invalid.
std::optional<std::string> apply_fields(const Params& params, db::ListRow& list) {
  if (auto title = params.first("title")) {
    if (blank(*title)) return "Validation failed: Title can't be blank";
    if (title->size() > kMaxListTitleBytes) return "Validation failed: Title is too long";
    if (!http::valid_utf8(*title)) return "Validation failed: Title is not valid UTF-8";
    list.title = *title;
  }
  if (auto policy = params.first("replies_policy")) {
    if (*policy != "followed" && *policy != "list" && *policy != "none")
      return "'" + policy->substr(0, 64) + "' is not a valid replies_policy";
    list.replies_policy = *policy;
  }
  if (auto exclusive = params.first("exclusive")) {
    auto value = parse_bool(exclusive);
    if (!value) return "Validation failed: Exclusive is not a boolean";
    list.exclusive = *value;
  }
  return std::nullopt;
}

// Authenticates with `scope`, reads the parameters, and runs
// `work(tx, caller, params)` in one transaction that commits when the
// answer is 200.
template <class Work>
boost::asio::awaitable<http::Response> with_lists(ApiRoutes& routes, http::Request& request,
                                                  std::string_view scope, Work work) {
  auto auth = co_await authenticate(routes, request, scope);
  if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
  const Caller caller = std::get<Caller>(auth);
  auto parsed = read_params(request);
  if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
  const Params& params = std::get<Params>(parsed);
  Answer answer = co_await routes.context.pool.run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    Answer out = work(tx, caller, params, request);
    if (out.status == 200) tx.commit();
    return out;
  });
  co_return respond(answer);
}

template <class Work>
http::Handler lists_handler(ApiRoutes& routes, std::string_view scope, Work work) {
  return [&routes, scope, work](http::Request& request) -> boost::asio::awaitable<http::Response> {
    return with_lists(routes, request, scope, work);
  };
}

std::optional<std::int64_t> path_id(http::Request& request, const char* name = "id") {
  return parse_id(request.params[name]);
}

Answer index(pqxx::transaction_base& tx, const Caller& caller, const Params&, http::Request&) {
  json out = json::array();
  for (const auto& list : db::lists_of(tx, caller.account_id)) out.push_back(list_json(list));
  return {200, out, ""};
}

Answer show(pqxx::transaction_base& tx, const Caller& caller, const Params&,
            http::Request& request) {
  auto id = path_id(request);
  auto list = id ? db::find_list(tx, caller.account_id, *id) : std::nullopt;
  if (!list) return fail(404, "Record not found");
  return {200, list_json(*list), ""};
}

Answer create(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
              http::Request&) {
  db::ListRow list;
  list.replies_policy = "list";
  if (!params.first("title")) return fail(422, "Validation failed: Title can't be blank");
  if (auto error = apply_fields(params, list)) return fail(422, *error);
  if (db::count_lists(tx, caller.account_id) >= db::kMaxListsPerAccount)
    return fail(422, "Validation failed: You have reached the maximum number of lists");
  return {200, list_json(db::insert_list(tx, caller.account_id, list)), ""};
}

Answer update(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
              http::Request& request) {
  auto id = path_id(request);
  auto list = id ? db::find_list(tx, caller.account_id, *id) : std::nullopt;
  if (!list) return fail(404, "Record not found");
  if (auto error = apply_fields(params, *list)) return fail(422, *error);
  db::update_list(tx, *list);
  return {200, list_json(*list), ""};
}

Answer destroy(pqxx::transaction_base& tx, const Caller& caller, const Params&,
               http::Request& request) {
  auto id = path_id(request);
  auto list = id ? db::find_list(tx, caller.account_id, *id) : std::nullopt;
  if (!list) return fail(404, "Record not found");
  db::delete_list(tx, list->id);
  return {200, json::object(), ""};
}

// account_ids[] as ids; nullopt when one is not an id (Mastodon: 404) or
// there are too many.
std::variant<std::vector<std::int64_t>, Answer> account_ids(const Params& params) {
  std::vector<std::int64_t> ids;
  const auto values = params.all("account_ids");
  if (values.size() > kMaxListAccountIdsPerRequest)
    return fail(422, "Validation failed: too many account_ids");
  for (const std::string& value : values) {
    auto id = parse_id(value);
    if (!id) return fail(404, "Record not found");
    if (std::find(ids.begin(), ids.end(), *id) == ids.end()) ids.push_back(*id);
  }
  return ids;
}

Answer add_members(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                   http::Request& request) {
  auto id = path_id(request);
  auto list = id ? db::find_list(tx, caller.account_id, *id) : std::nullopt;
  if (!list) return fail(404, "Record not found");
  auto ids = account_ids(params);
  if (auto* error = std::get_if<Answer>(&ids)) return *error;
  for (std::int64_t account : std::get<std::vector<std::int64_t>>(ids)) {
    if (!db::may_list_account(tx, caller.account_id, account)) return fail(404, "Record not found");
    if (db::is_list_member(tx, list->id, account))
      return fail(422, "Validation failed: Account has already been taken");
    db::add_list_member(tx, list->id, account);
  }
  return {200, json::object(), ""};
}

Answer remove_members(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                      http::Request& request) {
  auto id = path_id(request);
  auto list = id ? db::find_list(tx, caller.account_id, *id) : std::nullopt;
  if (!list) return fail(404, "Record not found");
  auto ids = account_ids(params);
  if (auto* error = std::get_if<Answer>(&ids)) return *error;
  db::remove_list_members(tx, list->id, std::get<std::vector<std::int64_t>>(ids));
  return {200, json::object(), ""};
}

// GET /api/v1/accounts/:id/lists: the caller's lists with that account.
Answer lists_with_account(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                          http::Request& request) {
  auto id = path_id(request);
  if (!id || !db::account_ref(tx, *id)) return fail(404, "Record not found");
  json out = json::array();
  for (const auto& list : db::lists_containing(tx, caller.account_id, *id))
    out.push_back(list_json(list));
  return {200, out, ""};
}

// GET /api/v1/lists/:id/accounts: members, 40 a page (at most 80), or all
// of them with limit=0; a Link header when paged.
http::Handler members(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:lists");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const auto list_id = parse_id(request.params["id"]);
    if (!list_id) co_return not_found();
    const bool unpaged = params.first("limit") == std::optional<std::string>("0");
    const db::PageRequest page = page_request(params, 40, 80);
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    std::optional<json> accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      if (!db::find_list(tx, caller.account_id, *list_id)) return std::optional<json>();
      ids = unpaged ? db::all_list_members(tx, caller.account_id, *list_id, kMaxListMembersUnpaged)
                    : db::list_members_page(tx, caller.account_id, *list_id, page);
      return std::optional<json>(render_accounts(tx, ids, host));
    });
    if (!accounts) co_return not_found();
    http::Response response = json_ok(*accounts);
    if (!unpaged) set_link_header(response, host, request.path, ids, page.limit);
    co_return response;
  };
}

}  // namespace

void add_list_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/lists", lists_handler(routes, "read:lists", index));
  router.add("POST", "/api/v1/lists", lists_handler(routes, "write:lists", create));
  router.add("GET", "/api/v1/lists/:id", lists_handler(routes, "read:lists", show));
  router.add("PUT", "/api/v1/lists/:id", lists_handler(routes, "write:lists", update));
  router.add("DELETE", "/api/v1/lists/:id", lists_handler(routes, "write:lists", destroy));
  router.add("GET", "/api/v1/lists/:id/accounts", members(routes));
  router.add("POST", "/api/v1/lists/:id/accounts",
             lists_handler(routes, "write:lists", add_members));
  router.add("DELETE", "/api/v1/lists/:id/accounts",
             lists_handler(routes, "write:lists", remove_members));
  router.add("GET", "/api/v1/accounts/:id/lists",
             lists_handler(routes, "read:lists", lists_with_account));
}

}  // namespace kith::api
