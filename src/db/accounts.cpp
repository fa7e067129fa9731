// Local accounts for presentation (accounts.hpp): one query for the account
// and its login state, one more for profile fields when it has any.
#include "kith/db/accounts.hpp"

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

// SQL that renders a timestamptz column as ISO 8601 in UTC, milliseconds.
std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

}  // namespace

namespace {

// One local account matching `condition` (on `a`, with $1 its parameter).
template <class Param>
std::optional<LocalAccount> read_local_account(pqxx::transaction_base& txn,
                                               const std::string& condition, const Param& param) {
  const pqxx::result rows = txn.exec_params(
      "SELECT a.id, a.username, a.display_name, a.note, a.uri, coalesce(a.url, ''),"
      " a.inbox_url, a.outbox_url, coalesce(a.shared_inbox_url, ''), a.followers_url,"
      " a.following_url, coalesce(a.featured_url, ''), a.public_key_pem,"
      " coalesce(a.public_key_id, ''), a.locked, a.discoverable, a.bot,"
      " coalesce(a.avatar_url, ''), coalesce(a.header_url, ''),"
      " CASE WHEN jsonb_typeof(a.fields) = 'array' THEN jsonb_array_length(a.fields) ELSE 0 END,"
      " coalesce(m.uri, ''), " +
          iso_time("a.created_at") +
          ", a.suspended_at IS NOT NULL, u.disabled"
          " FROM accounts a JOIN users u ON u.account_id = a.id"
          " LEFT JOIN accounts m ON m.id = a.moved_to_account_id"
          " WHERE " +
          condition,
      param);
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  LocalAccount account;
  account.id = row[0].as<std::int64_t>();
  account.username = row[1].as<std::string>();
  account.display_name = row[2].as<std::string>();
  account.note = row[3].as<std::string>();
  account.uri = row[4].as<std::string>();
  account.url = row[5].as<std::string>();
  account.inbox_url = row[6].as<std::string>();
  account.outbox_url = row[7].as<std::string>();
  account.shared_inbox_url = row[8].as<std::string>();
  account.followers_url = row[9].as<std::string>();
  account.following_url = row[10].as<std::string>();
  account.featured_url = row[11].as<std::string>();
  account.public_key_pem = row[12].as<std::string>();
  account.public_key_id = row[13].as<std::string>();
  account.locked = row[14].as<bool>();
  account.discoverable = row[15].as<bool>();
  account.bot = row[16].as<bool>();
  account.avatar_url = row[17].as<std::string>();
  account.header_url = row[18].as<std::string>();
  const auto field_count = row[19].as<std::int64_t>();
  account.moved_to_uri = row[20].as<std::string>();
  account.created_at = row[21].as<std::string>();
  account.suspended = row[22].as<bool>();
  account.disabled = row[23].as<bool>();
  if (field_count > 0) {
    const pqxx::result fields = txn.exec_params(
        "SELECT coalesce(f->>'name', ''), coalesce(f->>'value', '')"
        " FROM accounts a, jsonb_array_elements(a.fields) WITH ORDINALITY AS e(f, n)"
        " WHERE a.id = $1 AND jsonb_typeof(f) = 'object' ORDER BY n LIMIT $2",
        account.id, static_cast<std::int64_t>(kMaxAccountFields));
    for (const auto& field : fields)
      account.fields.push_back({field[0].as<std::string>(), field[1].as<std::string>()});
  }
  const pqxx::result aliases = txn.exec_params(
      "SELECT e.alias FROM accounts a, jsonb_array_elements_text(a.also_known_as) AS e(alias)"
      " WHERE a.id = $1 AND jsonb_typeof(a.also_known_as) = 'array' LIMIT $2",
      account.id, static_cast<std::int64_t>(kMaxAccountAliases));
  for (const auto& alias : aliases) account.also_known_as.push_back(alias[0].as<std::string>());
  return account;
}

}  // namespace

std::optional<LocalAccount> find_local_account(pqxx::connection& connection,
                                               std::string_view username) {
  pqxx::read_transaction txn(connection);
  // lower(coalesce(domain, '')) = '' is "domain IS NULL" (a remote domain is
  // never empty) written so that accounts_username_domain_idx applies.
  return read_local_account(txn,
                            "lower(a.username) = lower($1) AND lower(coalesce(a.domain, '')) = ''",
                            std::string(username));
}

std::optional<LocalAccount> find_local_account(pqxx::transaction_base& txn,
                                               std::int64_t account_id) {
  return read_local_account(txn, "a.id = $1 AND a.domain IS NULL", account_id);
}

void update_credentials(pqxx::transaction_base& tx, std::int64_t account_id,
                        const CredentialsChange& change) {
  // fields: [{name, value (HTML, what the actor document and the Account
  // entity show), source (plain text, what CredentialAccount.source shows)}].
  std::optional<std::string> fields;
  if (change.fields) {
    nlohmann::json list = nlohmann::json::array();
    for (const ProfileFieldSource& field : *change.fields)
      list.push_back({{"name", field.name}, {"value", field.value_html}, {"source", field.value}});
    fields = list.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  tx.exec_params(
      "UPDATE accounts SET display_name = coalesce($2, display_name), note = coalesce($3, note),"
      " note_source = coalesce($4, note_source), locked = coalesce($5, locked),"
      " bot = coalesce($6, bot), discoverable = coalesce($7, discoverable),"
      " hide_collections = coalesce($8, hide_collections), indexable = coalesce($9, indexable),"
      " fields = coalesce($10::jsonb, fields),"
      " avatar_url = CASE WHEN $11::text IS NULL THEN avatar_url ELSE nullif($11, '') END,"
      " header_url = CASE WHEN $12::text IS NULL THEN header_url ELSE nullif($12, '') END,"
      " updated_at = now() WHERE id = $1 AND domain IS NULL",
      account_id, change.display_name, change.note_html, change.note_source, change.locked,
      change.bot, change.discoverable, change.hide_collections, change.indexable, fields,
      change.avatar_url, change.header_url);
  tx.exec_params(
      "UPDATE users SET default_privacy = coalesce($2, default_privacy),"
      " default_sensitive = coalesce($3, default_sensitive),"
      " default_language = CASE WHEN $4::text IS NULL THEN default_language"
      "   ELSE nullif($4, '') END"
      " WHERE account_id = $1",
      account_id, change.default_privacy, change.default_sensitive, change.default_language);
}

std::optional<AccountSettings> account_settings(pqxx::transaction_base& tx,
                                                std::int64_t account_id) {
  const pqxx::result rows = tx.exec_params(
      "SELECT a.note_source, u.default_privacy, u.default_sensitive,"
      " coalesce(u.default_language, ''), u.expand_media, u.expand_spoilers, a.hide_collections,"
      " a.indexable FROM accounts a JOIN users u ON u.account_id = a.id WHERE a.id = $1",
      account_id);
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  AccountSettings settings;
  if (!row[0].is_null()) settings.note_source = row[0].as<std::string>();
  settings.default_privacy = row[1].as<std::string>();
  settings.default_sensitive = row[2].as<bool>();
  settings.default_language = row[3].as<std::string>();
  settings.expand_media = row[4].as<std::string>();
  settings.expand_spoilers = row[5].as<bool>();
  settings.hide_collections = row[6].as<bool>();
  settings.indexable = row[7].as<bool>();
  for (const auto& field : tx.exec_params(
           "SELECT coalesce(f->>'name', ''), coalesce(f->>'value', ''), f->>'source'"
           " FROM accounts a, jsonb_array_elements(CASE WHEN jsonb_typeof(a.fields) = 'array'"
           " THEN a.fields ELSE '[]'::jsonb END) WITH ORDINALITY AS e(f, n)"
           " WHERE a.id = $1 AND jsonb_typeof(f) = 'object' ORDER BY n LIMIT $2",
           account_id, static_cast<std::int64_t>(kMaxAccountFields))) {
    ProfileFieldSource source{field[0].as<std::string>(), field[1].as<std::string>(), ""};
    source.value = field[2].is_null() ? source.value_html : field[2].as<std::string>();
    settings.fields.push_back(std::move(source));
  }
  return settings;
}

}  // namespace kith::db
