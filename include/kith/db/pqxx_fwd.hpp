// Forward declaration of pqxx::connection, so that db headers can take a
// connection by reference without pulling libpqxx into every file that
// includes them. libpqxx 6 (Debian bookworm) defines `connection` as an alias
// of a class template, so a plain `class connection;` would conflict with the
// real definition; this repeats the alias exactly, which C++ allows.
#pragma once

namespace pqxx {
class connect_direct;
template <typename CONNECTPOLICY>
class basic_connection_base;
using connection = basic_connection_base<connect_direct>;
}  // namespace pqxx
