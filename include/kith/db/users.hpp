// Local users and their accounts: creating one (argon2id password hash,
// RSA-2048 key pair for federation) and listing them. Functions take a
// connection and run their own transaction; they throw on database errors
// and return values, never rows.
#pragma once

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

struct NewLocalUser {
  std::string username;  // [A-Za-z0-9_]{1,30}, unique case-insensitively
  std::string email;     // may be empty: username@host is used
  std::string password;  // plain text; only its argon2id hash is stored
  bool admin = false;
};

struct LocalUser {
  std::int64_t account_id = 0;
  std::int64_t user_id = 0;
  std::string username;
  std::string email;
  bool admin = false;
  std::string created_at;  // ISO 8601, UTC
};

// The new user is not acceptable: the username has bad characters, is too
// long or is taken; the email is malformed or taken; the password is empty
// or longer than 1024 bytes. what() is fit to show to the person.
struct InvalidUser : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Creates the account and user in one transaction. `host` is the public
// authority (domain[:port]) the actor URLs are built on. Throws InvalidUser
// for a bad or taken name or email, std::runtime_error for anything else.
LocalUser create_local_user(pqxx::connection& connection, const NewLocalUser& user,
                            const std::string& host);

std::vector<LocalUser> list_local_users(pqxx::connection& connection);
std::int64_t count_local_users(pqxx::connection& connection);
bool any_admin(pqxx::connection& connection);

// argon2id (RFC 9106) with parameters sized for a small VPS; returns the
// PHC-encoded string ($argon2id$v=19$m=...,t=...,p=...$salt$hash).
std::string hash_password(const std::string& password);
bool verify_password(const std::string& password, const std::string& encoded_hash);

struct RsaKeyPair {
  std::string private_key_pem;  // PKCS#8
  std::string public_key_pem;   // SubjectPublicKeyInfo
};
RsaKeyPair generate_rsa_key_pair(int bits = 2048);

}  // namespace kith::db
