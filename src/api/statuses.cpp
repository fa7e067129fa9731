// Statuses: post, read, edit, delete, favourite, boost, and the thread
// around one (Mastodon's app/controllers/api/v1/statuses_controller.rb and
// its statuses/* controllers; PostStatusService, ProcessMentionsService).
//
// Every action that changes something writes its rows and queues its
// activity (kith::ap::outbox) in ONE transaction, then wakes the delivery
// queue: a status is never posted without its deliveries, nor delivered
// without being posted. Mentions are resolved before the transaction
// (@user@host may need WebFinger and the actor document, which is network
// work that must not hold a database connection).
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/ap/acct.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/local_urls.hpp"
#include "kith/ap/outbox.hpp"
#include "kith/api/status_text.hpp"
#include "kith/db/accounts.hpp"
#include "kith/db/local_actions.hpp"
#include "kith/http/url.hpp"
#include "media_support.hpp"
#include "polls.hpp"
#include "status_posting.hpp"

namespace kith::api {
namespace {

using json = nlohmann::json;

// Longest language tag accepted (BCP 47 tags in use are far shorter).
constexpr std::size_t kMaxLanguageLength = 16;
// Most ancestors and descendants GET /context returns to a signed-in
// caller (Mastodon's CONTEXT_LIMIT is 4,096, "quasi-unlimited"; kith keeps
// each request's cost bounded), and to anyone else: Mastodon's
// ANCESTORS_LIMIT, DESCENDANTS_LIMIT and DESCENDANTS_DEPTH_LIMIT.
constexpr std::size_t kMaxContextStatuses = 100;
constexpr std::size_t kAnonymousContextAncestors = 40;
constexpr std::size_t kAnonymousContextDescendants = 60;
constexpr std::size_t kAnonymousContextDepth = 20;

std::string lower(std::string s) {
  for (char& c : s)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return s;
}

struct ResolvedMentions {
  std::vector<std::int64_t> account_ids;
  std::vector<ResolvedMention> links;
};

// Each mention of `parsed` as an account: local ones (no host, or ours) and
// remote ones already known from the database, the rest through WebFinger
// (RemoteActors::by_acct). A mention that resolves to nothing stays text.
boost::asio::awaitable<ResolvedMentions> resolve_mentions(ApiContext& context,
                                                          const ParsedText& parsed) {
  auto ours = ap::normalize_authority(context.config.host);
  const std::string host = ours ? ours.authority : lower(context.config.host);
  struct Lookup {
    std::string username, domain, written_domain;
    std::optional<std::int64_t> id;
    std::string url;
  };
  std::vector<Lookup> lookups;
  for (const ParsedMention& m : parsed.mentions)
    lookups.push_back({m.username, m.domain == host ? "" : m.domain, m.domain, {}, {}});
  co_await context.pool.run([&lookups](pqxx::connection& c) {
    pqxx::read_transaction tx(c);
    for (Lookup& l : lookups) {
      l.id = db::account_id_by_acct(tx, l.username, l.domain);
      if (l.id) {
        auto accounts = db::account_views(tx, {*l.id});
        if (auto it = accounts.find(*l.id); it != accounts.end() && !it->second.suspended) {
          l.username = it->second.username;
          l.url = it->second.url.empty() ? it->second.uri : it->second.url;
        } else {
          l.id.reset();
        }
      }
    }
    return 0;
  });
  ResolvedMentions out;
  for (Lookup& l : lookups) {
    if (!l.id && !l.domain.empty()) {
      auto remote = co_await context.actors.by_acct(l.username, l.domain);
      if (remote && !remote->suspended) {
        l.id = remote->id;
        l.username = remote->username;
        l.url = remote->url.empty() ? remote->uri : remote->url;
      }
    }
    if (!l.id) continue;
    if (std::find(out.account_ids.begin(), out.account_ids.end(), *l.id) == out.account_ids.end())
      out.account_ids.push_back(*l.id);
    out.links.push_back({l.username, l.written_domain, l.url});
  }
  co_return out;
}

// What a post or an edit says, read and checked.
struct Composition {
  std::string text;
  std::string spoiler_text;
  bool sensitive = false;
  std::string language;
  std::string visibility = "public";
  // What the request left out takes the author's preferences (users.default_*).
  bool sensitive_given = false, language_given = false, visibility_given = false;
  std::optional<std::int64_t> in_reply_to_id;
  std::vector<std::int64_t> media_ids;  // in order; the caller's own uploads (media.cpp)
};

// The error to answer, or "" when `params` make a valid status.
std::string read_composition(const Params& params, Composition& out, bool editing) {
  out.text = params.first("status").value_or("");
  out.spoiler_text = params.first("spoiler_text").value_or("");
  const std::optional<bool> sensitive = parse_bool(params.first("sensitive"));
  out.sensitive = sensitive.value_or(false);
  out.sensitive_given = sensitive.has_value();
  out.language = params.first("language").value_or("");
  out.language_given = !out.language.empty();
  if (std::string error = read_media_ids(params, out.media_ids); !error.empty()) return error;
  if (has_poll(params) && !editing) {  // an edit leaves the poll as it is
    db::NewPoll poll;
    if (std::string error = read_new_poll(params, poll); !error.empty()) return error;
    if (!out.media_ids.empty()) return "Polls and media attachments cannot be combined";
  }
  if (out.text.empty() && out.media_ids.empty()) return "Text can't be blank";
  if (count_characters(out.text) + count_characters(out.spoiler_text) > kMaxStatusCharacters)
    return "Text character limit of " + std::to_string(kMaxStatusCharacters) + " exceeded";
  if (out.language.size() > kMaxLanguageLength) return "Language is not a valid language tag";
  if (!http::valid_utf8(out.text) || !http::valid_utf8(out.spoiler_text))
    return "Text is not valid UTF-8";
  if (editing) return "";
  const std::optional<std::string> visibility = params.first("visibility");
  out.visibility = visibility && !visibility->empty() ? *visibility : "public";
  out.visibility_given = visibility && !visibility->empty();
  // glitch-soc's local_only=true and kith's visibility=local: never federated.
  if (parse_bool(params.first("local_only")).value_or(false)) out.visibility = "local";
  if (out.visibility != "public" && out.visibility != "unlisted" && out.visibility != "private" &&
      out.visibility != "direct" && out.visibility != "local")
    return "Visibility is not included in the list";
  if (auto reply = params.first("in_reply_to_id"); reply && !reply->empty()) {
    out.in_reply_to_id = parse_id(*reply);
    if (!out.in_reply_to_id) return "In reply to status is not a valid id";
  }
  return "";
}

http::Response forbidden() {
  return http::error_response(403, "This action is not allowed");
}

// The status :id that the caller may see, or nullopt.
bool visible(pqxx::transaction_base& tx, std::int64_t id, std::int64_t viewer) {
  return !db::status_views(tx, {id}, viewer).empty();
}

http::Handler create_status(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    Params& params = std::get<Params>(parsed);  // a JSON poll is added below

    const std::string key(request.header("Idempotency-Key").value_or(""));
    if (key.size() > IdempotencyKeys::kMaxKeyLength)
      co_return unprocessable("Idempotency-Key is too long");
    if (!key.empty()) {
      if (auto earlier = routes.idempotency.find(caller.account_id, key)) {
        const std::int64_t id = *earlier;
        auto rendered = co_await routes.context.pool.run([&](pqxx::connection& c) {
          pqxx::read_transaction tx(c);
          return render_status(tx, id, caller.account_id, routes);
        });
        if (rendered) co_return json_ok(*rendered);
      }
    }

    // A JSON poll is an object, which Params leaves out: look for it here.
    if (http::iequals(request.header("Content-Type").value_or("").substr(0, 16),
                      "application/json")) {
      const json body = json::parse(request.body, nullptr, false);
      if (body.is_object() && body.contains("poll") && body["poll"].is_object())
        add_json_poll(params, body["poll"]);
    }
    if (auto when = params.first("scheduled_at"); when && !when->empty()) {
      Composition later;  // checked now, as Mastodon does, and again when posted
      if (std::string error = read_composition(params, later, false); !error.empty())
        co_return unprocessable(error);
      co_return co_await schedule_status(routes, caller, params, *when, key);
    }

    const PostOutcome posted = co_await post_status(routes.context, caller.account_id, params);
    if (posted.http_status != 200) co_return http::error_response(posted.http_status, posted.error);
    auto created = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_status(tx, posted.status_id, caller.account_id, routes);
    });
    if (!created) co_return not_found();
    if (!key.empty()) routes.idempotency.remember(caller.account_id, key, posted.status_id);
    co_return json_ok(*created);
  };
}

http::Handler get_status(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto status = co_await routes.context.pool.run([&](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return render_status(tx, *id, viewer, routes);
    });
    if (!status) co_return not_found();
    co_return json_ok(*status);
  };
}

http::Handler status_context(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate_optional(routes, request, "read:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const std::int64_t viewer = std::get<std::optional<Caller>>(auth).value_or(Caller{}).account_id;
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto context = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::read_transaction tx(c);
      if (!visible(tx, *id, viewer)) return out;
      const bool anonymous = viewer == 0;
      const auto ancestors =
          db::ancestors(tx, *id, anonymous ? kAnonymousContextAncestors : kMaxContextStatuses);
      const auto descendants =
          anonymous ? db::descendants(tx, *id, kAnonymousContextDescendants, kAnonymousContextDepth)
                    : db::descendants(tx, *id, kMaxContextStatuses);
      out = json{
          {"ancestors", render_statuses(tx, ancestors, viewer, routes, FilterContext::thread)},
          {"descendants", render_statuses(tx, descendants, viewer, routes, FilterContext::thread)}};
      return out;
    });
    if (!context) co_return not_found();
    co_return json_ok(*context);
  };
}

// The caller's own original, not deleted, local status :id, or nullopt.
std::optional<db::StatusRow> own_status(pqxx::transaction_base& tx, std::int64_t id,
                                        std::int64_t account_id) {
  auto row = db::status_row(tx, id);
  if (!row || row->account_id != account_id || !row->local || row->deleted ||
      row->reblog_of_id != 0)
    return std::nullopt;
  return row;
}

http::Handler edit_status(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    Composition edit;
    if (std::string error = read_composition(std::get<Params>(parsed), edit, true); !error.empty())
      co_return unprocessable(error);
    const ParsedText parsed_text = parse_status_text(edit.text);
    const ResolvedMentions mentions = co_await resolve_mentions(routes.context, parsed_text);
    const std::string& host = routes.context.config.host;
    bool media_refused = false;
    auto edited = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::work tx(c);
      auto row = own_status(tx, *id, caller.account_id);
      if (!row) return out;
      db::NewStatus status;
      status.id = *id;
      status.account_id = caller.account_id;
      status.text = edit.text;
      status.content = render_status_html(edit.text, mentions.links, host);
      status.spoiler_text = edit.spoiler_text;
      status.sensitive = edit.sensitive || !edit.spoiler_text.empty();
      status.language = edit.language;
      status.mentioned_account_ids = mentions.account_ids;
      std::erase(status.mentioned_account_ids, caller.account_id);
      status.tags = parsed_text.hashtags;
      db::update_local_status(tx, status);  // keeps the version it replaces
      if (!db::replace_status_media(tx, *id, caller.account_id, edit.media_ids)) {
        media_refused = true;
        return out;  // rolled back
      }
      ap::outbox::update_status(tx, host, *id);
      out = render_status(tx, *id, caller.account_id, routes);
      tx.commit();
      return out;
    });
    if (media_refused) co_return unprocessable(kMediaNotAttachable);
    if (!edited) co_return not_found();
    routes.context.wake_delivery();
    co_return json_ok(*edited);
  };
}

http::Handler delete_status(ApiRoutes& routes) {
  return [&routes](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto deleted = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::work tx(c);
      // Deleting one's own boost undoes it, as Mastodon allows.
      if (auto row = db::status_row(tx, *id);
          row && row->reblog_of_id != 0 && row->local && row->account_id == caller.account_id) {
        out = render_status(tx, *id, caller.account_id, routes);
        ap::outbox::unannounce(tx, host, *id);
        db::delete_status_row(tx, *id);
        tx.commit();
        return out;
      }
      if (!own_status(tx, *id, caller.account_id)) return out;
      // Rendered (with its source text, for "delete and redraft") and its
      // Delete queued while it still exists.
      out = render_status(tx, *id, caller.account_id, routes, true);
      ap::outbox::delete_status(tx, host, *id);
      db::mark_status_deleted(tx, *id);
      tx.commit();
      return out;
    });
    if (!deleted) co_return not_found();
    routes.context.wake_delivery();
    co_return json_ok(*deleted);
  };
}

// favourite / unfavourite.
http::Handler favourite(ApiRoutes& routes, bool add) {
  return [&routes, add](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:favourites");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    const std::string& host = routes.context.config.host;
    auto result = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::work tx(c);
      if (!visible(tx, *id, caller.account_id)) return out;
      auto status = db::status_row(tx, *id);
      auto me = db::account_ref(tx, caller.account_id);
      if (!status || !me || status->reblog_of_id != 0) return out;
      auto existing = db::find_local_favourite(tx, caller.account_id, *id);
      if (add && !existing) {
        const std::int64_t favourite_id = db::next_id(tx);
        // false: a concurrent request favourited it first and queued the Like.
        if (db::insert_local_favourite(tx, favourite_id, me->id, *id,
                                       ap::urls::like_activity(me->uri, favourite_id)))
          ap::outbox::like(tx, host, favourite_id);
      } else if (!add && existing) {
        ap::outbox::unlike(tx, host, *existing);
        db::delete_favourite(tx, *existing);
      }
      out = render_status(tx, *id, caller.account_id, routes);
      tx.commit();
      return out;
    });
    if (!result) co_return not_found();
    routes.context.wake_delivery();
    co_return json_ok(*result);
  };
}

// reblog / unreblog. A boost of a boost boosts the original; only public
// and unlisted statuses can be boosted (Mastodon's StatusPolicy#reblog?).
http::Handler reblog(ApiRoutes& routes, bool add) {
  return [&routes, add](http::Request& request) -> boost::asio::awaitable<http::Response> {
    auto auth = co_await authenticate(routes, request, "write:statuses");
    if (auto* error = std::get_if<http::Response>(&auth)) co_return std::move(*error);
    const Caller caller = std::get<Caller>(auth);
    auto id = parse_id(request.params["id"]);
    if (!id) co_return not_found();
    auto parsed = read_params(request);
    if (auto* error = std::get_if<http::Response>(&parsed)) co_return std::move(*error);
    std::string visibility = std::get<Params>(parsed).first("visibility").value_or("public");
    if (visibility != "public" && visibility != "unlisted")
      co_return unprocessable("Visibility is not included in the list");
    const std::string& host = routes.context.config.host;
    enum class Outcome { ok, not_found, forbidden };
    Outcome outcome = Outcome::ok;
    auto result = co_await routes.context.pool.run([&](pqxx::connection& c) {
      std::optional<json> out;
      pqxx::work tx(c);
      if (!visible(tx, *id, caller.account_id)) {
        outcome = Outcome::not_found;
        return out;
      }
      auto status = db::status_row(tx, *id);
      if (status && status->reblog_of_id != 0) status = db::status_row(tx, status->reblog_of_id);
      auto me = db::account_ref(tx, caller.account_id);
      if (!status || !me) {
        outcome = Outcome::not_found;
        return out;
      }
      if (add && status->visibility != "public" && status->visibility != "unlisted") {
        outcome = Outcome::forbidden;
        return out;
      }
      auto existing = db::find_local_reblog(tx, caller.account_id, status->id);
      std::int64_t shown = status->id;
      if (add) {
        if (existing) {
          shown = *existing;
        } else {
          const std::int64_t reblog_id = db::next_id(tx);
          if (db::insert_local_reblog(tx, reblog_id, me->id, status->id,
                                      ap::urls::status(me->uri, reblog_id), visibility)) {
            ap::outbox::announce(tx, host, reblog_id);
            shown = reblog_id;
          } else if (auto raced = db::find_local_reblog(tx, caller.account_id, status->id)) {
            shown = *raced;  // a concurrent request boosted it first
          }
        }
      } else if (existing) {
        ap::outbox::unannounce(tx, host, *existing);
        db::delete_status_row(tx, *existing);
      }
      out = render_status(tx, shown, caller.account_id, routes);
      tx.commit();
      return out;
    });
    if (outcome == Outcome::forbidden) co_return forbidden();
    if (!result) co_return not_found();
    routes.context.wake_delivery();
    co_return json_ok(*result);
  };
}

}  // namespace

boost::asio::awaitable<PostOutcome> post_status(ApiContext& context, std::int64_t account_id,
                                                const Params& params,
                                                const AlsoInTransaction& also) {
  PostOutcome outcome;
  Composition post;
  if (std::string error = read_composition(params, post, false); !error.empty()) {
    outcome.http_status = 422;
    outcome.error = "Validation failed: " + error;
    co_return outcome;
  }
  const ParsedText parsed_text = parse_status_text(post.text);
  const ResolvedMentions mentions = co_await resolve_mentions(context, parsed_text);
  const std::string& host = context.config.host;

  co_await context.pool.run([&](pqxx::connection& c) {
    pqxx::work tx(c);
    if (post.in_reply_to_id && !visible(tx, *post.in_reply_to_id, account_id)) {
      outcome.http_status = 404;
      outcome.error = "Record not found";
      return 0;
    }
    auto me = db::account_ref(tx, account_id);
    if (!me) {
      outcome.http_status = 404;
      outcome.error = "Record not found";
      return 0;
    }
    if (!post.visibility_given || !post.sensitive_given || !post.language_given) {
      if (auto settings = db::account_settings(tx, account_id)) {
        if (!post.visibility_given && post.visibility == "public")
          post.visibility = settings->default_privacy;
        if (!post.sensitive_given) post.sensitive = settings->default_sensitive;
        if (!post.language_given) post.language = settings->default_language;
      }
    }
    db::NewStatus status;
    status.id = db::next_id(tx);
    status.account_id = me->id;
    status.uri = ap::urls::status(me->uri, status.id);
    status.url = ap::urls::status_page(host, me->username, status.id);
    status.text = post.text;
    status.content = render_status_html(post.text, mentions.links, host);
    status.spoiler_text = post.spoiler_text;
    status.sensitive = post.sensitive || !post.spoiler_text.empty();
    status.visibility = post.visibility;
    status.language = post.language;
    status.in_reply_to_id = post.in_reply_to_id;
    status.mentioned_account_ids = mentions.account_ids;
    // One's own account is never a mention to deliver to.
    std::erase(status.mentioned_account_ids, me->id);
    status.tags = parsed_text.hashtags;
    db::insert_local_status(tx, status);
    if (!db::attach_media(tx, status.id, me->id, post.media_ids)) {
      outcome.http_status = 422;
      outcome.error = "Validation failed: " + std::string(kMediaNotAttachable);
      return 0;  // rolled back
    }
    if (has_poll(params)) {
      db::NewPoll poll;
      read_new_poll(params, poll);  // read_composition checked it
      db::insert_local_poll(tx, status.id, poll);
    }
    ap::outbox::create_status(tx, host, status.id);
    if (also && !also(tx)) {
      outcome.http_status = 409;
      outcome.error = "The post was given up";
      return 0;  // rolled back
    }
    tx.commit();
    outcome.status_id = status.id;
    return 0;
  });
  if (outcome.status_id != 0) context.wake_delivery();
  co_return outcome;
}

void add_status_routes(http::Router& router, ApiRoutes& routes) {
  router.add("POST", "/api/v1/statuses", create_status(routes));
  router.add("GET", "/api/v1/statuses/:id", get_status(routes));
  router.add("PUT", "/api/v1/statuses/:id", edit_status(routes));
  router.add("DELETE", "/api/v1/statuses/:id", delete_status(routes));
  router.add("GET", "/api/v1/statuses/:id/context", status_context(routes));
  router.add("POST", "/api/v1/statuses/:id/favourite", favourite(routes, true));
  router.add("POST", "/api/v1/statuses/:id/unfavourite", favourite(routes, false));
  router.add("POST", "/api/v1/statuses/:id/reblog", reblog(routes, true));
  router.add("POST", "/api/v1/statuses/:id/unreblog", reblog(routes, false));
}

std::optional<std::int64_t> IdempotencyKeys::find(std::int64_t account_id, const std::string& key) {
  std::lock_guard lock(mutex_);
  auto it = entries_.find({account_id, key});
  if (it == entries_.end()) return std::nullopt;
  if (it->second.second < std::chrono::steady_clock::now()) {
    entries_.erase(it);
    return std::nullopt;
  }
  return it->second.first;
}

void IdempotencyKeys::remember(std::int64_t account_id, const std::string& key,
                               std::int64_t status_id) {
  std::lock_guard lock(mutex_);
  const auto now = std::chrono::steady_clock::now();
  if (entries_.size() >= kMaxIdempotencyKeys)
    std::erase_if(entries_, [now](const auto& entry) { return entry.second.second < now; });
  if (entries_.size() >= kMaxIdempotencyKeys) return;
  entries_[{account_id, key}] = {status_id, now + kLifetime};
}

}  // namespace kith::api
