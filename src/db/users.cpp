// Local users: the account a person publishes as, and the user record they
// sign in with, created together in one transaction.
//
// A local account needs everything federation will ask of it from the first
// moment: the actor's URLs (derived from the host and the name, in the
// /users/<name> layout Mastodon uses, which other servers' heuristics know)
// and an RSA key pair for HTTP signatures. Passwords are stored only as
// argon2id hashes (RFC 9106) with parameters a small VPS can afford per
// sign-in (the OWASP minimum: 19 MiB, 2 passes, 1 lane). The private key
// lives in the users table, next to the other secrets of a local user.
#include "kith/db/users.hpp"

#include <argon2.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <memory>

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

namespace kith::db {
namespace {

constexpr std::uint32_t kArgonPasses = 2;
constexpr std::uint32_t kArgonMemoryKiB = 19456;
constexpr std::uint32_t kArgonLanes = 1;
constexpr std::size_t kSaltBytes = 16;
constexpr std::size_t kHashBytes = 32;

constexpr std::size_t kMaxUsernameLength = 30;
constexpr std::size_t kMaxEmailLength = 254;      // RFC 5321 path limit
constexpr std::size_t kMaxPasswordLength = 1024;  // bytes; bounds hashing work

bool valid_username(const std::string& name) {
  return !name.empty() && name.size() <= kMaxUsernameLength &&
         std::all_of(name.begin(), name.end(), [](char c) {
           return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '_';
         });
}

// Deliberately loose: one '@' with something on each side, no spaces or
// control characters. Whether mail arrives is the only real test.
bool plausible_email(const std::string& email) {
  const auto at = email.find('@');
  return email.size() <= kMaxEmailLength && at != std::string::npos && at > 0 &&
         at + 1 < email.size() && email.find('@', at + 1) == std::string::npos &&
         std::none_of(email.begin(), email.end(),
                      [](char c) { return static_cast<unsigned char>(c) <= ' ' || c == 0x7f; });
}

// SQL that renders a timestamptz column as ISO 8601 in UTC, milliseconds.
std::string iso_time(const std::string& column) {
  return "to_char(" + column + R"( AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))";
}

struct ActorUrls {
  std::string uri, url, inbox, outbox, shared_inbox, followers, following, featured, key_id;
};

ActorUrls actor_urls(const std::string& host, const std::string& username) {
  const std::string base = "https://" + host;
  const std::string uri = base + "/users/" + username;
  return ActorUrls{uri,
                   base + "/@" + username,
                   uri + "/inbox",
                   uri + "/outbox",
                   base + "/inbox",
                   uri + "/followers",
                   uri + "/following",
                   uri + "/collections/featured",
                   uri + "#main-key"};
}

bool exists(pqxx::work& txn, const std::string& sql, const std::string& value) {
  return !txn.exec_params(sql, value).empty();
}

LocalUser to_local_user(const pqxx::row& row) {
  LocalUser user;
  user.account_id = row["account_id"].as<std::int64_t>();
  user.user_id = row["user_id"].as<std::int64_t>();
  user.username = row["username"].as<std::string>();
  user.email = row["email"].as<std::string>();
  user.admin = row["admin"].as<bool>();
  user.created_at = row["created_at"].as<std::string>();
  return user;
}

using EvpKey = std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)>;
using Bio = std::unique_ptr<BIO, decltype(&BIO_free)>;

std::string bio_contents(BIO* bio) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(size));
}

}  // namespace

std::string hash_password(const std::string& password) {
  std::array<unsigned char, kSaltBytes> salt{};
  if (RAND_bytes(salt.data(), static_cast<int>(salt.size())) != 1) {
    throw std::runtime_error("the system's random number generator failed");
  }
  std::string encoded(argon2_encodedlen(kArgonPasses, kArgonMemoryKiB, kArgonLanes, kSaltBytes,
                                        kHashBytes, Argon2_id),
                      '\0');
  const int rc = argon2id_hash_encoded(kArgonPasses, kArgonMemoryKiB, kArgonLanes, password.data(),
                                       password.size(), salt.data(), salt.size(), kHashBytes,
                                       encoded.data(), encoded.size());
  if (rc != ARGON2_OK) {
    throw std::runtime_error(std::string("password hashing failed: ") + argon2_error_message(rc));
  }
  encoded.resize(encoded.find('\0'));  // the length includes the terminator
  return encoded;
}

bool verify_password(const std::string& password, const std::string& encoded_hash) {
  // Only our own format: never let a stored string pick a weaker algorithm.
  if (!encoded_hash.starts_with("$argon2id$")) return false;
  return argon2id_verify(encoded_hash.c_str(), password.data(), password.size()) == ARGON2_OK;
}

RsaKeyPair generate_rsa_key_pair(int bits) {
  if (bits < 2048 || bits > 8192) throw std::invalid_argument("RSA key size must be 2048..8192");
  EvpKey key(EVP_RSA_gen(static_cast<unsigned>(bits)), &EVP_PKEY_free);
  if (!key) throw std::runtime_error("RSA key generation failed");
  Bio private_pem(BIO_new(BIO_s_mem()), &BIO_free);
  Bio public_pem(BIO_new(BIO_s_mem()), &BIO_free);
  if (!private_pem || !public_pem ||
      PEM_write_bio_PrivateKey(private_pem.get(), key.get(), nullptr, nullptr, 0, nullptr,
                               nullptr) != 1 ||
      PEM_write_bio_PUBKEY(public_pem.get(), key.get()) != 1) {
    throw std::runtime_error("could not encode the RSA key pair as PEM");
  }
  return RsaKeyPair{bio_contents(private_pem.get()), bio_contents(public_pem.get())};
}

LocalUser create_local_user(pqxx::connection& connection, const NewLocalUser& user,
                            const std::string& host) {
  if (!valid_username(user.username)) {
    throw InvalidUser("username must be 1 to 30 letters, digits or underscores");
  }
  const std::string email = user.email.empty() ? user.username + "@" + host : user.email;
  if (!plausible_email(email)) throw InvalidUser("email address is not valid");
  if (user.password.empty()) throw InvalidUser("password must not be empty");
  if (user.password.size() > kMaxPasswordLength) throw InvalidUser("password is too long");
  if (host.empty()) throw std::invalid_argument("create_local_user: empty host");

  // The slow parts (tens of milliseconds each) happen before the transaction.
  const std::string password_hash = hash_password(user.password);
  const RsaKeyPair keys = generate_rsa_key_pair();
  const ActorUrls urls = actor_urls(host, user.username);

  pqxx::work txn(connection);
  if (exists(txn, "SELECT 1 FROM accounts WHERE lower(username) = lower($1) AND domain IS NULL",
             user.username)) {
    throw InvalidUser("username is taken");
  }
  if (exists(txn, "SELECT 1 FROM users WHERE lower(email) = lower($1)", email)) {
    throw InvalidUser("email is taken");
  }
  LocalUser created;
  try {
    created.account_id =
        txn.exec_params1(
               "INSERT INTO accounts (username, uri, url, inbox_url, outbox_url,"
               " shared_inbox_url, followers_url, following_url, featured_url, public_key_pem,"
               " public_key_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)"
               " RETURNING id",
               user.username, urls.uri, urls.url, urls.inbox, urls.outbox, urls.shared_inbox,
               urls.followers, urls.following, urls.featured, keys.public_key_pem, urls.key_id)[0]
            .as<std::int64_t>();
    const pqxx::row row = txn.exec_params1(
        "INSERT INTO users (account_id, email, password_hash, admin, private_key_pem)"
        " VALUES ($1, $2, $3, $4, $5) RETURNING id, " +
            iso_time("created_at"),
        created.account_id, email, password_hash, user.admin, keys.private_key_pem);
    created.user_id = row[0].as<std::int64_t>();
    created.created_at = row[1].as<std::string>();
  } catch (const pqxx::unique_violation&) {
    // Lost a race with another request creating the same name or email.
    throw InvalidUser("username or email is taken");
  }
  txn.commit();
  created.username = user.username;
  created.email = email;
  created.admin = user.admin;
  spdlog::info("created local user {} (account {})", created.username, created.account_id);
  return created;
}

std::vector<LocalUser> list_local_users(pqxx::connection& connection) {
  pqxx::read_transaction txn(connection);
  const pqxx::result rows =
      txn.exec("SELECT a.id AS account_id, u.id AS user_id, a.username, u.email, u.admin, " +
               iso_time("u.created_at") +
               " AS created_at FROM users u JOIN accounts a ON a.id = u.account_id"
               " WHERE a.domain IS NULL ORDER BY a.id");
  std::vector<LocalUser> users;
  users.reserve(rows.size());
  for (const auto& row : rows) users.push_back(to_local_user(row));
  return users;
}

std::int64_t count_local_users(pqxx::connection& connection) {
  pqxx::read_transaction txn(connection);
  return txn.exec1("SELECT count(*) FROM users")[0].as<std::int64_t>();
}

bool any_admin(pqxx::connection& connection) {
  pqxx::read_transaction txn(connection);
  return txn.exec1("SELECT EXISTS (SELECT 1 FROM users WHERE admin)")[0].as<bool>();
}

}  // namespace kith::db
