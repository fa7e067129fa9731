// Storing OAuth applications. Credentials come from the CSPRNG; the secret
// is hashed before it reaches the database, so a leaked dump does not leak
// working client credentials.
#include "kith/db/applications.hpp"

#include <openssl/sha.h>

#include <pqxx/pqxx>

#include "kith/core/random.hpp"

namespace kith::db {
namespace {

std::string join(const std::vector<std::string>& parts, char separator) {
  std::string out;
  for (const auto& part : parts) {
    if (!out.empty()) out += separator;
    out += part;
  }
  return out;
}

}  // namespace

std::string sha256_hex(const std::string& text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char byte : digest) {
    out += hex[byte >> 4];
    out += hex[byte & 0xf];
  }
  return out;
}

Application create_application(pqxx::connection& connection, const NewApplication& input) {
  Application app;
  app.name = input.name;
  app.website = input.website;
  app.redirect_uris = input.redirect_uris;
  app.scopes = input.scopes;
  app.client_id = core::random_token(32);
  app.client_secret = core::random_token(32);
  pqxx::work tx(connection);
  pqxx::row row = tx.exec_params1(
      "INSERT INTO oauth_applications (name, website, redirect_uris, scopes, client_id,"
      " client_secret_hash) VALUES ($1, NULLIF($2, ''), $3, $4, $5, $6) RETURNING id",
      app.name, app.website, join(app.redirect_uris, '\n'), join(app.scopes, ' '), app.client_id,
      sha256_hex(app.client_secret));
  app.id = row[0].as<std::int64_t>();
  tx.commit();
  return app;
}

}  // namespace kith::db
