// RemoteActors (fetcher.hpp): remote accounts from their actor documents.
//
// An account row is only ever written from a document the Fetcher got from
// the actor's own URL, after the checks in to_remote_actor: a
// preferredUsername, a key whose owner is the actor and whose id is on the
// actor's origin (else the key is dropped: the account is kept, but nothing
// it signs verifies), a profile url kept only on the actor's origin, and
// HTML reduced by sanitize_html. Ids are stored in
// their normal form (http::parse_url), so that comparing an activity's actor
// with a signer's account is a plain string comparison after normalising the
// former. Key ids are looked up exactly as normalised, fragment included.
//
// Names. An actor's `name` and a profile field's `name` are plain text in
// ActivityStreams as Mastodon reads them (only summary and field values are
// HTML); they are stored as given (the reader has bounded them and refused
// U+0000) and escaped wherever they are shown, never sanitised as HTML
// (which would turn "a < b" into "a &lt; b" and show the entity).
#include <spdlog/spdlog.h>

#include <ctime>
#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "kith/ap/acct.hpp"
#include "kith/ap/content_negotiation.hpp"
#include "kith/ap/fetcher.hpp"
#include "kith/ap/html_sanitizer.hpp"
#include "kith/db/pool.hpp"
#include "kith/http/client.hpp"

namespace kith::ap {
namespace {

// The normal form of an id, or "" when it does not parse.
std::string normal_id(std::string_view id) {
  const http::UrlResult parsed = http::parse_url(id);
  return parsed ? parsed.url->text() : std::string();
}

// "2026-11-25T16:15:47.123Z" (what db::AccountRef::last_fetched_at holds).
std::optional<std::chrono::system_clock::time_point> parse_iso_time(const std::string& text) {
  std::tm tm{};
  int millis = 0;
  if (std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ", &tm.tm_year, &tm.tm_mon,
                  &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &millis) < 6)
    return std::nullopt;
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  const std::time_t seconds = timegm(&tm);
  if (seconds == -1) return std::nullopt;
  return std::chrono::system_clock::from_time_t(seconds) + std::chrono::milliseconds(millis);
}

bool fresh(const db::AccountRef& account) {
  if (account.local()) return true;
  const auto fetched = last_fetched(account);
  return fetched && std::chrono::system_clock::now() - *fetched < kActorRefreshAfter;
}

// Writes a checked actor and reads it back as an account.
boost::asio::awaitable<std::optional<db::AccountRef>> store(db::Pool& pool,
                                                            const db::RemoteActorData& data) {
  std::optional<db::AccountRef> account = co_await pool.run([&data](pqxx::connection& c) {
    pqxx::work tx(c);
    const std::int64_t id = db::upsert_remote_account(tx, data);
    tx.commit();
    return db::find_account_by_id(c, id);
  });
  co_return account;
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> last_fetched(const db::AccountRef& account) {
  if (account.local()) return std::nullopt;
  return parse_iso_time(account.last_fetched_at);
}

std::optional<db::RemoteActorData> to_remote_actor(const Actor& actor, std::string_view id) {
  const http::UrlResult parsed = http::parse_url(id);
  if (!parsed) return std::nullopt;
  if (actor.preferred_username.empty()) {
    spdlog::info("actor {}: no preferredUsername; not stored", id);
    return std::nullopt;
  }
  db::RemoteActorData data;
  data.username = actor.preferred_username;
  data.domain = parsed.url->origin.authority();
  data.display_name = actor.name;
  data.note = sanitize_html(actor.summary).value_or("");
  data.uri = std::string(id);
  // The profile page link must be on the actor's own origin, as a status's
  // url must (status_from_object): else eve@evil could publish bob's page as
  // hers and be what a search for that page finds.
  if (const http::UrlResult url = http::parse_url(actor.url);
      url && http::same_origin(url.url->origin, parsed.url->origin)) {
    data.url = actor.url;
  } else if (!actor.url.empty()) {
    spdlog::info("actor {}: url {} is not on the actor's origin; not kept", id, actor.url);
  }
  data.inbox_url = actor.inbox;
  data.outbox_url = actor.outbox;
  data.shared_inbox_url = actor.shared_inbox;
  data.followers_url = actor.followers;
  data.following_url = actor.following;
  data.featured_url = actor.featured;
  if (actor.public_key) {
    const PublicKey& key = *actor.public_key;
    const http::UrlResult key_id = http::parse_url(key.id);
    // The key's owner must be this actor, and its id on the actor's origin
    // (Misskey CVE-2024-52591: signer and actor on different hosts).
    if (normal_id(key.owner) != data.uri) {
      spdlog::info("actor {}: publicKey.owner {} is not the actor; key dropped", id, key.owner);
    } else if (!key_id || key_id.url->origin != parsed.url->origin) {
      spdlog::info("actor {}: publicKey.id {} is not on the actor's origin; key dropped", id,
                   key.id);
    } else {
      data.public_key_id = key_id.url->text();
      data.public_key_pem = key.pem;
    }
  }
  data.actor_type = actor.type.empty() ? "Person" : actor.type;
  data.locked = actor.manually_approves_followers;
  data.discoverable = actor.discoverable;
  data.bot = actor.type == "Service" || actor.type == "Application";
  data.avatar_url = actor.icon.url;
  data.header_url = actor.image.url;
  for (const ProfileField& field : actor.fields)
    data.fields.push_back({field.name, sanitize_html(field.value).value_or("")});
  for (const std::string& alias : actor.also_known_as)
    if (std::string normal = normal_id(alias); !normal.empty())
      data.also_known_as.push_back(std::move(normal));
  data.moved_to_uri = normal_id(actor.moved_to);
  return data;
}

RemoteActors::RemoteActors(Fetcher& fetcher, db::Pool& pool, std::string host)
    : fetcher_(fetcher), pool_(pool), host_(std::move(host)) {}

boost::asio::awaitable<std::optional<db::AccountRef>> RemoteActors::by_uri(std::string uri,
                                                                           Refresh refresh) {
  const http::UrlResult parsed = http::parse_url(uri);
  if (!parsed || parsed.url->has_fragment) co_return std::nullopt;
  const std::string normal = parsed.url->text();
  std::optional<db::AccountRef> known = co_await pool_.run(
      [&normal](pqxx::connection& c) { return db::find_account_by_uri(c, normal); });
  if (fetcher_.is_local(*parsed.url)) co_return known;
  if (known && refresh == Refresh::if_stale && fresh(*known)) co_return known;

  FetchResult fetched = co_await fetcher_.fetch(normal);
  if (!fetched || fetched.document->kind() != Kind::actor) {
    spdlog::info("actor {}: not fetched: {} {}", normal, describe(fetched.failure),
                 fetched ? "not an actor" : fetched.detail);
    // A stale row is better than none while its server is unreachable; a
    // forced refresh (a key that did not verify) gets nothing.
    if (known && refresh == Refresh::if_stale && fetched.failure != FetchFailure::gone)
      co_return known;
    co_return std::nullopt;
  }
  auto data = to_remote_actor(std::get<Actor>(fetched.document->value), fetched.url);
  if (!data) co_return std::nullopt;
  co_return co_await store(pool_, *data);
}

boost::asio::awaitable<std::optional<db::AccountRef>> RemoteActors::by_key_id(std::string key_id,
                                                                              Refresh refresh) {
  KeyLookup lookup = co_await lookup_key(std::move(key_id), refresh);
  co_return std::move(lookup.account);
}

boost::asio::awaitable<RemoteActors::KeyLookup> RemoteActors::lookup_key(std::string key_id,
                                                                         Refresh refresh) {
  KeyLookup result;
  const http::UrlResult parsed = http::parse_url(key_id);
  if (!parsed) {
    result.failure = FetchFailure::bad_url;
    result.detail = "keyId is not a URL";
    co_return result;
  }
  const std::string normal = parsed.url->text();
  std::optional<db::AccountRef> known = co_await pool_.run(
      [&normal](pqxx::connection& c) { return db::find_account_by_key_id(c, normal); });
  if (fetcher_.is_local(*parsed.url)) {
    result.account = std::move(known);
    if (!result.account) {
      result.failure = FetchFailure::local;
      result.detail = "no local account has this key";
    }
    co_return result;
  }
  if (known && refresh == Refresh::if_stale && fresh(*known)) {
    result.account = std::move(known);
    co_return result;
  }

  // The key id's document: the actor itself (Mastodon: <actor>#main-key),
  // or a stub whose id is the actor's (GoToSocial: <actor>/main-key), in
  // which case the actor is fetched from its own id, on the key's origin.
  // Either way the actor is stored only if it publishes this very key.
  FetchResult fetched = co_await fetcher_.fetch(parsed.url->text_without_fragment());
  if (fetched.failure == FetchFailure::id_mismatch && !fetched.claimed_id.empty()) {
    const http::UrlResult claimed = http::parse_url(fetched.claimed_id);
    if (claimed && claimed.url->origin == parsed.url->origin)
      fetched = co_await fetcher_.fetch(fetched.claimed_id);
  }
  if (fetched && fetched.document->kind() != Kind::actor) {
    fetched.failure = FetchFailure::invalid;
    fetched.detail = "the key id's document is not an actor";
  } else if (fetched) {
    auto data = to_remote_actor(std::get<Actor>(fetched.document->value), fetched.url);
    if (data && data->public_key_id == normal) {
      result.account = co_await store(pool_, *data);
      co_return result;
    }
    fetched.failure = FetchFailure::invalid;
    fetched.detail = "the actor " + fetched.url + " does not publish this key";
  }
  result.failure = fetched.failure == FetchFailure::none ? FetchFailure::invalid : fetched.failure;
  result.detail = fetched.detail;
  // A stale row is kept while the key's server cannot be reached; not after
  // a forced refresh, and not once the server says the key is gone.
  if (known && refresh == Refresh::if_stale && result.failure == FetchFailure::network) {
    result.account = std::move(known);
    result.failure = FetchFailure::none;
  }
  co_return result;
}

boost::asio::awaitable<std::optional<db::AccountRef>> RemoteActors::by_acct(std::string username,
                                                                            std::string host) {
  const AuthorityResult authority = normalize_authority(host);
  if (!authority || username.empty() || username.size() > kMaxAcctUserBytes) co_return std::nullopt;
  const bool local = authority.authority == fetcher_.host();
  const std::string domain = local ? std::string() : authority.authority;
  std::optional<db::AccountRef> known =
      co_await pool_.run([&username, &domain](pqxx::connection& c) {
        return db::find_account_by_acct(c, username, domain);
      });
  if (local) co_return known;
  if (known && fresh(*known)) co_return known;

  std::optional<std::string> self = co_await fetcher_.webfinger(username, authority.authority);
  if (!self) co_return known;  // stale, or nothing
  std::optional<db::AccountRef> account = co_await by_uri(*self, Refresh::always);
  // The handle must name the account it led to. (Servers whose handles are
  // on another domain than their actors, Mastodon's WEB_DOMAIN, are not
  // resolved by handle yet.)
  if (account && (account->domain != domain || !http::iequals(account->username, username))) {
    spdlog::info("acct {}@{} led to {}, which is {}@{}; refused", username, domain, account->uri,
                 account->username, account->domain);
    co_return std::nullopt;
  }
  co_return account;
}

}  // namespace kith::ap
