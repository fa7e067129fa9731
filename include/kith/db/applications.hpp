// OAuth client applications (Mastodon's POST /api/v1/apps). The client
// secret is returned once, at registration, and stored only as a SHA-256
// hash, like access tokens.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

struct NewApplication {
  std::string name;
  std::string website;  // may be empty
  std::vector<std::string> redirect_uris;
  std::vector<std::string> scopes;
};

struct Application {
  std::int64_t id = 0;
  std::string name;
  std::string website;
  std::vector<std::string> redirect_uris;
  std::vector<std::string> scopes;
  std::string client_id;
  std::string client_secret;  // only when just created; empty when read back
};

// Inserts the application with fresh random credentials.
Application create_application(pqxx::connection& connection, const NewApplication& application);

// Lower-case hex SHA-256, how secrets and tokens are stored.
std::string sha256_hex(const std::string& text);

}  // namespace kith::db
