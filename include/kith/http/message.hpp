// kith::http — the HTTP edge: the Beast server that owns each connection, the
// router that maps a request to a handler, and the types handlers see.
//
// Handlers never see Beast. They get a Request (method, path, query, headers,
// body, path parameters) and return a Response; the server converts at the
// edge. This keeps Beast's heavy templates out of every handler file and lets
// handlers be tested without a socket. What the server must never do: read
// more than a stated limit, wait longer than a stated deadline, or let one
// request take the daemon down.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kith::http {

struct Header {
  std::string name;
  std::string value;
};

struct Request {
  std::string method;  // upper case, e.g. "GET"
  std::string target;  // as received: path and query
  std::string path;    // before '?', not decoded
  std::string query;   // after '?', not decoded ("" if none)
  std::vector<Header> headers;
  std::string body;
  std::string remote_address;  // the peer, or X-Forwarded-For's last hop with http.trust_proxy
  std::map<std::string, std::string> params;  // decoded values of the route's :names
  std::string route;                          // the matched route's pattern (for logs and metrics)

  // First header with this name (case-insensitive).
  std::optional<std::string_view> header(std::string_view name) const;
  // Decoded value of the first `name=` in the query string.
  std::optional<std::string> query_param(std::string_view name) const;
};

struct StreamUpgrade;  // stream.hpp

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  // Set when the handler takes the connection over (a WebSocket or an
  // event stream, see stream.hpp); status, headers and body are then unused.
  std::shared_ptr<StreamUpgrade> upgrade;

  // Replaces any header of the same name.
  Response& set_header(std::string name, std::string value);
  std::optional<std::string_view> header(std::string_view name) const;
};

// {"error": message} with Content-Type application/json.
Response error_response(int status, std::string_view message);
// A serialised JSON document with Content-Type application/json.
Response json_response(int status, std::string json_text);
Response text_response(int status, std::string body, std::string content_type);

// The standard reason phrase, for errors nobody wrote a message for.
std::string_view reason_phrase(int status);

bool iequals(std::string_view a, std::string_view b);

// RFC 9110 5.6.2: tchar, a character allowed in a token (header names,
// media types, signature parameter names).
bool is_token_char(char c);

// Decodes %XX and, when `plus_is_space`, '+' (form and query encoding).
// nullopt on a malformed escape.
std::optional<std::string> percent_decode(std::string_view text, bool plus_is_space);

// Splits "a=1&b=2" into decoded pairs, skipping malformed ones; at most
// kMaxQueryParameters pairs are returned.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view query);
inline constexpr std::size_t kMaxQueryParameters = 256;

}  // namespace kith::http
