// OAuth access tokens, refresh tokens and authorization codes
// (oauth_tokens.hpp): issued from the CSPRNG, stored as SHA-256 hashes,
// looked up by hash. Redeeming a code and rotating a refresh token each
// happen in one transaction with the row locked, so two concurrent
// redemptions cannot both succeed.
#include "kith/db/oauth_tokens.hpp"

#include <openssl/crypto.h>

#include <pqxx/pqxx>

#include "kith/core/random.hpp"
#include "kith/db/applications.hpp"
#include "kith/db/users.hpp"

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

namespace {

// Inserts one token row in `tx`; `refresh` adds a refresh token.
IssuedToken insert_token(pqxx::work& tx, std::int64_t application_id,
                         std::optional<std::int64_t> user_id, const std::string& scopes,
                         bool refresh, std::optional<std::int64_t> authorization_code_id) {
  IssuedToken issued;
  issued.token = core::random_token(kTokenBytes);
  issued.scopes = scopes;
  std::optional<std::string> refresh_hash;
  if (refresh) {
    issued.refresh_token = core::random_token(kTokenBytes);
    refresh_hash = sha256_hex(*issued.refresh_token);
  }
  issued.created_at =
      tx.exec_params1(
            "INSERT INTO oauth_access_tokens (token_hash, application_id, user_id, scopes,"
            " refresh_token_hash, authorization_code_id) VALUES ($1, $2, $3, $4, $5, $6)"
            " RETURNING extract(epoch FROM created_at)::bigint",
            sha256_hex(issued.token), application_id, user_id, scopes, refresh_hash,
            authorization_code_id)[0]
          .as<std::int64_t>();
  if (user_id) tx.exec_params("UPDATE users SET last_sign_in_at = now() WHERE id = $1", *user_id);
  return issued;
}

// A valid argon2id hash of a password nobody knows, verified against when
// a login names no user, so that both answers take as long.
const std::string& decoy_password_hash() {
  static const std::string hash = hash_password(core::random_token(16));
  return hash;
}

}  // namespace

IssuedToken create_access_token(pqxx::connection& connection, std::int64_t application_id,
                                std::optional<std::int64_t> user_id, const std::string& scopes) {
  pqxx::work tx(connection);
  IssuedToken issued = insert_token(tx, application_id, user_id, scopes, false, std::nullopt);
  tx.commit();
  return issued;
}

IssuedToken create_access_token_with_refresh(pqxx::connection& connection,
                                             std::int64_t application_id, std::int64_t user_id,
                                             const std::string& scopes,
                                             std::int64_t authorization_code_id) {
  pqxx::work tx(connection);
  IssuedToken issued =
      insert_token(tx, application_id, user_id, scopes, true,
                   authorization_code_id ? std::optional(authorization_code_id) : std::nullopt);
  tx.commit();
  return issued;
}

LoginResult verify_login(pqxx::connection& connection, std::string_view login,
                         std::string_view password,
                         const std::function<bool(std::int64_t user_id)>& on_candidate) {
  LoginResult result;
  const std::optional<LoginCandidate> candidate = find_login(connection, login);
  const std::string given(password);
  if (!candidate) {
    (void)verify_password(given, decoy_password_hash());
    return result;
  }
  result.candidate = candidate->user_id;
  if (!on_candidate(candidate->user_id)) {
    result.refused = true;
    return result;
  }
  if (verify_password(given, candidate->password_hash) && candidate->may_sign_in)
    result.user = candidate;
  return result;
}

std::optional<AuthorizingApplication> find_application_by_client_id(pqxx::connection& connection,
                                                                    std::string_view client_id) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      "SELECT id, name, coalesce(website, ''), redirect_uris, scopes"
      " FROM oauth_applications WHERE client_id = $1",
      std::string(client_id));
  if (rows.empty()) return std::nullopt;
  AuthorizingApplication app;
  app.id = rows[0][0].as<std::int64_t>();
  app.name = rows[0][1].as<std::string>();
  app.website = rows[0][2].as<std::string>();
  const std::string uris = rows[0][3].as<std::string>();
  std::size_t start = 0;
  while (start < uris.size()) {
    std::size_t end = uris.find('\n', start);
    if (end == std::string::npos) end = uris.size();
    if (end > start) app.redirect_uris.push_back(uris.substr(start, end - start));
    start = end + 1;
  }
  app.scopes = split_scopes(rows[0][4].as<std::string>());
  return app;
}

std::optional<SigningInUser> find_signing_in_user(pqxx::connection& connection,
                                                  std::int64_t user_id) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows = txn.exec_params(
      "SELECT u.id, a.username, NOT u.disabled AND a.suspended_at IS NULL"
      " FROM users u JOIN accounts a ON a.id = u.account_id WHERE u.id = $1",
      user_id);
  if (rows.empty()) return std::nullopt;
  return SigningInUser{rows[0][0].as<std::int64_t>(), rows[0][1].as<std::string>(),
                       rows[0][2].as<bool>()};
}

std::string create_authorization_code(pqxx::connection& connection,
                                      const NewAuthorizationCode& code) {
  const std::string plain = core::random_token(kTokenBytes);
  pqxx::work tx(connection);
  // Expired codes are of no use to anyone: sweep them as new ones come
  // (after a day, so that a late second redemption is still recognised).
  tx.exec("DELETE FROM oauth_authorization_codes WHERE expires_at < now() - interval '1 day'");
  tx.exec_params(
      "INSERT INTO oauth_authorization_codes (code_hash, application_id, user_id, redirect_uri,"
      " scopes, code_challenge, code_challenge_method, expires_at)"
      " VALUES ($1, $2, $3, $4, $5, NULLIF($6, ''), CASE WHEN $6 = '' THEN NULL ELSE 'S256' END,"
      " now() + make_interval(secs => $7))",
      sha256_hex(plain), code.application_id, code.user_id, code.redirect_uri, code.scopes,
      code.code_challenge, kAuthorizationCodeLifetimeSeconds);
  tx.commit();
  return plain;
}

std::optional<RedeemedCode> redeem_authorization_code(pqxx::connection& connection,
                                                      std::int64_t application_id,
                                                      std::string_view code) {
  pqxx::work tx(connection);
  const pqxx::result rows = tx.exec_params(
      "SELECT id, user_id, redirect_uri, scopes, coalesce(code_challenge, ''),"
      " used_at IS NOT NULL, expires_at > now()"
      " FROM oauth_authorization_codes WHERE code_hash = $1 AND application_id = $2"
      " FOR UPDATE",
      sha256_hex(std::string(code)), application_id);
  if (rows.empty()) return std::nullopt;
  RedeemedCode redeemed;
  redeemed.id = rows[0][0].as<std::int64_t>();
  redeemed.user_id = rows[0][1].as<std::int64_t>();
  redeemed.redirect_uri = rows[0][2].as<std::string>();
  redeemed.scopes = rows[0][3].as<std::string>();
  redeemed.code_challenge = rows[0][4].as<std::string>();
  redeemed.reused = rows[0][5].as<bool>();
  const bool live = rows[0][6].as<bool>();
  if (redeemed.reused) {
    tx.exec_params(
        "UPDATE oauth_access_tokens SET revoked_at = now()"
        " WHERE authorization_code_id = $1 AND revoked_at IS NULL",
        redeemed.id);
    tx.commit();
    return redeemed;
  }
  if (!live) return std::nullopt;
  tx.exec_params("UPDATE oauth_authorization_codes SET used_at = now() WHERE id = $1", redeemed.id);
  tx.commit();
  return redeemed;
}

std::optional<IssuedToken> rotate_refresh_token(
    pqxx::connection& connection, std::int64_t application_id, std::string_view refresh_token,
    const std::function<std::optional<std::string>(const std::string& old_scopes)>& scopes_for) {
  pqxx::work tx(connection);
  const pqxx::result rows = tx.exec_params(
      "SELECT t.id, t.user_id, t.scopes, t.authorization_code_id"
      " FROM oauth_access_tokens t"
      " JOIN users u ON u.id = t.user_id JOIN accounts a ON a.id = u.account_id"
      " WHERE t.refresh_token_hash = $1 AND t.application_id = $2 AND t.revoked_at IS NULL"
      " AND NOT u.disabled AND a.suspended_at IS NULL FOR UPDATE OF t",
      sha256_hex(std::string(refresh_token)), application_id);
  if (rows.empty()) return std::nullopt;
  const std::optional<std::string> scopes = scopes_for(rows[0][2].as<std::string>());
  if (!scopes) return std::nullopt;
  tx.exec_params("UPDATE oauth_access_tokens SET revoked_at = now() WHERE id = $1",
                 rows[0][0].as<std::int64_t>());
  std::optional<std::int64_t> code_id;
  if (!rows[0][3].is_null()) code_id = rows[0][3].as<std::int64_t>();
  IssuedToken issued =
      insert_token(tx, application_id, rows[0][1].as<std::int64_t>(), *scopes, true, code_id);
  // The session's Web Push subscription follows it to the new token.
  tx.exec_params(
      "UPDATE web_push_subscriptions SET access_token_id ="
      " (SELECT id FROM oauth_access_tokens WHERE token_hash = $2) WHERE access_token_id = $1",
      rows[0][0].as<std::int64_t>(), sha256_hex(issued.token));
  tx.commit();
  return issued;
}

std::string instance_secret(pqxx::connection& connection, const std::string& name) {
  pqxx::work tx(connection);
  tx.exec_params(
      "INSERT INTO instance_secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
      name, core::random_token(32));
  std::string value = tx.exec_params1("SELECT value FROM instance_secrets WHERE name = $1", name)[0]
                          .as<std::string>();
  tx.commit();
  return value;
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
      " WHERE (token_hash = $1 OR refresh_token_hash = $1) AND application_id = $2"
      " AND revoked_at IS NULL",
      sha256_hex(std::string(token)), application_id);
  tx.commit();
}

}  // namespace kith::db
