// Shared pieces of the client API handlers (client_support.hpp).
#include "client_support.hpp"

#include <charconv>
#include <pqxx/pqxx>

#include "kith/api/entities.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/db/applications.hpp"
#include "kith/db/oauth_tokens.hpp"
#include "moderation_service.hpp"

namespace kith::api {
namespace {

// What a status acted on for everyone looks like to clients that ignore
// `filtered` (Mastodon before 4.0, bots): sensitive, behind a content
// warning. Only the rendering changes; the author's post stays as written.
constexpr std::string_view kCommunityContentWarning = "Marked by community moderation";

void mark_sensitive(nlohmann::json& status) {
  status["sensitive"] = true;
  if (status.value("spoiler_text", "").empty()) status["spoiler_text"] = kCommunityContentWarning;
}

http::Response invalid_token() {
  http::Response response = http::error_response(401, "The access token is invalid");
  response.set_header("WWW-Authenticate",
                      "Bearer realm=\"Doorkeeper\", error=\"invalid_token\", "
                      "error_description=\"The access token is invalid\"");
  return response;
}

// The grant behind the request's token: nullopt without a token, an error
// for a bad token or a missing scope.
boost::asio::awaitable<std::variant<std::optional<db::TokenGrant>, http::Response>> grant_of(
    ApiRoutes& routes, const http::Request& request, std::string_view scope) {
  const std::optional<std::string> token = bearer_token(request);
  if (!token) co_return std::optional<db::TokenGrant>{};
  if (token->empty() || token->size() > kMaxTokenLength) co_return invalid_token();
  const std::string& value = *token;
  std::optional<db::TokenGrant> grant = co_await routes.context.pool.run(
      [&value](pqxx::connection& c) { return db::find_access_token(c, value); });
  if (!grant) co_return invalid_token();
  if (grant->account_id) routes.token_accounts.put(db::sha256_hex(value), *grant->account_id);
  if (!scope_allows(grant->scopes, scope))
    co_return http::error_response(403, "This action is outside the authorized scopes");
  co_return grant;
}

Caller caller_of(const db::TokenGrant& grant) {
  Caller caller{*grant.account_id, grant.user_id.value_or(0), grant.scopes, grant.application_name,
                grant.application_website};
  caller.token_id = grant.token_id;
  return caller;
}

// A query component, percent-encoded but for RFC 3986's unreserved bytes
// (and '[' ']', which Mastodon's own array parameters keep).
std::string query_escape(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : text) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~' || c == '[' || c == ']') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

}  // namespace

std::optional<std::string> bearer_token(const http::Request& request) {
  if (auto header = request.header("Authorization")) {
    std::string_view value = *header;
    if (value.size() > 7 && http::iequals(value.substr(0, 7), "Bearer ")) {
      value.remove_prefix(7);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
      return std::string(value);
    }
    return std::string();  // another scheme: not a token we know
  }
  if (auto query = request.query_param("access_token")) return *query;
  return std::nullopt;
}

boost::asio::awaitable<std::variant<std::optional<Caller>, http::Response>> authenticate_optional(
    ApiRoutes& routes, const http::Request& request, std::string_view scope) {
  auto result = co_await grant_of(routes, request, scope);
  if (auto* error = std::get_if<http::Response>(&result)) co_return std::move(*error);
  const auto& grant = std::get<std::optional<db::TokenGrant>>(result);
  // An application token (client_credentials) reads what anyone may read.
  if (!grant || !grant->account_id) co_return std::optional<Caller>{};
  co_return std::optional<Caller>(caller_of(*grant));
}

boost::asio::awaitable<std::variant<Caller, http::Response>> authenticate(
    ApiRoutes& routes, const http::Request& request, std::string_view scope) {
  auto result = co_await grant_of(routes, request, scope);
  if (auto* error = std::get_if<http::Response>(&result)) co_return std::move(*error);
  const auto& grant = std::get<std::optional<db::TokenGrant>>(result);
  if (!grant) co_return invalid_token();
  if (!grant->account_id)
    co_return http::error_response(422, "This method requires an authenticated user");
  co_return caller_of(*grant);
}

std::optional<std::int64_t> parse_id(std::string_view text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || value <= 0) return std::nullopt;
  return value;
}

db::PageRequest page_request(const Params& params, std::size_t default_limit,
                             std::size_t max_limit) {
  db::PageRequest page;
  page.limit = default_limit;
  if (auto limit = params.first("limit")) {
    if (auto n = parse_id(*limit)) page.limit = std::min<std::size_t>(*n, max_limit);
  }
  if (auto max_id = params.first("max_id")) page.max_id = parse_id(*max_id);
  if (auto min_id = params.first("min_id")) page.min_id = parse_id(*min_id);
  // since_id: the newest rows above it, so the page reads downward from
  // the top (max_id set), unlike min_id's page just above it.
  if (auto since_id = params.first("since_id"); since_id && !page.min_id) {
    if (auto id = parse_id(*since_id)) {
      page.min_id = id;
      if (!page.max_id) page.max_id = std::numeric_limits<std::int64_t>::max();
    }
  }
  return page;
}

void set_link_header(http::Response& response, std::string_view host, std::string_view path,
                     const std::vector<std::int64_t>& ids, std::size_t limit, const Params* params,
                     std::initializer_list<std::string_view> kept) {
  if (ids.empty()) return;
  std::string base =
      "https://" + std::string(host) + std::string(path) + "?limit=" + std::to_string(limit) + "&";
  if (params) {
    for (std::string_view name : kept) {
      const std::string key(name);
      for (const std::string& value : params->all(key))
        base += query_escape(key) + "=" + query_escape(value) + "&";
    }
  }
  response.set_header("Link", "<" + base + "max_id=" + std::to_string(ids.back()) +
                                  ">; rel=\"next\", <" + base +
                                  "min_id=" + std::to_string(ids.front()) + ">; rel=\"prev\"");
}

nlohmann::json render_statuses(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::int64_t viewer, std::string_view host, FilterContext context) {
  if (ids.empty()) return nlohmann::json::array();
  return render_statuses(tx, ids, viewer, host, FilterSet::load(tx, viewer, context));
}

nlohmann::json render_statuses(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::int64_t viewer, std::string_view host,
                               const FilterSet& filters) {
  auto statuses = db::status_views(tx, ids, viewer);
  std::vector<std::int64_t> reblogged;
  for (const auto& [id, status] : statuses)
    if (status.reblog_of_id) reblogged.push_back(*status.reblog_of_id);
  auto originals = db::status_views(tx, reblogged, viewer);
  std::vector<std::int64_t> account_ids;
  for (const auto& [id, status] : statuses) account_ids.push_back(status.account_id);
  for (const auto& [id, status] : originals) account_ids.push_back(status.account_id);
  auto accounts = db::account_views(tx, account_ids);
  nlohmann::json out = nlohmann::json::array();
  for (std::int64_t id : ids) {
    auto it = statuses.find(id);
    if (it == statuses.end()) continue;
    const db::StatusView& status = it->second;
    auto author = accounts.find(status.account_id);
    if (author == accounts.end()) continue;
    if (status.reblog_of_id) {
      auto original = originals.find(*status.reblog_of_id);
      if (original == originals.end()) continue;  // the viewer may not see it
      auto original_author = accounts.find(original->second.account_id);
      if (original_author == accounts.end()) continue;
      FilterSet::Verdict verdict = filters.apply(status, &original->second);
      if (verdict.hide) continue;
      nlohmann::json nested =
          status_json(original->second, original_author->second, nullptr, host, false);
      nested["filtered"] = verdict.results;
      if (verdict.sensitive) mark_sensitive(nested);
      out.push_back(status_json(status, author->second, &nested, host, false));
      out.back()["filtered"] = std::move(verdict.results);
    } else {
      FilterSet::Verdict verdict = filters.apply(status, nullptr);
      if (verdict.hide) continue;
      out.push_back(status_json(status, author->second, nullptr, host, false));
      out.back()["filtered"] = std::move(verdict.results);
      if (verdict.sensitive) mark_sensitive(out.back());
    }
  }
  return out;
}

std::optional<nlohmann::json> render_status(pqxx::transaction_base& tx, std::int64_t id,
                                            std::int64_t viewer, std::string_view host,
                                            bool with_text, FilterContext context) {
  nlohmann::json list = render_statuses(tx, {id}, viewer, host, context);
  if (list.empty()) return std::nullopt;
  if (with_text) {
    auto views = db::status_views(tx, {id}, viewer);
    if (auto it = views.find(id); it != views.end()) list[0]["text"] = it->second.text;
  }
  return std::move(list[0]);
}

nlohmann::json render_statuses(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::int64_t viewer, ApiRoutes& routes, FilterContext context) {
  if (ids.empty()) return nlohmann::json::array();
  nlohmann::json out =
      render_statuses(tx, ids, viewer, routes.context.config.host,
                      FilterSet::load(tx, viewer, context, routes.context.moderation));
  // The one call site of the exposure recorder for rendered statuses
  // (moderation_service.hpp): what was actually sent, boosts as their
  // boosted status.
  record_exposures(routes, viewer, out);
  return out;
}

std::optional<nlohmann::json> render_status(pqxx::transaction_base& tx, std::int64_t id,
                                            std::int64_t viewer, ApiRoutes& routes, bool with_text,
                                            FilterContext context) {
  nlohmann::json list = render_statuses(tx, {id}, viewer, routes, context);
  if (list.empty()) return std::nullopt;
  if (with_text) {
    auto views = db::status_views(tx, {id}, viewer);
    if (auto it = views.find(id); it != views.end()) list[0]["text"] = it->second.text;
  }
  return std::move(list[0]);
}

std::optional<nlohmann::json> render_status(pqxx::transaction_base& tx, std::int64_t id,
                                            std::int64_t viewer, std::string_view host,
                                            const mod::Engine* moderation, FilterContext context) {
  nlohmann::json list =
      render_statuses(tx, {id}, viewer, host, FilterSet::load(tx, viewer, context, moderation));
  if (list.empty()) return std::nullopt;
  return std::move(list[0]);
}

nlohmann::json render_accounts(pqxx::transaction_base& tx, const std::vector<std::int64_t>& ids,
                               std::string_view host) {
  auto accounts = db::account_views(tx, ids);
  // Mastodon's Account.moved: the account moved to, rendered one level
  // deep (its own `moved` is left out), absent when there is none.
  std::vector<std::int64_t> targets;
  for (const auto& [id, account] : accounts)
    if (account.moved_to_account_id != 0) targets.push_back(account.moved_to_account_id);
  const auto moved_to = targets.empty() ? decltype(accounts){} : db::account_views(tx, targets);
  nlohmann::json out = nlohmann::json::array();
  for (std::int64_t id : ids)
    if (auto it = accounts.find(id); it != accounts.end() && !it->second.suspended) {
      out.push_back(account_json(it->second, host));
      auto target = moved_to.find(it->second.moved_to_account_id);
      if (target != moved_to.end() && !target->second.suspended)
        out.back()["moved"] = account_json(target->second, host);
    }
  return out;
}

std::optional<nlohmann::json> render_account(pqxx::transaction_base& tx, std::int64_t id,
                                             std::string_view host) {
  nlohmann::json list = render_accounts(tx, {id}, host);
  if (list.empty()) return std::nullopt;
  return std::move(list[0]);
}

http::Response json_ok(const nlohmann::json& body) {
  return http::json_response(200,
                             body.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

http::Response not_found() {
  return http::error_response(404, "Record not found");
}

http::Response unprocessable(std::string_view message) {
  return http::error_response(422, "Validation failed: " + std::string(message));
}

std::optional<bool> parse_bool(const std::optional<std::string>& value) {
  if (!value) return std::nullopt;
  const std::string& v = *value;
  if (v == "true" || v == "1" || v == "on" || v == "True") return true;
  if (v == "false" || v == "0" || v == "off" || v == "False" || v.empty()) return false;
  return std::nullopt;
}

}  // namespace kith::api
