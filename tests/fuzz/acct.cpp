// libFuzzer target: account handles from the network (kith::ap::parse_acct
// and parse_acct_uri: WebFinger resources, mentions) and the host[:port]
// normaliser they share with the configured host.
//
// Beyond "no crash, no leak, no undefined behaviour", it checks the promises
// of acct.hpp: exactly one of value and error; a decoded user within
// kMaxAcctUserBytes with no control, NUL or '/'; a host in normal form (normalising
// it again changes nothing); uri() is an acct: URI that parses back to the
// same user and host; and the strict parser accepts nothing the lenient one
// refuses.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <string>
#include <string_view>

#include "kith/ap/acct.hpp"

namespace {

using namespace kith::ap;

void require(bool condition, const char* what) {
  if (condition) return;
  std::fprintf(stderr, "invariant broken: %s\n", what);
  std::abort();
}

void check_result(const AcctResult& result) {
  require(result.acct.has_value() == (result.error == AcctError::none), "value or error");
  require(!describe(result.error).empty(), "errors are described");
  if (!result) return;
  const Acct& acct = *result.acct;
  require(!acct.user.empty() && acct.user.size() <= kMaxAcctUserBytes, "user size");
  for (char c : acct.user) {
    const auto byte = static_cast<unsigned char>(c);
    require(byte >= 0x20 && byte != 0x7F && c != '/', "no controls, NUL or '/' in the user");
  }
  require(!acct.host.empty(), "a host");
  const AuthorityResult again = normalize_authority(acct.host);
  require(static_cast<bool>(again) && again.authority == acct.host, "the host is in normal form");
  const AcctResult round_trip = parse_acct_uri(acct.uri());
  require(static_cast<bool>(round_trip), "uri() parses");
  require(round_trip.acct->user == acct.user && round_trip.acct->host == acct.host,
          "uri() parses back to the same handle");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  try {
    const AcctResult lenient = parse_acct(input);
    const AcctResult strict = parse_acct_uri(input);
    check_result(lenient);
    check_result(strict);
    if (strict) require(lenient && *lenient.acct == *strict.acct, "strict implies lenient");
    const AuthorityResult authority = normalize_authority(input);
    if (authority) {
      const AuthorityResult again = normalize_authority(authority.authority);
      require(again && again.authority == authority.authority, "normalize_authority is idempotent");
    }
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception escaped: %s\n", e.what());
    std::abort();
  }
  return 0;
}
