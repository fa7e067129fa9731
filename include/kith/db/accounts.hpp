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

}  // namespace kith::db
