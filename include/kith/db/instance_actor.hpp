// The instance actor's key pair (migrations/0003_instance_actor.sql). The
// row is made the first time anyone asks, in a transaction that tolerates a
// race with another daemon: whoever inserts first wins and everyone reads
// that row back.
#pragma once

#include <string>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

struct InstanceActorPublic {
  std::string public_key_pem;
  std::string created_at;  // ISO 8601, UTC
};

// The public half, creating the key pair if there is none yet (an RSA-2048
// key takes tens of milliseconds to make; it happens once per database).
InstanceActorPublic ensure_instance_actor(pqxx::connection& connection);

// The private key (PKCS#8 PEM), for signing fetches. It must never be
// logged, sent or written anywhere but the database.
std::string instance_actor_private_key(pqxx::connection& connection);

}  // namespace kith::db
