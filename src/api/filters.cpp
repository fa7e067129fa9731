// Filters (Mastodon's api/v2/filters_controller.rb, filters/keywords and
// filters/statuses controllers, and the deprecated api/v1/filters).
// v2: a Filter {id, title, context, expires_at, filter_action, keywords,
// statuses} with its FilterKeyword and FilterStatus rows, each reachable by
// its own id. v1: each keyword is a V1::Filter {id (the keyword's), phrase,
// context, whole_word, expires_at, irreversible (action hide)}, and POST
// makes a filter of one keyword titled by the phrase, as Mastodon 4 maps
// them.
//
// Filters are the owner's only (404 for anyone else). Bad input is 422 and,
// since each request is one transaction, changes nothing. Every change
// touches the filter row, so the filters_changed stream event fires (the
// trigger of migration 0006). What filters do to statuses is in
// status_filters.cpp.
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/http/url.hpp"
#include "status_filters.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Longest title and keyword kept, in bytes.
constexpr std::size_t kMaxFilterTitleBytes = 1000;
constexpr std::size_t kMaxKeywordBytes = 1000;
// Most keywords_attributes read from one request.
constexpr std::size_t kMaxKeywordAttributes = 100;
// expires_in: at most ten years.
constexpr std::int64_t kMaxExpiresInSeconds = 10LL * 366 * 86400;

const char* const kContexts[] = {"home", "notifications", "public", "thread", "account"};

struct Answer {
  int status = 200;
  json body;
  std::string error;
};

Answer fail(int status, std::string message) {
  return Answer{status, json(), std::move(message)};
}
Answer missing() {
  return fail(404, "Record not found");
}

Answer too_many_keywords() {
  return fail(422, "Validation failed: a filter has at most " +
                       std::to_string(db::kMaxKeywordsPerFilter) + " keywords");
}

// nullopt when the caller may create one more filter.
std::optional<Answer> refuse_more_filters(pqxx::transaction_base& tx, std::int64_t owner) {
  if (db::count_filters_locked(tx, owner) < static_cast<std::int64_t>(db::kMaxFiltersPerAccount))
    return std::nullopt;
  return fail(422, "Validation failed: at most " + std::to_string(db::kMaxFiltersPerAccount) +
                       " filters per account");
}

bool blank(const std::string& text) {
  return text.find_first_not_of(" \t\r\n") == std::string::npos;
}

std::optional<std::int64_t> parse_integer(const std::string& text) {
  if (text.empty() || text.size() > 18) return std::nullopt;
  std::size_t i = text[0] == '-' ? 1 : 0;
  if (i == text.size()) return std::nullopt;
  std::int64_t value = 0;
  for (; i < text.size(); ++i) {
    if (text[i] < '0' || text[i] > '9') return std::nullopt;
    value = value * 10 + (text[i] - '0');
  }
  return text[0] == '-' ? -value : value;
}

// A keywords_attributes[] entry.
struct KeywordAttributes {
  std::optional<std::string> id, keyword, whole_word, destroy;
};

void set_attribute(KeywordAttributes& k, const std::string& field, std::string value) {
  if (field == "id") k.id = std::move(value);
  if (field == "keyword") k.keyword = std::move(value);
  if (field == "whole_word") k.whole_word = std::move(value);
  if (field == "_destroy") k.destroy = std::move(value);
}

const char* const kKeywordFields[] = {"id", "keyword", "whole_word", "_destroy"};

// keywords_attributes from a JSON body (an array of objects, or an object
// of them by index) or from form/query parameters, written
// keywords_attributes[][field] (the n-th value of each field makes the n-th
// entry) or keywords_attributes[<n>][field].
std::vector<KeywordAttributes> keyword_attributes(const http::Request& request,
                                                  const Params& params) {
  std::vector<KeywordAttributes> out;
  std::string_view type = request.header("Content-Type").value_or("");
  if (type.substr(0, 16) == "application/json") {
    const json body = json::parse(request.body, nullptr, false);  // depth checked by read_params
    if (!body.is_object() || !body.contains("keywords_attributes")) return out;
    const json& list = body["keywords_attributes"];
    if (!list.is_array() && !list.is_object()) return out;
    for (const auto& item : list) {
      if (out.size() >= kMaxKeywordAttributes) break;
      if (!item.is_object()) continue;
      KeywordAttributes k;
      for (const char* field : kKeywordFields) {
        if (!item.contains(field)) continue;
        const json& v = item[field];
        if (v.is_string())
          set_attribute(k, field, v.get<std::string>());
        else if (v.is_boolean())
          set_attribute(k, field, v.get<bool>() ? "true" : "false");
        else if (v.is_number())
          set_attribute(k, field, v.dump());
      }
      out.push_back(std::move(k));
    }
    return out;
  }
  for (const char* field : kKeywordFields) {
    const auto values = params.all(std::string("keywords_attributes[][") + field + "]");
    for (std::size_t n = 0; n < values.size() && n < kMaxKeywordAttributes; ++n) {
      if (out.size() <= n) out.resize(n + 1);
      set_attribute(out[n], field, values[n]);
    }
  }
  for (std::size_t n = 0; n < kMaxKeywordAttributes; ++n) {
    KeywordAttributes k;
    bool any = false;
    for (const char* field : kKeywordFields)
      if (auto value =
              params.first("keywords_attributes[" + std::to_string(n) + "][" + field + "]")) {
        set_attribute(k, field, *value);
        any = true;
      }
    if (!any) break;
    if (out.size() < kMaxKeywordAttributes) out.push_back(std::move(k));
  }
  return out;
}

// title, context[], filter_action (or v1's irreversible), expires_in.
std::variant<db::FilterChange, Answer> read_change(const Params& params, bool creating, bool v1) {
  db::FilterChange change;
  if (auto title = params.first(v1 ? "phrase" : "title")) {
    if (blank(*title))
      return fail(422, v1 ? "Validation failed: Phrase can't be blank"
                          : "Validation failed: Title can't be blank");
    if (title->size() > kMaxFilterTitleBytes) return fail(422, "Validation failed: too long");
    if (!http::valid_utf8(*title)) return fail(422, "Validation failed: not valid UTF-8");
    change.title = *title;
  } else if (creating) {
    return fail(422, v1 ? "Validation failed: Phrase can't be blank"
                        : "Validation failed: Title can't be blank");
  }
  const auto contexts = params.all("context");
  if (!contexts.empty() || creating) {
    std::vector<std::string> chosen;
    for (const std::string& context : contexts) {
      if (std::find(std::begin(kContexts), std::end(kContexts), context) == std::end(kContexts))
        return fail(422, "Validation failed: Context None or invalid context supplied");
      if (std::find(chosen.begin(), chosen.end(), context) == chosen.end())
        chosen.push_back(context);
    }
    if (chosen.empty())
      return fail(422,
                  "Validation failed: Context can't be blank, Context None or invalid context "
                  "supplied");
    change.context = std::move(chosen);
  }
  if (v1) {
    if (auto irreversible = params.first("irreversible")) {
      auto value = parse_bool(irreversible);
      if (!value) return fail(422, "Validation failed: Irreversible is not a boolean");
      change.action = *value ? "hide" : "warn";
    }
  } else if (auto action = params.first("filter_action")) {
    if (*action != "warn" && *action != "hide" && *action != "blur")
      return fail(422, "'" + action->substr(0, 64) + "' is not a valid action");
    change.action = *action;
  }
  if (auto expires = params.first("expires_in")) {
    if (expires->empty()) {
      change.expires_in = std::optional<std::int64_t>();
    } else {
      auto seconds = parse_integer(*expires);
      if (!seconds) return fail(422, "Validation failed: Expires in is not a number");
      change.expires_in = std::optional<std::int64_t>(
          std::min(std::max<std::int64_t>(*seconds, 1), kMaxExpiresInSeconds));
    }
  }
  return change;
}

std::optional<std::string> check_keyword(const std::optional<std::string>& keyword) {
  if (!keyword || blank(*keyword)) return "Validation failed: Keyword can't be blank";
  if (keyword->size() > kMaxKeywordBytes) return "Validation failed: Keyword is too long";
  if (!http::valid_utf8(*keyword)) return "Validation failed: Keyword is not valid UTF-8";
  return std::nullopt;
}

// Applies keywords_attributes to filter `filter_id`: new keywords, changes
// of the owner's existing ones (by id, 404 when not in this filter), and
// removals (_destroy).
std::optional<Answer> apply_keywords(pqxx::transaction_base& tx, std::int64_t owner,
                                     std::int64_t filter_id,
                                     const std::vector<KeywordAttributes>& attributes) {
  for (const KeywordAttributes& k : attributes) {
    const bool destroy = parse_bool(k.destroy).value_or(false);
    if (k.id) {
      auto id = parse_id(*k.id);
      auto row = id ? db::find_filter_keyword(tx, owner, *id) : std::nullopt;
      if (!row || row->filter_id != filter_id) return missing();
      if (destroy) {
        db::delete_filter_keyword(tx, *row);
        continue;
      }
      if (k.keyword) {
        if (auto error = check_keyword(k.keyword)) return fail(422, *error);
        row->keyword = *k.keyword;
      }
      if (k.whole_word) row->whole_word = parse_bool(k.whole_word).value_or(row->whole_word);
      db::update_filter_keyword(tx, *row);
      continue;
    }
    if (destroy) continue;  // a new keyword marked for removal is not made
    if (auto error = check_keyword(k.keyword)) return fail(422, *error);
    db::insert_filter_keyword(tx, filter_id, *k.keyword, parse_bool(k.whole_word).value_or(true));
  }
  // Existing and new together (the request is one transaction: refused, it
  // changes nothing).
  if (db::count_filter_keywords(tx, filter_id) >
      static_cast<std::int64_t>(db::kMaxKeywordsPerFilter))
    return too_many_keywords();
  return std::nullopt;
}

// V1::Filter of one keyword of `filter`.
json v1_filter_json(const db::FilterRow& filter, const db::FilterKeywordRow& keyword) {
  return {{"id", std::to_string(keyword.id)},
          {"phrase", keyword.keyword},
          {"context", filter.context},
          {"whole_word", keyword.whole_word},
          {"expires_at", filter.expires_at.empty() ? json(nullptr) : json(filter.expires_at)},
          {"irreversible", filter.action == "hide"}};
}

using Work = Answer (*)(pqxx::transaction_base&, const Caller&, const Params&, http::Request&);

template <class W>
http::Handler filters_handler(ApiRoutes& routes, std::string_view scope, W work) {
  return [&routes, scope, work](http::Request& request) -> boost::asio::awaitable<http::Response> {
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
    if (answer.status != 200) co_return http::error_response(answer.status, answer.error);
    co_return json_ok(answer.body);
  };
}

std::optional<std::int64_t> path_id(http::Request& request) {
  return parse_id(request.params["id"]);
}

std::optional<db::FilterRow> path_filter(pqxx::transaction_base& tx, const Caller& caller,
                                         http::Request& request) {
  auto id = path_id(request);
  return id ? db::find_filter(tx, caller.account_id, *id) : std::nullopt;
}

// -- v2 --

Answer v2_index(pqxx::transaction_base& tx, const Caller& caller, const Params&, http::Request&) {
  json out = json::array();
  for (const auto& filter : db::filters_of(tx, caller.account_id))
    out.push_back(filter_json(filter));
  return {200, out, ""};
}

Answer v2_show(pqxx::transaction_base& tx, const Caller& caller, const Params&,
               http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  return {200, filter_json(*filter), ""};
}

Answer v2_create(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                 http::Request& request) {
  auto change = read_change(params, true, false);
  if (auto* error = std::get_if<Answer>(&change)) return *error;
  if (auto refusal = refuse_more_filters(tx, caller.account_id)) return *refusal;
  const std::int64_t id =
      db::insert_filter(tx, caller.account_id, std::get<db::FilterChange>(change));
  // As Mastodon: an id in keywords_attributes on create is not found.
  if (auto error = apply_keywords(tx, caller.account_id, id, keyword_attributes(request, params)))
    return *error;
  return {200, filter_json(*db::find_filter(tx, caller.account_id, id)), ""};
}

Answer v2_update(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                 http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  auto change = read_change(params, false, false);
  if (auto* error = std::get_if<Answer>(&change)) return *error;
  db::update_filter(tx, filter->id, std::get<db::FilterChange>(change));
  if (auto error =
          apply_keywords(tx, caller.account_id, filter->id, keyword_attributes(request, params)))
    return *error;
  return {200, filter_json(*db::find_filter(tx, caller.account_id, filter->id)), ""};
}

Answer v2_destroy(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                  http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  db::delete_filter(tx, filter->id);
  return {200, json::object(), ""};
}

json keyword_json(const db::FilterKeywordRow& k) {
  return {{"id", std::to_string(k.id)}, {"keyword", k.keyword}, {"whole_word", k.whole_word}};
}

json filter_status_json(const db::FilterStatusRow& s) {
  return {{"id", std::to_string(s.id)}, {"status_id", std::to_string(s.status_id)}};
}

Answer keywords_index(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                      http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  json out = json::array();
  for (const auto& k : filter->keywords) out.push_back(keyword_json(k));
  return {200, out, ""};
}

Answer keywords_create(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                       http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  const auto keyword = params.first("keyword");
  if (auto error = check_keyword(keyword)) return fail(422, *error);
  if (db::count_filter_keywords(tx, filter->id) >=
      static_cast<std::int64_t>(db::kMaxKeywordsPerFilter))
    return too_many_keywords();
  return {200,
          keyword_json(db::insert_filter_keyword(
              tx, filter->id, *keyword, parse_bool(params.first("whole_word")).value_or(true))),
          ""};
}

Answer keyword_show(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                    http::Request& request) {
  auto id = path_id(request);
  auto k = id ? db::find_filter_keyword(tx, caller.account_id, *id) : std::nullopt;
  if (!k) return missing();
  return {200, keyword_json(*k), ""};
}

Answer keyword_update(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                      http::Request& request) {
  auto id = path_id(request);
  auto k = id ? db::find_filter_keyword(tx, caller.account_id, *id) : std::nullopt;
  if (!k) return missing();
  if (auto keyword = params.first("keyword")) {
    if (auto error = check_keyword(keyword)) return fail(422, *error);
    k->keyword = *keyword;
  }
  if (auto whole_word = params.first("whole_word"))
    k->whole_word = parse_bool(whole_word).value_or(k->whole_word);
  db::update_filter_keyword(tx, *k);
  return {200, keyword_json(*k), ""};
}

Answer keyword_destroy(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                       http::Request& request) {
  auto id = path_id(request);
  auto k = id ? db::find_filter_keyword(tx, caller.account_id, *id) : std::nullopt;
  if (!k) return missing();
  db::delete_filter_keyword(tx, *k);
  return {200, json::object(), ""};
}

Answer statuses_index(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                      http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  json out = json::array();
  for (const auto& s : filter->statuses) out.push_back(filter_status_json(s));
  return {200, out, ""};
}

Answer statuses_create(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                       http::Request& request) {
  auto filter = path_filter(tx, caller, request);
  if (!filter) return missing();
  const auto status_text = params.first("status_id");
  const auto status_id = status_text ? parse_id(*status_text) : std::nullopt;
  // Only a status the caller may see can be filtered.
  if (!status_id || db::status_views(tx, {*status_id}, caller.account_id).empty()) return missing();
  if (filter->statuses.size() >= db::kMaxStatusesPerFilter)
    return fail(422, "Validation failed: too many statuses");
  auto row = db::insert_filter_status(tx, filter->id, *status_id);
  if (!row) return fail(422, "Validation failed: Status has already been taken");
  return {200, filter_status_json(*row), ""};
}

Answer status_show(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                   http::Request& request) {
  auto id = path_id(request);
  auto s = id ? db::find_filter_status(tx, caller.account_id, *id) : std::nullopt;
  if (!s) return missing();
  return {200, filter_status_json(*s), ""};
}

Answer status_destroy(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                      http::Request& request) {
  auto id = path_id(request);
  auto s = id ? db::find_filter_status(tx, caller.account_id, *id) : std::nullopt;
  if (!s) return missing();
  db::delete_filter_status(tx, *s);
  return {200, json::object(), ""};
}

// -- v1 --

Answer v1_index(pqxx::transaction_base& tx, const Caller& caller, const Params&, http::Request&) {
  json out = json::array();
  for (const auto& filter : db::filters_of(tx, caller.account_id))
    for (const auto& k : filter.keywords) out.push_back(v1_filter_json(filter, k));
  return {200, out, ""};
}

// The keyword :id and its filter.
std::optional<std::pair<db::FilterRow, db::FilterKeywordRow>> v1_filter(pqxx::transaction_base& tx,
                                                                        const Caller& caller,
                                                                        http::Request& request) {
  auto id = path_id(request);
  auto k = id ? db::find_filter_keyword(tx, caller.account_id, *id) : std::nullopt;
  if (!k) return std::nullopt;
  auto filter = db::find_filter(tx, caller.account_id, k->filter_id);
  if (!filter) return std::nullopt;
  return std::make_pair(std::move(*filter), std::move(*k));
}

Answer v1_show(pqxx::transaction_base& tx, const Caller& caller, const Params&,
               http::Request& request) {
  auto found = v1_filter(tx, caller, request);
  if (!found) return missing();
  return {200, v1_filter_json(found->first, found->second), ""};
}

Answer v1_create(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                 http::Request&) {
  auto change = read_change(params, true, true);
  if (auto* error = std::get_if<Answer>(&change)) return *error;
  const auto& c = std::get<db::FilterChange>(change);
  if (c.title->size() > kMaxKeywordBytes) return fail(422, "Validation failed: too long");
  if (auto refusal = refuse_more_filters(tx, caller.account_id)) return *refusal;
  const std::int64_t id = db::insert_filter(tx, caller.account_id, c);
  const auto keyword = db::insert_filter_keyword(
      tx, id, *c.title, parse_bool(params.first("whole_word")).value_or(false));
  return {200, v1_filter_json(*db::find_filter(tx, caller.account_id, id), keyword), ""};
}

Answer v1_update(pqxx::transaction_base& tx, const Caller& caller, const Params& params,
                 http::Request& request) {
  auto found = v1_filter(tx, caller, request);
  if (!found) return missing();
  auto& [filter, keyword] = *found;
  auto change = read_change(params, false, true);
  if (auto* error = std::get_if<Answer>(&change)) return *error;
  db::FilterChange c = std::get<db::FilterChange>(change);
  // Changing what the whole filter does is refused when other keywords
  // share it (Mastodon 4's rule); the phrase and whole_word are the
  // keyword's own.
  if (filter.keywords.size() > 1 && (c.context || c.action || c.expires_in))
    return fail(422,
                "Validation failed: this filter has several keywords; change it with the v2 API");
  if (c.title) keyword.keyword = *c.title;
  if (auto whole_word = params.first("whole_word"))
    keyword.whole_word = parse_bool(whole_word).value_or(keyword.whole_word);
  if (filter.keywords.size() > 1) c.title.reset();  // keep the group's own title
  db::update_filter(tx, filter.id, c);
  db::update_filter_keyword(tx, keyword);
  return {200, v1_filter_json(*db::find_filter(tx, caller.account_id, filter.id), keyword), ""};
}

Answer v1_destroy(pqxx::transaction_base& tx, const Caller& caller, const Params&,
                  http::Request& request) {
  auto found = v1_filter(tx, caller, request);
  if (!found) return missing();
  db::delete_filter_keyword(tx, found->second);
  return {200, json::object(), ""};
}

}  // namespace

void add_filter_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v2/filters", filters_handler(routes, "read:filters", v2_index));
  router.add("POST", "/api/v2/filters", filters_handler(routes, "write:filters", v2_create));
  router.add("GET", "/api/v2/filters/keywords/:id",
             filters_handler(routes, "read:filters", keyword_show));
  router.add("PUT", "/api/v2/filters/keywords/:id",
             filters_handler(routes, "write:filters", keyword_update));
  router.add("DELETE", "/api/v2/filters/keywords/:id",
             filters_handler(routes, "write:filters", keyword_destroy));
  router.add("GET", "/api/v2/filters/statuses/:id",
             filters_handler(routes, "read:filters", status_show));
  router.add("DELETE", "/api/v2/filters/statuses/:id",
             filters_handler(routes, "write:filters", status_destroy));
  router.add("GET", "/api/v2/filters/:id", filters_handler(routes, "read:filters", v2_show));
  router.add("PUT", "/api/v2/filters/:id", filters_handler(routes, "write:filters", v2_update));
  router.add("DELETE", "/api/v2/filters/:id", filters_handler(routes, "write:filters", v2_destroy));
  router.add("GET", "/api/v2/filters/:id/keywords",
             filters_handler(routes, "read:filters", keywords_index));
  router.add("POST", "/api/v2/filters/:id/keywords",
             filters_handler(routes, "write:filters", keywords_create));
  router.add("GET", "/api/v2/filters/:id/statuses",
             filters_handler(routes, "read:filters", statuses_index));
  router.add("POST", "/api/v2/filters/:id/statuses",
             filters_handler(routes, "write:filters", statuses_create));
  router.add("GET", "/api/v1/filters", filters_handler(routes, "read:filters", v1_index));
  router.add("POST", "/api/v1/filters", filters_handler(routes, "write:filters", v1_create));
  router.add("GET", "/api/v1/filters/:id", filters_handler(routes, "read:filters", v1_show));
  router.add("PUT", "/api/v1/filters/:id", filters_handler(routes, "write:filters", v1_update));
  router.add("DELETE", "/api/v1/filters/:id", filters_handler(routes, "write:filters", v1_destroy));
}

}  // namespace kith::api
