// What HTTP Signatures read from a request: the method, the request target,
// the target's scheme and authority, and the header fields by name.
//
// Both signature formats (draft-cavage-12 and RFC 9421), the signer and the
// verifier, build their strings from this one view, so a request is read the
// same way whichever format or direction. It holds views and a lookup
// function, never copies: it must not outlive the request it looks at.
#pragma once

#include <functional>
#include <string_view>
#include <vector>

#include "kith/http/message.hpp"

namespace kith::ap {

// Every value of the named field (its name in lower case), in the order the
// fields appear in the message; empty when the field is absent.
using HeaderLookup = std::function<std::vector<std::string_view>(std::string_view name)>;

struct RequestParts {
  std::string_view method;            // as sent, e.g. "POST"
  std::string_view target;            // origin-form request target as sent: path and query
  std::string_view scheme = "https";  // of the target URI: RFC 9421 @scheme, @target-uri
  // host[:port] of the target URI, host in lower case and the default port
  // omitted (kith::http::Origin::authority()). For a verifier this is the
  // server's own name, never taken from the request unchecked.
  std::string_view authority;
  HeaderLookup headers;
};

// A lookup over a request's header list (names compared case-insensitively).
// The list must outlive the returned function.
HeaderLookup header_lookup(const std::vector<http::Header>& headers);

}  // namespace kith::ap
