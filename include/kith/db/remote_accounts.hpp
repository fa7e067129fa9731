// Accounts as federation sees them, local or remote: who signed a request,
// where to deliver to them, whether they moved. Remote accounts are a cache
// of other servers' actor documents, written by kith::ap's actor resolver
// (fetcher.hpp) after it has checked the document; this layer stores what it
// is given and knows nothing of ActivityStreams.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kith/db/accounts.hpp"
#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Any account, local (domain "") or remote.
struct AccountRef {
  std::int64_t id = 0;
  std::string username;
  std::string domain;  // "" for a local account; else the lower-case host[:port]
  std::string uri;     // the actor id
  std::string url;
  std::string inbox_url;
  std::string shared_inbox_url;  // "" when none
  std::string followers_url;
  std::string public_key_id;
  std::string public_key_pem;
  std::string actor_type;  // Person, Service, Application, Group, Organization
  bool locked = false;
  bool suspended = false;
  std::string moved_to_uri;  // "" unless moved
  std::vector<std::string> also_known_as;
  std::string last_fetched_at;  // ISO 8601, UTC; "" for local accounts
  bool local() const { return domain.empty(); }
};

// A remote actor document, checked and sanitised by the caller.
struct RemoteActorData {
  std::string username;  // preferredUsername
  std::string domain;    // the actor id's host[:port], lower case
  std::string display_name;
  std::string note;  // sanitised HTML
  std::string uri;
  std::string url;
  std::string inbox_url;
  std::string outbox_url;
  std::string shared_inbox_url;
  std::string followers_url;
  std::string following_url;
  std::string featured_url;
  std::string public_key_pem;
  std::string public_key_id;
  std::string actor_type = "Person";
  bool locked = false;
  bool discoverable = false;
  bool bot = false;
  std::string avatar_url;
  std::string header_url;
  std::vector<ProfileField> fields;  // values sanitised
  std::vector<std::string> also_known_as;
  std::string moved_to_uri;  // stored as moved_to_account_id when that account is known
};

// Inserts or updates (by uri) the remote account, sets last_fetched_at to
// now, and returns its id. If another account of the same username@domain
// exists with another uri (the old actor was replaced), that row's username
// is freed first, as Mastodon does.
std::int64_t upsert_remote_account(pqxx::transaction_base& tx, const RemoteActorData& actor);

std::optional<AccountRef> find_account_by_id(pqxx::connection& connection, std::int64_t id);
std::optional<AccountRef> find_account_by_uri(pqxx::connection& connection, std::string_view uri);
// By public_key_id exactly (key ids keep their fragment).
std::optional<AccountRef> find_account_by_key_id(pqxx::connection& connection,
                                                 std::string_view key_id);
// username@domain, ignoring case; domain "" for a local account.
std::optional<AccountRef> find_account_by_acct(pqxx::connection& connection,
                                               std::string_view username, std::string_view domain);

}  // namespace kith::db
