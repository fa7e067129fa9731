// Request heads to Requests. Beast enforces the grammar of RFC 9112; this
// file adds kith's own rules on top: limits on the head, origin-form targets
// only, one Content-Length, and routing before the body is read so that the
// route's body limit applies to the declared length.
#include "kith/http/request_reader.hpp"

#include <boost/beast/core/buffers_to_string.hpp>
#include <boost/beast/http/string_body.hpp>

namespace kith::http {

namespace http = boost::beast::http;

void configure_head_parser(HeadParser& parser) {
  parser.header_limit(static_cast<std::uint32_t>(kMaxHeaderBlockBytes));
  // No body limit yet: Beast would otherwise judge a declared Content-Length
  // against its own default (1 MiB) while reading the head and fail it as a
  // parse error. The route's limit is applied once the route is known.
  parser.body_limit(boost::none);
  parser.eager(false);
}

HeadOutcome accept_head(const HeadParser::value_type& head, const Router& router,
                        Request& request) {
  request.method = std::string(head.method_string());
  request.target = std::string(head.target());
  request.headers.clear();
  std::size_t count = 0;
  for (const auto& field : head) {
    if (++count > kMaxHeaderCount) return {nullptr, Rejection{431, "too many header fields"}};
    request.headers.push_back({std::string(field.name_string()), std::string(field.value())});
  }

  // RFC 9112 3.2: servers answer origin-form ("/path?query") for ordinary
  // requests; absolute-form is for proxies and "*" only for OPTIONS.
  std::string_view target = request.target;
  if (target.empty() || target.front() != '/')
    return {nullptr, Rejection{400, "request target must be a path"}};
  auto question = target.find('?');
  request.path = std::string(target.substr(0, question));
  request.query =
      question == std::string_view::npos ? "" : std::string(target.substr(question + 1));
  if (request.path.size() > kMaxPathLength) return {nullptr, Rejection{414, "path too long"}};

  // HTTP/1.1 requires Host (RFC 9112 3.2); a request with two is ambiguous.
  std::size_t hosts = 0;
  for (const auto& h : request.headers)
    if (iequals(h.name, "host")) ++hosts;
  if (hosts > 1 || (hosts == 0 && head.version() >= 11))
    return {nullptr, Rejection{400, "exactly one Host header is required"}};

  RouteMatch match = router.match(request.method, request.path);
  if (!match.route && request.method == "HEAD") match = router.match("GET", request.path);
  if (match.method_not_allowed) return {nullptr, Rejection{405, "method not allowed"}};
  if (!match.route) return {nullptr, Rejection{404, "not found"}};
  request.params = std::move(match.params);
  request.route = match.route->pattern;
  return {match.route, std::nullopt};
}

std::optional<Rejection> check_head_size(std::size_t head_bytes) {
  if (head_bytes > kMaxHeaderBlockBytes) return Rejection{431, "header too large"};
  return std::nullopt;
}

std::optional<Rejection> check_declared_length(const HeadParser& parser, const Route& route) {
  if (auto length = parser.content_length(); length && *length > route.body_limit)
    return Rejection{413, "request body too large"};
  return std::nullopt;
}

ParsedRequest parse_request_bytes(std::string_view bytes, const Router& router) {
  HeadParser head_parser;
  configure_head_parser(head_parser);
  boost::beast::error_code ec;
  std::size_t used = head_parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
  if (ec == http::error::header_limit) return {std::nullopt, Rejection{431, "header too large"}};
  if (ec || !head_parser.is_header_done()) return {std::nullopt, Rejection{400, "bad request"}};
  if (auto too_large = check_head_size(used)) return {std::nullopt, too_large};
  bytes.remove_prefix(used);

  Request request;
  HeadOutcome head = accept_head(head_parser.get(), router, request);
  if (head.rejection) return {std::nullopt, head.rejection};
  if (auto too_large = check_declared_length(head_parser, *head.route))
    return {std::nullopt, too_large};

  http::request_parser<http::string_body> body_parser(std::move(head_parser));
  body_parser.body_limit(head.route->body_limit);
  while (!body_parser.is_done()) {
    if (bytes.empty()) return {std::nullopt, Rejection{400, "incomplete body"}};
    used = body_parser.put(boost::asio::buffer(bytes.data(), bytes.size()), ec);
    if (ec == http::error::body_limit)
      return {std::nullopt, Rejection{413, "request body too large"}};
    if (ec && ec != http::error::need_more) return {std::nullopt, Rejection{400, "bad request"}};
    if (used == 0 && ec == http::error::need_more)
      return {std::nullopt, Rejection{400, "incomplete body"}};
    bytes.remove_prefix(used);
  }
  request.body = std::move(body_parser.get().body());
  return {std::move(request), std::nullopt};
}

}  // namespace kith::http
