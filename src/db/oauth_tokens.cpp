// OAuth access tokens (oauth_tokens.hpp): issued from the CSPRNG, stored as
// SHA-256 hashes, looked up by hash.
#include "kith/db/oauth_tokens.hpp"

#include <openssl/crypto.h>

#include <pqxx/pqxx>

#include "kith/core/random.hpp"
#include "kith/db/applications.hpp"

namespace kith::db {
namespace {

// 32 random bytes: 256 bits, as unpadded base64url (43 characters).
constexpr std::size_t kTokenBytes = 32;

std::vector<std::string> split_scopes(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  while (start < text.size()) {
    std::size_t end = text.find(' ', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) out.push_back(text.substr(start, end - start));
    start = end + 1;
  }
  return out;
}

}  // namespace

std::optional<ClientApplication> find_application_by_credentials(pqxx::connection& connection,
                                                                 std::string_view client_id,
                                                                 std::string_view client_secret) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      "SELECT id, name, coalesce(website, ''), scopes, client_secret_hash"
      " FROM oauth_applications WHERE client_id = $1",
      std::string(client_id));
  if (rows.empty()) return std::nullopt;
  const std::string stored = rows[0][4].as<std::string>();
  const std::string given = sha256_hex(std::string(client_secret));
  // Constant time: the hash of a guess must not leak through timing.
  if (stored.size() != given.size() ||
      CRYPTO_memcmp(stored.data(), given.data(), stored.size()) != 0)
    return std::nullopt;
  return ClientApplication{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>(),
                           rows[0][2].as<std::string>(),
                           split_scopes(rows[0][3].as<std::string>())};
}

std::optional<LoginCandidate> find_login(pqxx::connection& connection, std::string_view login) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      "SELECT u.id, a.id, u.password_hash, NOT u.disabled AND a.suspended_at IS NULL"
      " FROM users u JOIN accounts a ON a.id = u.account_id"
      " WHERE lower(u.email) = lower($1)"
      " OR (lower(a.username) = lower($1) AND lower(coalesce(a.domain, '')) = '')"
      " ORDER BY (lower(u.email) = lower($1)) DESC LIMIT 1",
      std::string(login));
  if (rows.empty()) return std::nullopt;
  return LoginCandidate{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::int64_t>(),
                        rows[0][2].as<std::string>(), rows[0][3].as<bool>()};
}

IssuedToken create_access_token(pqxx::connection& connection, std::int64_t application_id,
                                std::optional<std::int64_t> user_id, const std::string& scopes) {
  IssuedToken issued;
  issued.token = core::random_token(kTokenBytes);
  pqxx::work tx(connection);
  issued.created_at =
      tx.exec_params1(
            "INSERT INTO oauth_access_tokens (token_hash, application_id, user_id, scopes)"
            " VALUES ($1, $2, $3, $4) RETURNING extract(epoch FROM created_at)::bigint",
            sha256_hex(issued.token), application_id, user_id, scopes)[0]
          .as<std::int64_t>();
  if (user_id) tx.exec_params("UPDATE users SET last_sign_in_at = now() WHERE id = $1", *user_id);
  tx.commit();
  return issued;
}

std::optional<TokenGrant> find_access_token(pqxx::connection& connection, std::string_view token) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      "SELECT t.id, t.application_id, o.name, coalesce(o.website, ''), t.user_id, u.account_id,"
      " t.scopes FROM oauth_access_tokens t"
      " JOIN oauth_applications o ON o.id = t.application_id"
      " LEFT JOIN users u ON u.id = t.user_id"
      " LEFT JOIN accounts a ON a.id = u.account_id"
      " WHERE t.token_hash = $1 AND t.revoked_at IS NULL"
      " AND (t.expires_at IS NULL OR t.expires_at > now())"
      " AND (t.user_id IS NULL OR (NOT u.disabled AND a.suspended_at IS NULL))",
      sha256_hex(std::string(token)));
  if (rows.empty()) return std::nullopt;
  const pqxx::row& row = rows[0];
  TokenGrant grant;
  grant.token_id = row[0].as<std::int64_t>();
  grant.application_id = row[1].as<std::int64_t>();
  grant.application_name = row[2].as<std::string>();
  grant.application_website = row[3].as<std::string>();
  if (!row[4].is_null()) grant.user_id = row[4].as<std::int64_t>();
  if (!row[5].is_null()) grant.account_id = row[5].as<std::int64_t>();
  grant.scopes = split_scopes(row[6].as<std::string>());
  return grant;
}

void revoke_access_token(pqxx::connection& connection, std::int64_t application_id,
                         std::string_view token) {
  pqxx::work tx(connection);
  tx.exec_params(
      "UPDATE oauth_access_tokens SET revoked_at = now()"
      " WHERE token_hash = $1 AND application_id = $2 AND revoked_at IS NULL",
      sha256_hex(std::string(token)), application_id);
  tx.commit();
}

}  // namespace kith::db
