// Accounts as federation sees them (remote_accounts.hpp): one SELECT shape
// for every lookup, and the upsert that the actor resolver calls after it has
// checked and sanitised an actor document.
#include "kith/db/remote_accounts.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

// Every lookup reads the same columns in the same order (read_account).
constexpr const char* kAccountColumns =
    "SELECT a.id, a.username, coalesce(a.domain, ''), a.uri, coalesce(a.url, ''),"
    " a.inbox_url, coalesce(a.shared_inbox_url, ''), a.followers_url,"
    " coalesce(a.public_key_id, ''), a.public_key_pem, a.actor_type, a.locked,"
    " a.suspended_at IS NOT NULL, coalesce(m.uri, ''),"
    " CASE WHEN jsonb_typeof(a.also_known_as) = 'array' THEN a.also_known_as::text"
    " ELSE '[]' END,"
    " coalesce(to_char(a.last_fetched_at AT TIME ZONE 'UTC',"
    " 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), '')"
    " FROM accounts a LEFT JOIN accounts m ON m.id = a.moved_to_account_id ";

// At most this many alsoKnownAs entries are read back (the reader keeps at
// most kith::ap::kMaxAliases when storing).
constexpr std::size_t kMaxAliasesRead = 64;

AccountRef read_account(const pqxx::row& row) {
  AccountRef account;
  account.id = row[0].as<std::int64_t>();
  account.username = row[1].as<std::string>();
  account.domain = row[2].as<std::string>();
  account.uri = row[3].as<std::string>();
  account.url = row[4].as<std::string>();
  account.inbox_url = row[5].as<std::string>();
  account.shared_inbox_url = row[6].as<std::string>();
  account.followers_url = row[7].as<std::string>();
  account.public_key_id = row[8].as<std::string>();
  account.public_key_pem = row[9].as<std::string>();
  account.actor_type = row[10].as<std::string>();
  account.locked = row[11].as<bool>();
  account.suspended = row[12].as<bool>();
  account.moved_to_uri = row[13].as<std::string>();
  const nlohmann::json aliases = nlohmann::json::parse(row[14].as<std::string>(), nullptr, false);
  if (aliases.is_array())
    for (const auto& alias : aliases) {
      if (account.also_known_as.size() >= kMaxAliasesRead) break;
      if (alias.is_string()) account.also_known_as.push_back(alias.get<std::string>());
    }
  account.last_fetched_at = row[15].as<std::string>();
  return account;
}

template <class... Params>
std::optional<AccountRef> find_one(pqxx::connection& connection, const std::string& where,
                                   const Params&... params) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(kAccountColumns + where, params...);
  if (rows.empty()) return std::nullopt;
  return read_account(rows[0]);
}

// "" as SQL NULL, for the optional text columns.
std::optional<std::string> nullable(const std::string& text) {
  if (text.empty()) return std::nullopt;
  return text;
}

}  // namespace

std::int64_t upsert_remote_account(pqxx::transaction_base& tx, const RemoteActorData& actor) {
  nlohmann::json fields = nlohmann::json::array();
  for (const ProfileField& field : actor.fields)
    fields.push_back({{"name", field.name}, {"value", field.value}});
  const nlohmann::json aliases = actor.also_known_as;

  // Mastodon (ActivityPub::ProcessAccountService): when another actor already
  // holds username@domain, the old one was replaced (a server reinstalled,
  // an account recreated); it loses the name, which the new actor takes.
  tx.exec_params(
      "UPDATE accounts SET username = username || '-' || id::text"
      " WHERE domain IS NOT NULL AND lower(username) = lower($1)"
      " AND lower(coalesce(domain, '')) = lower($2) AND uri <> $3",
      actor.username, actor.domain, actor.uri);

  const pqxx::result rows = tx.exec_params(
      "INSERT INTO accounts (username, domain, display_name, note, uri, url, inbox_url,"
      " outbox_url, shared_inbox_url, followers_url, following_url, featured_url,"
      " public_key_pem, public_key_id, actor_type, locked, discoverable, bot, avatar_url,"
      " header_url, fields, also_known_as, moved_to_account_id, last_fetched_at)"
      " VALUES ($1, lower($2), $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17,"
      " $18, $19, $20, $21::jsonb, $22::jsonb,"
      " (SELECT id FROM accounts WHERE uri = $23 AND $23 <> ''), now())"
      " ON CONFLICT (uri) DO UPDATE SET username = EXCLUDED.username, domain = EXCLUDED.domain,"
      " display_name = EXCLUDED.display_name, note = EXCLUDED.note, url = EXCLUDED.url,"
      " inbox_url = EXCLUDED.inbox_url, outbox_url = EXCLUDED.outbox_url,"
      " shared_inbox_url = EXCLUDED.shared_inbox_url, followers_url = EXCLUDED.followers_url,"
      " following_url = EXCLUDED.following_url, featured_url = EXCLUDED.featured_url,"
      " public_key_pem = EXCLUDED.public_key_pem, public_key_id = EXCLUDED.public_key_id,"
      " actor_type = EXCLUDED.actor_type, locked = EXCLUDED.locked,"
      " discoverable = EXCLUDED.discoverable, bot = EXCLUDED.bot,"
      " avatar_url = EXCLUDED.avatar_url, header_url = EXCLUDED.header_url,"
      " fields = EXCLUDED.fields, also_known_as = EXCLUDED.also_known_as,"
      " moved_to_account_id = EXCLUDED.moved_to_account_id, last_fetched_at = now(),"
      " updated_at = now()"
      // A local account is never overwritten by a remote document.
      " WHERE accounts.domain IS NOT NULL"
      " RETURNING id",
      actor.username, actor.domain, actor.display_name, actor.note, actor.uri, nullable(actor.url),
      actor.inbox_url, actor.outbox_url, nullable(actor.shared_inbox_url), actor.followers_url,
      actor.following_url, nullable(actor.featured_url), actor.public_key_pem,
      nullable(actor.public_key_id), actor.actor_type, actor.locked, actor.discoverable, actor.bot,
      nullable(actor.avatar_url), nullable(actor.header_url), fields.dump(), aliases.dump(),
      actor.moved_to_uri);
  if (rows.empty())
    throw std::runtime_error("upsert_remote_account: " + actor.uri + " is a local account");
  return rows[0][0].as<std::int64_t>();
}

std::optional<AccountRef> find_account_by_id(pqxx::connection& connection, std::int64_t id) {
  return find_one(connection, "WHERE a.id = $1", id);
}

std::optional<AccountRef> find_account_by_uri(pqxx::connection& connection, std::string_view uri) {
  return find_one(connection, "WHERE a.uri = $1", std::string(uri));
}

std::optional<AccountRef> find_account_by_key_id(pqxx::connection& connection,
                                                 std::string_view key_id) {
  // Several rows may hold one key id only if a server served the same key for
  // two actors; the most recently fetched wins (and must still pass the
  // owner check of the caller).
  return find_one(connection,
                  "WHERE a.public_key_id = $1 ORDER BY a.last_fetched_at DESC NULLS LAST LIMIT 1",
                  std::string(key_id));
}

std::optional<AccountRef> find_account_by_acct(pqxx::connection& connection,
                                               std::string_view username, std::string_view domain) {
  return find_one(
      connection,
      "WHERE lower(a.username) = lower($1) AND lower(coalesce(a.domain, '')) = lower($2)",
      std::string(username), std::string(domain));
}

}  // namespace kith::db
