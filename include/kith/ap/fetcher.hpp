// Fetching from other servers: documents by URL, and remote actors (with
// their keys) by id, key id or acct: handle.
//
// Anything a remote server says about another server's object is a claim;
// what the object's own origin serves is the fact. The one idea: every
// document kith believes came through Fetcher::fetch, which asks the
// object's origin directly (through the one hardened http::Client, signed
// with the instance actor's key, as authorized-fetch servers require), takes
// only an ActivityStreams Content-Type and a 200, parses with read_document,
// and keeps the document only if its id is exactly the URL that answered
// (after redirects, without fragment) -- so a server can neither pass off its
// document as another's, nor be tricked into vouching for one. RemoteActors
// turns those documents into remote accounts (db/remote_accounts.hpp): cached
// in the database, refreshed when stale, re-fetched once on demand (a key
// that failed to verify may have been rotated).
// What it must never do: store an actor whose id is not the URL it was
// fetched from, store unsanitised HTML, or fetch a URL on this server's own
// host (local objects are read from the database).
#pragma once

#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "kith/ap/activity.hpp"
#include "kith/ap/rsa.hpp"
#include "kith/db/remote_accounts.hpp"
#include "kith/http/message.hpp"
#include "kith/http/url.hpp"

namespace kith::http {
class Client;
}
namespace kith::db {
class Pool;
}

namespace kith::ap {

// Largest JRD read; links beyond kMaxWebFingerLinks are not looked at.
inline constexpr std::size_t kMaxWebFingerBytes = 64 * 1024;
inline constexpr std::size_t kMaxWebFingerLinks = 64;

// A cached remote actor older than this is fetched again when used.
inline constexpr std::chrono::hours kActorRefreshAfter{24};

enum class FetchFailure {
  none,
  bad_url,       // not an https URL (or an allowlisted http one)
  local,         // a URL on this server: read the database instead
  network,       // the client's error (refused address, timeout, TLS...)
  gone,          // 404 or 410
  http_status,   // any other non-200
  content_type,  // not application/activity+json or ld+json with the AS profile
  invalid,       // read_document refused it
  id_mismatch,   // its id is not the URL that answered
};

// "id_mismatch"...: the enumerator's name, for logs and error bodies.
std::string_view describe(FetchFailure failure);

struct FetchResult {
  std::optional<Document> document;
  FetchFailure failure = FetchFailure::none;
  std::string detail;  // for logs
  int status = 0;      // the HTTP status of the answer; 0 when there was none
  std::string url;     // with a document: the URL that answered (= its id)
  std::string body;    // with a document: the JSON as served
  // id_mismatch only: the id the document claimed (normalised), which the
  // caller may fetch in turn (GoToSocial serves its key ids, …/main-key, as
  // a stub of the actor whose id is the actor's). Never believed as such.
  std::string claimed_id;
  explicit operator bool() const { return document.has_value(); }
};

// Whether a response's Content-Type is an ActivityStreams one:
// application/activity+json (any parameters), or application/ld+json whose
// profile list names https://www.w3.org/ns/activitystreams. Bare ld+json is
// refused (see fetcher.cpp on why and on Mastodon's difference).
bool is_activity_streams_content_type(std::string_view value);

// Date and Signature headers for a GET of `target` signed at `now` with
// `key` (cavage rsa-sha256 over (request-target) host date). Empty if
// signing fails.
std::vector<http::Header> signed_get_headers(const RsaPrivateKey& key, const std::string& key_id,
                                             const http::Url& target,
                                             std::chrono::system_clock::time_point now);

class Fetcher {
 public:
  // `host`: this server's configured authority (what its own URLs use).
  Fetcher(http::Client& client, db::Pool& pool, std::string host);
  ~Fetcher();
  // GET `url` as described above, signed by the instance actor. Throws only
  // if the database cannot give the instance actor's key.
  boost::asio::awaitable<FetchResult> fetch(std::string url);
  // WebFinger (RFC 7033) for acct:username@host, over https: the href of
  // the JRD's rel="self" link with an ActivityStreams type, or nullopt.
  // Unsigned; the JRD is at most kMaxWebFingerBytes.
  boost::asio::awaitable<std::optional<std::string>> webfinger(std::string username,
                                                               std::string host);
  // Whether `url` is on this server's own host.
  bool is_local(const http::Url& url) const;
  // This server's authority, normalised (normalize_authority).
  const std::string& host() const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// When a remote account was last fetched (from AccountRef::last_fetched_at);
// nullopt for a local account or an unreadable time.
std::optional<std::chrono::system_clock::time_point> last_fetched(const db::AccountRef& account);

// The remote account an actor document fetched from `id` (its checked id,
// normalised) becomes: nullopt without a preferredUsername; the key is kept
// only if its owner is the actor and its id is on the actor's origin;
// summary and field values through sanitize_html; names are plain text.
std::optional<db::RemoteActorData> to_remote_actor(const Actor& actor, std::string_view id);

enum class Refresh {
  if_stale,  // the database row when fetched less than kActorRefreshAfter ago
  always,    // fetch again (a signature failed to verify: the key may be new)
};

class RemoteActors {
 public:
  RemoteActors(Fetcher& fetcher, db::Pool& pool, std::string host);
  // The account whose actor id is `uri`: a local one from the database, a
  // remote one from the database or fetched and stored. nullopt when it
  // cannot be had.
  boost::asio::awaitable<std::optional<db::AccountRef>> by_uri(std::string uri,
                                                               Refresh refresh = Refresh::if_stale);
  // The account owning key `key_id` (the key document or the actor that
  // embeds it, whose publicKey.id must be key_id and publicKey.owner the
  // actor).
  boost::asio::awaitable<std::optional<db::AccountRef>> by_key_id(
      std::string key_id, Refresh refresh = Refresh::if_stale);
  // user@host through WebFinger (https://host/.well-known/webfinger), then
  // by_uri on the self link.
  boost::asio::awaitable<std::optional<db::AccountRef>> by_acct(std::string username,
                                                                std::string host);

  // by_key_id with the reason when there is no account: the inbox answers
  // a Delete from an actor that is gone (FetchFailure::gone) with 202.
  struct KeyLookup {
    std::optional<db::AccountRef> account;
    FetchFailure failure = FetchFailure::none;  // why not, when the fetch failed
    std::string detail;                         // for logs
  };
  boost::asio::awaitable<KeyLookup> lookup_key(std::string key_id,
                                               Refresh refresh = Refresh::if_stale);

 private:
  Fetcher& fetcher_;
  db::Pool& pool_;
  std::string host_;
};

}  // namespace kith::ap
