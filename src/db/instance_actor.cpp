// The instance actor's key pair (instance_actor.hpp), made on first use.
#include "kith/db/instance_actor.hpp"

#include <spdlog/spdlog.h>
#include <pqxx/pqxx>

#include "kith/db/users.hpp"

namespace kith::db {
namespace {

const char* const kSelectPublic =
    "SELECT public_key_pem,"
    " to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"
    " FROM instance_actor";

std::optional<InstanceActorPublic> read_public(pqxx::transaction_base& txn) {
  const pqxx::result rows = txn.exec(kSelectPublic);
  if (rows.empty()) return std::nullopt;
  return InstanceActorPublic{rows[0][0].as<std::string>(), rows[0][1].as<std::string>()};
}

}  // namespace

InstanceActorPublic ensure_instance_actor(pqxx::connection& connection) {
  {
    pqxx::read_transaction txn(connection);
    if (auto existing = read_public(txn)) return *existing;
  }
  // Made outside the transaction (it is the slow part); if another daemon
  // inserts first, this key is simply dropped.
  const RsaKeyPair keys = generate_rsa_key_pair();
  pqxx::work txn(connection);
  const pqxx::result inserted = txn.exec_params(
      "INSERT INTO instance_actor (public_key_pem, private_key_pem) VALUES ($1, $2)"
      " ON CONFLICT (singleton) DO NOTHING RETURNING 1",
      keys.public_key_pem, keys.private_key_pem);
  std::optional<InstanceActorPublic> row = read_public(txn);
  txn.commit();
  if (!row) throw std::runtime_error("instance actor row missing after insert");
  if (!inserted.empty()) spdlog::info("created the instance actor's key pair");
  return *row;
}

std::string instance_actor_private_key(pqxx::connection& connection) {
  ensure_instance_actor(connection);
  pqxx::read_transaction txn(connection);
  return txn.exec1("SELECT private_key_pem FROM instance_actor")[0].as<std::string>();
}

}  // namespace kith::db
