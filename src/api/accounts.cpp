// Accounts: the signed-in user's own (verify_credentials,
// update_credentials), any account by id, by ids, by acct or by search, its
// statuses, its followers and following (Mastodon's
// app/controllers/api/v1/accounts_controller.rb and accounts/*).
//
// update_credentials reads form, multipart and JSON bodies alike; what the
// user typed (note, field values) is kept beside the HTML rendered from it,
// so that CredentialAccount.source gives it back for editing. A profile
// change federates as Update{Person} in the same transaction.
// Relationships and the lists of mutes, blocks and domain blocks are in
// relationships.cpp; the POST actions on an account in follows.cpp.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/acct.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/entities.hpp"
#include "kith/api/status_text.hpp"
#include "kith/api/tag_name.hpp"
#include "kith/db/local_actions.hpp"
#include "kith/db/relationships.hpp"
#include "kith/http/url.hpp"
#include "media_support.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Mastodon's limits on profile text.
constexpr std::size_t kMaxDisplayNameCharacters = 30;
constexpr std::size_t kMaxNoteCharacters = 500;
constexpr std::size_t kMaxProfileFields = 4;
constexpr std::size_t kMaxFieldCharacters = 255;
// Most fields_attributes entries read from one request (blank ones are
// dropped, then more than kMaxProfileFields is refused).
constexpr std::size_t kMaxFieldEntriesRead = 16;
// Longest acct accepted by lookup, and query accepted by search.
constexpr std::size_t kMaxAcctLength = 512;
constexpr std::size_t kMaxSearchQueryLength = 512;
// GET /api/v1/accounts/search: Mastodon's default and most results, and
// the deepest offset read.
constexpr std::size_t kSearchDefaultLimit = 40;
constexpr std::size_t kSearchMaxLimit = 80;
constexpr std::int64_t kMaxSearchOffset = 10000;
// Most ids in one GET /api/v1/accounts?id[]= request.
constexpr std::size_t kMaxAccountIds = 40;
// Longest hashtag name accepted by tagged= (longer ones match nothing).
constexpr std::size_t kMaxTagNameLength = 256;

// ---- update_credentials: reading the request ----

// A JSON value as a parameter's text ("true" for true); nullopt for null,
// objects and arrays.
std::optional<std::string> json_text(const json& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_boolean()) return value.get<bool>() ? "true" : "false";
  if (value.is_number()) return value.dump();
  return std::nullopt;
}

// The JSON body's object, when the request has one (read_params already
// checked its depth and shape).
json json_body(const http::Request& request) {
  std::string_view type = request.header("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (!http::iequals(type, "application/json") || request.body.empty()) return json::object();
  json body = json::parse(request.body, nullptr, false);
  return body.is_object() ? body : json::object();
}

// source[name]: the form's `source[name]`, or the JSON body's
// {"source": {"name": ...}}.
std::optional<std::string> source_param(const Params& params, const json& body,
                                        const std::string& name) {
  if (auto value = params.first("source[" + name + "]")) return value;
  auto source = body.find("source");
  if (source == body.end() || !source->is_object()) return std::nullopt;
  auto value = source->find(name);
  if (value == source->end()) return std::nullopt;
  return json_text(*value);
}

struct FieldInput {
  std::string name;
  std::string value;
};

// fields_attributes, in the order given: JSON as an array of {name, value}
// or an object of them keyed by any index; forms as
// fields_attributes[<index>][name] and [value], in the order of the
// indexes (as numbers). nullopt when the request does not set fields.
std::optional<std::vector<FieldInput>> requested_fields(const Params& params, const json& body) {
  std::vector<FieldInput> fields;
  auto from_json = [&fields](const json& entry) {
    if (!entry.is_object() || fields.size() >= kMaxFieldEntriesRead) return;
    FieldInput field;
    if (auto name = entry.find("name"); name != entry.end())
      field.name = json_text(*name).value_or("");
    if (auto value = entry.find("value"); value != entry.end())
      field.value = json_text(*value).value_or("");
    fields.push_back(std::move(field));
  };
  if (auto list = body.find("fields_attributes"); list != body.end()) {
    if (list->is_array() || list->is_object())
      for (const auto& entry : *list) from_json(entry);
    return fields;
  }
  // Form names: fields_attributes[7][name]; the index is any text.
  static const std::string prefix = "fields_attributes[";
  std::vector<std::pair<std::string, std::string>> indexes;  // (sort key, index)
  bool any = false;
  for (const std::string& name : params.names()) {
    if (!name.starts_with(prefix)) continue;
    any = true;
    const std::size_t close = name.find(']', prefix.size());
    if (close == std::string::npos) continue;
    const std::string index = name.substr(prefix.size(), close - prefix.size());
    if (std::find_if(indexes.begin(), indexes.end(),
                     [&index](const auto& i) { return i.second == index; }) != indexes.end())
      continue;
    // Numbers sort by value: "10" after "9".
    std::string key = index;
    if (!index.empty() && std::all_of(index.begin(), index.end(),
                                      [](unsigned char c) { return c >= '0' && c <= '9'; }))
      key = std::string(20 - std::min<std::size_t>(index.size(), 20), '0') + index;
    indexes.emplace_back(key, index);
  }
  if (!any) return std::nullopt;
  std::sort(indexes.begin(), indexes.end());
  for (const auto& [key, index] : indexes) {
    if (fields.size() >= kMaxFieldEntriesRead) break;
    fields.push_back({params.first(prefix + index + "][name]").value_or(""),
                      params.first(prefix + index + "][value]").value_or("")});
  }
  return fields;
}

// Mentions in a note, linked to accounts kith already knows (a profile
// does not fetch anyone: an unknown @user@host stays text).
std::vector<ResolvedMention> known_mentions(pqxx::transaction_base& tx, const ParsedText& parsed,
                                            const std::string& our_host) {
  std::vector<ResolvedMention> out;
  for (const ParsedMention& m : parsed.mentions) {
    const std::string domain = m.domain == our_host ? "" : m.domain;
    auto id = db::account_id_by_acct(tx, m.username, domain);
    if (!id) continue;
    auto views = db::account_views(tx, {*id});
    auto it = views.find(*id);
    if (it == views.end() || it->second.suspended) continue;
    out.push_back(
        {it->second.username, m.domain, it->second.url.empty() ? it->second.uri : it->second.url});
  }
  return out;
}

// A field value's HTML: like a status's, on one line, without the paragraph.
std::string field_html(std::string value, const std::string& host) {
  std::replace(value.begin(), value.end(), '\r', ' ');
  std::replace(value.begin(), value.end(), '\n', ' ');
  std::string html = render_status_html(value, {}, host);
  if (html.starts_with("<p>") && html.ends_with("</p>")) html = html.substr(3, html.size() - 7);
  return html;
}

// A boolean parameter that must be a boolean when present.
struct BoolParam {
  std::optional<bool> value;
  bool bad = false;
};
BoolParam bool_param(const std::optional<std::string>& text) {
  if (!text) return {};
  auto value = parse_bool(text);
  return {value, !value.has_value()};
}

bool valid_language(const std::string& code) {
  return code.size() >= 2 && code.size() <= 3 &&
         std::all_of(code.begin(), code.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// ---- rendering ----

std::optional<json> credential_account(pqxx::transaction_base& tx, std::int64_t account_id,
                                       const std::string& host) {
  auto accounts = db::account_views(tx, {account_id});
  auto it = accounts.find(account_id);
  if (it == accounts.end()) return std::nullopt;
  AccountSource source;
  source.follow_requests_count = tx.exec_params1(
                                       "SELECT count(*) FROM follows WHERE target_account_id = $1"
                                       " AND state = 'pending'",
                                       account_id)[0]
                                     .as<std::int64_t>();
  if (auto settings = db::account_settings(tx, account_id)) {
    source.note = settings->note_source.value_or("");
    source.privacy = settings->default_privacy;
    source.sensitive = settings->default_sensitive;
    source.language = settings->default_language;
    source.fields.emplace();
    for (const db::ProfileFieldSource& field : settings->fields)
      source.fields->push_back({field.name, field.value});
  }
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

// PATCH /api/v1/accounts/update_credentials. Every value is checked before
// anything is written: a bad one is a 422 and changes nothing.
http::Handler update_credentials(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    const json body = json_body(request);
    const std::string& host = routes.context.config.host;
    auto ours = ap::normalize_authority(host);
    const std::string our_host = ours ? ours.authority : host;

    db::CredentialsChange change;
    if (auto name = params.first("display_name")) {
      if (!http::valid_utf8(*name) || count_characters(*name) > kMaxDisplayNameCharacters)
        co_return unprocessable("Display name is too long (maximum is 30 characters)");
      change.display_name = *name;
    }
    std::optional<std::string> note = params.first("note");
    if (note && (!http::valid_utf8(*note) || count_characters(*note) > kMaxNoteCharacters))
      co_return unprocessable("Note is too long (maximum is 500 characters)");
    struct NamedBool {
      const char* name;
      std::optional<bool>* target;
    };
    const NamedBool flags[] = {{"locked", &change.locked},
                               {"bot", &change.bot},
                               {"discoverable", &change.discoverable},
                               {"hide_collections", &change.hide_collections},
                               {"indexable", &change.indexable}};
    for (const NamedBool& flag : flags) {
      const BoolParam value = bool_param(params.first(flag.name));
      if (value.bad) co_return unprocessable(std::string(flag.name) + " is not a boolean");
      *flag.target = value.value;
    }
    if (auto fields = requested_fields(params, body)) {
      std::vector<db::ProfileFieldSource> stored;
      for (FieldInput& field : *fields) {
        if (field.name.empty() && field.value.empty()) continue;  // Mastodon drops blank ones
        if (!http::valid_utf8(field.name) || !http::valid_utf8(field.value) ||
            count_characters(field.name) > kMaxFieldCharacters ||
            count_characters(field.value) > kMaxFieldCharacters)
          co_return unprocessable("Fields are too long (maximum is 255 characters)");
        stored.push_back({field.name, field_html(field.value, host), field.value});
      }
      if (stored.size() > kMaxProfileFields)
        co_return unprocessable("Fields are too many (maximum is 4)");
      change.fields = std::move(stored);
    }
    if (auto privacy = source_param(params, body, "privacy")) {
      if (*privacy != "public" && *privacy != "unlisted" && *privacy != "private")
        co_return unprocessable("Default privacy is not included in the list");
      change.default_privacy = *privacy;
    }
    if (auto sensitive = source_param(params, body, "sensitive")) {
      const BoolParam value = bool_param(sensitive);
      if (value.bad) co_return unprocessable("Default sensitive is not a boolean");
      change.default_sensitive = value.value;
    }
    if (auto language = source_param(params, body, "language")) {
      std::string code = *language;
      std::transform(code.begin(), code.end(), code.begin(),
                     [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
      if (!code.empty() && !valid_language(code))
        co_return unprocessable("Default language is not a language code");
      change.default_language = code;
    }
    // Avatar and header images (the multipart file parts `avatar` and
    // `header`): processed and stored by media.cpp, which gives the URL.
    for (auto [name, target] :
         {std::pair{"avatar", &change.avatar_url}, std::pair{"header", &change.header_url}}) {
      if (const UploadedFile* file = params.file(name)) {
        auto stored = co_await store_profile_image(routes, *file);
        if (auto* error = std::get_if<http::Response>(&stored)) co_return std::move(*error);
        *target = std::get<std::string>(stored);
      }
    }

    auto account = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::work tx(c);
      if (note) {
        change.note_source = *note;
        change.note_html =
            note->empty()
                ? std::string()
                : render_status_html(*note, known_mentions(tx, parse_status_text(*note), our_host),
                                     host);
      }
      db::update_credentials(tx, caller.account_id, change);
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

// GET /api/v1/accounts?id[]=1&id[]=2 (Mastodon 4.3): the ones that exist
// and are not suspended, in the order asked, each once.
http::Handler get_accounts(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    std::vector<std::int64_t> ids;
    for (const std::string& value : std::get<Params>(parsed).all("id")) {
      auto id = parse_id(value);
      if (!id || std::find(ids.begin(), ids.end(), *id) != ids.end()) continue;
      if (ids.size() >= kMaxAccountIds) break;
      ids.push_back(*id);
    }
    const std::string& host = routes.context.config.host;
    json accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_accounts(tx, ids, host);
    });
    co_return json_ok(accounts);
  };
}

// username and domain of an acct ("alice", "@alice", "bob@remote.example",
// "alice@<our host>"); nullopt when it is not one.
struct AcctParts {
  std::string username;
  std::string domain;  // "" for a local account
};
std::optional<AcctParts> split_acct(std::string acct, const std::string& our_host) {
  if (acct.empty() || acct.size() > kMaxAcctLength) return std::nullopt;
  if (acct.front() == '@') acct.erase(0, 1);
  if (acct.find('@') == std::string::npos) {
    if (acct.empty()) return std::nullopt;
    return AcctParts{acct, ""};
  }
  auto handle = ap::parse_acct(acct);
  if (!handle) return std::nullopt;
  AcctParts parts{handle.acct->user, handle.acct->host};
  auto ours = ap::normalize_authority(our_host);
  if (ours && parts.domain == ours.authority) parts.domain.clear();
  return parts;
}

// GET /api/v1/accounts/lookup?acct=alice or bob@remote.example: from the
// database, or a remote account through WebFinger.
http::Handler lookup_account(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::string& host = routes.context.config.host;
    auto acct = split_acct(request.query_param("acct").value_or(""), host);
    if (!acct) co_return not_found();
    auto found = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      std::optional<json> out;
      if (auto id = db::account_id_by_acct(tx, acct->username, acct->domain))
        out = render_account(tx, *id, host);
      return out;
    });
    if (!found && !acct->domain.empty()) {
      if (auto remote = co_await routes.context.actors.by_acct(acct->username, acct->domain)) {
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

// GET /api/v1/accounts/search?q=: accounts whose username or display name
// starts with the query (an exact acct first), or, with resolve=true and a
// full user@host, that account fetched through WebFinger (as
// /api/v2/search does). following=true keeps the ones the caller follows.
http::Handler search_accounts(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    const Params& params = std::get<Params>(parsed);
    std::string q = params.first("q").value_or("");
    while (!q.empty() && q.front() == ' ') q.erase(0, 1);
    while (!q.empty() && q.back() == ' ') q.pop_back();
    if (q.size() > kMaxSearchQueryLength || !http::valid_utf8(q))
      co_return unprocessable("Query is too long");
    db::AccountSearch search;
    search.viewer = caller.account_id;
    search.limit = kSearchDefaultLimit;
    if (auto limit = params.first("limit"))
      if (auto n = parse_id(*limit)) search.limit = std::min<std::size_t>(*n, kSearchMaxLimit);
    if (auto offset = params.first("offset"))
      if (auto n = parse_id(*offset)) search.offset = std::min(*n, kMaxSearchOffset);
    search.following_only = parse_bool(params.first("following")).value_or(false);
    const bool resolve = parse_bool(params.first("resolve")).value_or(false);
    const std::string& host = routes.context.config.host;
    if (q.empty()) co_return json_ok(json::array());

    const auto acct = q.find('@', 1) != std::string::npos ? split_acct(q, host) : std::nullopt;
    if (acct) {
      search.exact_username = acct->username;
      search.exact_domain = acct->domain;
    }
    search.text = q.front() == '@' ? q.substr(1) : q;
    if (acct) search.text = acct->username;
    std::vector<std::int64_t> ids = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::search_accounts(tx, search);
    });
    // resolve=true with user@host that the database does not have: WebFinger.
    if (resolve && acct && !acct->domain.empty() && search.offset == 0) {
      const bool known = co_await routes.context.pool.run([&](pqxx::connection& c) {
        pqxx::read_transaction tx(c);
        return db::account_id_by_acct(tx, acct->username, acct->domain).has_value();
      });
      if (!known) {
        if (auto remote = co_await routes.context.actors.by_acct(acct->username, acct->domain))
          if (!search.following_only) ids.insert(ids.begin(), remote->id);
      }
    }
    json accounts = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_accounts(tx, ids, host);
    });
    co_return json_ok(accounts);
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
    db::AccountStatusFilter filter;
    filter.exclude_replies = parse_bool(params.first("exclude_replies")).value_or(false);
    filter.exclude_reblogs = parse_bool(params.first("exclude_reblogs")).value_or(false);
    filter.only_media = parse_bool(params.first("only_media")).value_or(false);
    filter.exclude_sensitive = parse_bool(params.first("exclude_sensitive")).value_or(false);
    filter.pinned = parse_bool(params.first("pinned")).value_or(false);
    filter.tagged = normalised_tag_name(params.first("tagged").value_or(""));
    if (filter.tagged.size() > kMaxTagNameLength) co_return json_ok(json::array());
    const std::string& host = routes.context.config.host;
    std::vector<std::int64_t> ids;
    auto statuses = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      auto account = db::account_views(tx, {*id});
      if (account.empty() || account.begin()->second.suspended) return out;
      ids = db::account_statuses(tx, *id, viewer, filter, page);
      out = render_statuses(tx, ids, viewer, routes, FilterContext::account);
      return out;
    });
    if (!statuses) co_return not_found();
    http::Response response = json_ok(*statuses);
    set_link_header(response, host, request.path, ids, page.limit, &params,
                    {"exclude_replies", "exclude_reblogs", "only_media", "exclude_sensitive",
                     "pinned", "tagged"});
    co_return response;
  };
}

// followers / following: accounts, paged by the follow's id; nothing for
// others when the account hides its collections (Mastodon 4.1), or when
// it blocks the viewer.
http::Handler follow_list(ApiRoutes& routes, bool followers) {
  return [&routes, followers](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
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
      auto views = db::account_views(tx, {*id});
      if (views.empty() || views.begin()->second.suspended) return out;
      const bool hidden =
          viewer != *id && (views.begin()->second.hide_collections ||
                            (viewer != 0 && db::find_block(tx, *id, viewer).has_value()));
      std::vector<std::int64_t> account_ids;
      if (!hidden) {
        auto entries =
            followers ? db::followers_page(tx, *id, page) : db::following_page(tx, *id, page);
        for (const auto& entry : entries) {
          cursors.push_back(entry.cursor);
          account_ids.push_back(entry.account_id);
        }
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

// Endpoints kith answers with an empty list: featured hashtags (kith has
// none) and identity proofs (deprecated by Mastodon 3.5), for an account
// that exists.
http::Handler empty_account_list(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:accounts");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const bool exists = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      auto views = db::account_views(tx, {*id});
      return !views.empty() && !views.begin()->second.suspended;
    });
    if (!exists) co_return not_found();
    co_return json_ok(json::array());
  };
}

}  // namespace

void add_account_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/accounts/verify_credentials", verify_credentials(routes));
  router.add("PATCH", "/api/v1/accounts/update_credentials", update_credentials(routes),
             profile_upload_limit(routes));
  router.add("GET", "/api/v1/accounts/lookup", lookup_account(routes));
  router.add("GET", "/api/v1/accounts/search", search_accounts(routes));
  router.add("GET", "/api/v1/accounts", get_accounts(routes));
  router.add("GET", "/api/v1/accounts/:id", get_account(routes));
  router.add("GET", "/api/v1/accounts/:id/statuses", account_statuses(routes));
  router.add("GET", "/api/v1/accounts/:id/followers", follow_list(routes, true));
  router.add("GET", "/api/v1/accounts/:id/following", follow_list(routes, false));
  router.add("GET", "/api/v1/accounts/:id/featured_tags", empty_account_list(routes));
  router.add("GET", "/api/v1/accounts/:id/identity_proofs", empty_account_list(routes));
}

}  // namespace kith::api
