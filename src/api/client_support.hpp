// What every client API handler needs besides its own logic: who is
// calling (the bearer token and its scopes), reading ids and paging
// parameters, Link headers, running a transaction on the pool, rendering
// statuses with their authors, and waking the delivery queue after a
// commit. Internal to the api module.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <initializer_list>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "kith/api/params.hpp"
#include "kith/db/client_views.hpp"
#include "routes_internal.hpp"
#include "status_filters.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::api {

// The signed-in user behind a bearer token.
struct Caller {
  std::int64_t account_id = 0;
  std::int64_t user_id = 0;
  std::vector<std::string> scopes;
  std::string app_name;
  std::string app_website;
  std::int64_t token_id = 0;  // the access token's row (open streams re-check it)
};

// Authorization: Bearer <token> (or access_token in the query, as streaming
// clients send it). Answers, as Mastodon does:
//   no token or an unknown, revoked or expired one -> 401 "The access token is invalid"
//   an application token where a user is needed    -> 422 "This method requires an authenticated
//   user" a token without `scope`                         -> 403 "This action is outside the
//   authorized scopes"
boost::asio::awaitable<std::variant<Caller, http::Response>> authenticate(
    ApiRoutes& routes, const http::Request& request, std::string_view scope);

// For endpoints that also answer anonymous callers: nullopt without a
// token or with an application token; a bad token or a missing scope is
// still an error.
boost::asio::awaitable<std::variant<std::optional<Caller>, http::Response>> authenticate_optional(
    ApiRoutes& routes, const http::Request& request, std::string_view scope);

// A path parameter or form value that must be a positive id.
std::optional<std::int64_t> parse_id(std::string_view text);

// Mastodon's paging: max_id, since_id, min_id and limit (default
// `default_limit`, at most `max_limit`). Malformed ids are ignored.
db::PageRequest page_request(const Params& params, std::size_t default_limit = 20,
                             std::size_t max_limit = 40);

// Link: <...?max_id=oldest>; rel="next", <...?min_id=newest>; rel="prev"
// (next first: some clients read only the first), when `ids` (newest
// first) is not empty. `path` is the request's path. The parameters named
// in `kept` (an endpoint's filters: local, only_media, ...) that `params`
// has are carried into both links, so the next page is of the same list.
void set_link_header(http::Response& response, std::string_view host, std::string_view path,
                     const std::vector<std::int64_t>& ids, std::size_t limit,
                     const Params* params = nullptr,
                     std::initializer_list<std::string_view> kept = {});

// The statuses `ids` (in that order) that `viewer` may see, rendered, with
// boosted statuses nested, each with `filtered`: the viewer's filters of
// `context` that match it (status_filters.hpp); in a context other than
// any, a status a `hide` filter matches is left out. The FilterSet
// overload applies filters loaded once by the caller (e.g. for a page of
// notifications).
nlohmann::json render_statuses(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::int64_t viewer, std::string_view host,
                               FilterContext context = FilterContext::any);
nlohmann::json render_statuses(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::int64_t viewer, std::string_view host,
                               const FilterSet& filters);
// nullopt when the viewer may not see it, or a hide filter of `context`
// leaves it out.
std::optional<nlohmann::json> render_status(pqxx::transaction_base& tx, std::int64_t id,
                                            std::int64_t viewer, std::string_view host,
                                            bool with_text = false,
                                            FilterContext context = FilterContext::any);
// The same for a handler or any path that renders for a viewer: with the
// moderation engine's verdicts (routes.context.moderation, see
// status_filters.hpp) and the statuses rendered recorded as the viewer's
// exposures. Every timeline, thread, status and search answer renders
// through these.
nlohmann::json render_statuses(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::int64_t viewer, ApiRoutes& routes,
                               FilterContext context = FilterContext::any);
std::optional<nlohmann::json> render_status(pqxx::transaction_base& tx, std::int64_t id,
                                            std::int64_t viewer, ApiRoutes& routes,
                                            bool with_text = false,
                                            FilterContext context = FilterContext::any);
// The lower level for paths without ApiRoutes (the streaming hub): the
// verdicts of `moderation` (may be null), no exposures recorded.
std::optional<nlohmann::json> render_status(pqxx::transaction_base& tx, std::int64_t id,
                                            std::int64_t viewer, std::string_view host,
                                            const mod::Engine* moderation,
                                            FilterContext context = FilterContext::any);
nlohmann::json render_accounts(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::string_view host);
std::optional<nlohmann::json> render_account(pqxx::transaction_base& tx, std::int64_t id,
                                             std::string_view host);

// The usual answers.
http::Response json_ok(const nlohmann::json& body);
http::Response not_found();                              // 404 "Record not found"
http::Response unprocessable(std::string_view message);  // 422 "Validation failed: ..."

// A form or JSON boolean ("true", "1", "on" are true).
std::optional<bool> parse_bool(const std::optional<std::string>& value);

}  // namespace kith::api
