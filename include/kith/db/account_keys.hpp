// The private keys local accounts sign with, looked up by account id for the
// delivery worker. Keys are secrets: they are returned to the caller only,
// never logged or put in an error message.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "kith/db/pqxx_fwd.hpp"

namespace kith::db {

// PEM (PKCS #8) private keys of those of `account_ids` that are local
// accounts with a user; other ids are simply absent from the result.
std::map<std::int64_t, std::string> local_private_keys(
    pqxx::connection& connection, const std::vector<std::int64_t>& account_ids);

}  // namespace kith::db
