// Turning bytes from a client into a Request, under kith's limits. The server
// reads from a socket and the fuzz target from a buffer, but both configure
// Beast's parser with the same function and convert the parsed head with the
// same function, so the fuzzer exercises what clients reach.
#pragma once

#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/parser.hpp>
#include <cstddef>
#include <optional>
#include <string_view>

#include "kith/http/message.hpp"
#include "kith/http/router.hpp"

namespace kith::http {

// The whole request head (request line and headers) may not exceed this:
// larger heads are answered 431 (RFC 6585).
inline constexpr std::size_t kMaxHeaderBlockBytes = 16 * 1024;
// More header fields than this are answered 431 too.
inline constexpr std::size_t kMaxHeaderCount = 128;

using HeadParser = boost::beast::http::request_parser<boost::beast::http::empty_body>;

// Applies the head limits to a fresh parser.
void configure_head_parser(HeadParser& parser);

// Why a request could not be accepted, as the status the client gets.
struct Rejection {
  int status;           // 400, 405, 413, 414, 431, 404...
  std::string message;  // for the JSON error body
};

// Converts a parsed head into a Request (headers, path, query) and matches it
// against the router. On success fills `request` (its params and route) and
// returns the matched route; otherwise returns the rejection. Does not look
// at the body.
struct HeadOutcome {
  const Route* route = nullptr;
  std::optional<Rejection> rejection;
};
HeadOutcome accept_head(const HeadParser::value_type& head, const Router& router, Request& request);

// Beast applies its header limit to the request line and to the header
// fields separately, so a head can come close to twice kMaxHeaderBlockBytes
// before Beast objects. Given the bytes the parser consumed for the whole
// head, refuses one over kMaxHeaderBlockBytes (431).
std::optional<Rejection> check_head_size(std::size_t head_bytes);

// The body limit check done before any body byte is read: a declared
// Content-Length over the route's limit is refused at once.
std::optional<Rejection> check_declared_length(const HeadParser& parser, const Route& route);

// Parses one complete request from `bytes` exactly as the server would,
// without a socket: the fuzz target's entry point. Returns the request or the
// rejection (status 400 for malformed or incomplete input).
struct ParsedRequest {
  std::optional<Request> request;
  std::optional<Rejection> rejection;
};
ParsedRequest parse_request_bytes(std::string_view bytes, const Router& router);

}  // namespace kith::http
