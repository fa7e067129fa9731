// Local accounts as other servers and browsers see them: what an actor
// document and a profile page are made of. Functions take a connection and
// run their own read transaction; they return values, never rows, and know
// nothing of ActivityStreams or HTML.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace pqxx {
class transaction_base;
}

namespace kith::db {

// Most profile fields read for one account (as the ActivityStreams reader
// keeps, kith::ap::kMaxProfileFields).
inline constexpr std::size_t kMaxAccountFields = 64;
// Most alsoKnownAs entries of a local account read back (the client API
// accepts fewer: api kMaxAliases).
inline constexpr std::size_t kMaxAccountAliases = 16;

struct ProfileField {
  std::string name;
  std::string value;  // sanitised HTML
};

struct LocalAccount {
  std::int64_t id = 0;
  std::string username;
  std::string display_name;  // "" when not set
  std::string note;          // sanitised HTML
  std::string uri;           // the actor id: https://<host>/users/<username>
  std::string url;           // the profile page: https://<host>/@<username>
  std::string inbox_url;
  std::string outbox_url;
  std::string shared_inbox_url;
  std::string followers_url;
  std::string following_url;
  std::string featured_url;
  std::string public_key_pem;
  std::string public_key_id;  // <uri>#main-key
  bool locked = false;        // follows need approval
  bool discoverable = false;
  bool bot = false;
  std::string avatar_url;  // "" when none
  std::string header_url;  // "" when none
  std::vector<ProfileField> fields;
  std::string moved_to_uri;                // "" unless the account moved
  std::vector<std::string> also_known_as;  // at most kMaxAccountAliases
  std::string created_at;                  // ISO 8601, UTC
  bool suspended = false;                  // by a moderator: the account is gone for everyone
  bool disabled = false;                   // the user may not sign in
};

// The local account whose username equals `username` ignoring ASCII case,
// or nullopt. Suspended and disabled accounts are returned too (flagged):
// the caller decides what each one means.
std::optional<LocalAccount> find_local_account(pqxx::connection& connection,
                                               std::string_view username);

// The local account with id `account_id`, inside the caller's transaction
// (the outbox's Update{Person}), or nullopt.
std::optional<LocalAccount> find_local_account(pqxx::transaction_base& txn,
                                               std::int64_t account_id);

// --- The signed-in user's own profile and settings (update_credentials,
// verify_credentials, preferences). These take the caller's transaction:
// update_credentials commits with the Update{Person} it federates.

// A profile field as its author typed it and as it is shown.
struct ProfileFieldSource {
  std::string name;
  std::string value_html;  // rendered from `value`
  std::string value;       // plain text, as typed
};

// What PATCH /api/v1/accounts/update_credentials changes; unset members
// stay as they are.
struct CredentialsChange {
  std::optional<std::string> display_name;
  std::optional<std::string> note_html;    // rendered from note_source
  std::optional<std::string> note_source;  // as typed
  std::optional<bool> locked;
  std::optional<bool> bot;
  std::optional<bool> discoverable;
  std::optional<bool> hide_collections;
  std::optional<bool> indexable;
  std::optional<std::vector<ProfileFieldSource>> fields;  // replaces all of them
  // Stored images (media work): the URL to show, "" to remove.
  std::optional<std::string> avatar_url;
  std::optional<std::string> header_url;
  // users' posting defaults (0006): source[privacy], [sensitive], [language].
  std::optional<std::string> default_privacy;
  std::optional<bool> default_sensitive;
  std::optional<std::string> default_language;  // "" clears it
};
// Writes `change` to the account and its user; sets accounts.updated_at.
void update_credentials(pqxx::transaction_base& tx, std::int64_t account_id,
                        const CredentialsChange& change);

// What only the user sees: CredentialAccount.source and /api/v1/preferences.
struct AccountSettings {
  std::optional<std::string> note_source;  // nullopt: never set through the API
  std::vector<ProfileFieldSource> fields;  // value: the source when known, else the HTML
  std::string default_privacy = "public";
  bool default_sensitive = false;
  std::string default_language;  // "" when none
  std::string expand_media = "default";
  bool expand_spoilers = false;
  bool hide_collections = false;
  bool indexable = false;
};
// nullopt when `account_id` is not a local user's account.
std::optional<AccountSettings> account_settings(pqxx::transaction_base& tx,
                                                std::int64_t account_id);

}  // namespace kith::db
