// The streaming endpoints of the client API (Mastodon's streaming server):
//
//   GET /api/v1/streaming            WebSocket (also with a trailing slash);
//                                    ?stream= (and tag, list) subscribes at
//                                    once; then {"type":"subscribe"|
//                                    "unsubscribe","stream":...} messages
//   GET /api/v1/streaming/<stream>   server-sent events of one stream:
//                                    user, user/notification, public,
//                                    public/local, public/remote (each with
//                                    only_media), hashtag, hashtag/local
//                                    (?tag=), list (?list=), direct
//   GET /api/v1/streaming/health     "OK"
//
// Every stream needs a user's access token, as in Mastodon 4: from the
// Authorization header, the access_token query parameter, or (WebSocket)
// Sec-WebSocket-Protocol, which is then echoed in the handshake. A bad
// token is refused with 401 before any upgrade. Public streams need no
// particular scope; user, list and direct need read or read:statuses,
// user:notification read or read:notifications. A user may have
// kMaxStreamsPerUser streams open (429 beyond), the daemon
// kMaxOpenStreams (503 beyond). A bad WebSocket message is answered with
// {"error": ..., "status": ...} and the socket stays open.
#include <pqxx/pqxx>

#include "client_support.hpp"
#include "kith/api/oauth_scopes.hpp"
#include "kith/db/stream_audience.hpp"
#include "routes_internal.hpp"
#include "streaming_hub.hpp"

namespace kith::api {
namespace {

using http::StreamUpgrade;

// The most characters of Sec-WebSocket-Protocol taken as a token.
constexpr std::size_t kMaxProtocolLength = 512;

bool header_has_token(const http::Request& request, std::string_view name, std::string_view token) {
  auto value = request.header(name);
  if (!value) return false;
  std::string_view rest = *value;
  while (!rest.empty()) {
    auto comma = rest.find(',');
    std::string_view item = rest.substr(0, comma);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
    if (http::iequals(item, token)) return true;
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return false;
}

bool is_websocket_request(const http::Request& request) {
  return header_has_token(request, "Upgrade", "websocket");
}

// The first subprotocol the client offers (Mastodon clients put the
// token there), "" when none.
std::string offered_subprotocol(const http::Request& request) {
  auto value = request.header("Sec-WebSocket-Protocol");
  if (!value || value->size() > kMaxProtocolLength) return "";
  std::string_view first = value->substr(0, value->find(','));
  while (!first.empty() && first.front() == ' ') first.remove_prefix(1);
  while (!first.empty() && first.back() == ' ') first.remove_suffix(1);
  return std::string(first);
}

// The caller, with the token from any of the three places. Streams need
// a token in any case; scopes are checked per stream.
boost::asio::awaitable<std::variant<Caller, http::Response>> authenticate_stream(
    ApiRoutes& routes, const http::Request& request, const std::string& subprotocol) {
  http::Request with_token = request;
  if (!request.header("Authorization") && !request.query_param("access_token") &&
      !subprotocol.empty())
    with_token.headers.push_back({"Authorization", "Bearer " + subprotocol});
  auto result = co_await authenticate(routes, with_token, "read:statuses");
  if (auto* refused = std::get_if<http::Response>(&result); refused && refused->status == 403)
    result = co_await authenticate(routes, with_token, "read:notifications");
  co_return result;
}

// Mastodon's scope rule for one stream: nullopt when allowed.
std::optional<std::string> scope_refusal(const Caller& caller, StreamKind kind) {
  if (is_public_stream(kind)) return std::nullopt;
  const char* needed =
      kind == StreamKind::user_notification ? "read:notifications" : "read:statuses";
  if (scope_allows(caller.scopes, needed)) return std::nullopt;
  return std::string("Access token does not have the required scopes");
}

struct StreamError {
  int status;
  std::string message;
};

// Checks one stream for `caller`: the scope, and that a list is theirs.
boost::asio::awaitable<std::optional<StreamError>> check_stream(ApiRoutes& routes,
                                                                const Caller& caller,
                                                                const StreamKey& key) {
  if (auto refusal = scope_refusal(caller, key.kind)) co_return StreamError{401, *refusal};
  if (key.kind == StreamKind::list) {
    const std::int64_t list = key.list;
    const std::int64_t owner = caller.account_id;
    auto query = [list, owner](pqxx::connection& c) {
      pqxx::read_transaction tx(c);
      return db::list_belongs_to(tx, list, owner);
    };
    const bool owned = co_await routes.context.pool.run(query);
    if (!owned) co_return StreamError{401, "Not authorized to stream this list"};
  }
  co_return std::nullopt;
}

// Handles one subscribe or unsubscribe on a WebSocket.
boost::asio::awaitable<void> apply_message(ApiRoutes& routes, StreamingHub& hub,
                                           const StreamingHub::Stream& stream, const Caller& caller,
                                           const ClientMessage& message) {
  auto send_error = [&stream](int status, const std::string& text) {
    stream.outbox()->push(nlohmann::json{{"error", text}, {"status", status}}.dump(
        -1, ' ', false, nlohmann::json::error_handler_t::replace));
  };
  auto parsed = parse_stream(
      message.stream, message.tag ? std::optional<std::string_view>(*message.tag) : std::nullopt,
      message.list ? std::optional<std::string_view>(*message.list) : std::nullopt);
  if (auto* error = std::get_if<std::string>(&parsed)) {
    send_error(400, *error);
    co_return;
  }
  StreamKey key = std::get<StreamKey>(std::move(parsed));
  if (!message.subscribe) {
    hub.unsubscribe(stream, key);
    co_return;
  }
  if (auto refused = co_await check_stream(routes, caller, key)) {
    send_error(refused->status, refused->message);
    co_return;
  }
  if (hub.subscribe(stream, std::move(key)) == StreamingHub::SubscribeResult::too_many)
    send_error(429, "Too many subscriptions on this connection");
}

// A WebSocket's life after the handshake: the initial ?stream=, then the
// client's messages until it goes away.
boost::asio::awaitable<void> websocket_session(ApiRoutes& routes, StreamingHub& hub,
                                               std::shared_ptr<StreamingHub::Stream> stream,
                                               Caller caller, std::optional<ClientMessage> first,
                                               http::StreamConnection& connection) {
  if (first) co_await apply_message(routes, hub, *stream, caller, *first);
  for (;;) {
    std::optional<std::string> text = co_await connection.receive();
    if (!text) break;
    auto message = parse_client_message(*text);
    if (auto* error = std::get_if<std::string>(&message)) {
      stream->outbox()->push(nlohmann::json{{"error", *error}, {"status", 400}}.dump(
          -1, ' ', false, nlohmann::json::error_handler_t::replace));
      continue;
    }
    try {
      co_await apply_message(routes, hub, *stream, caller, std::get<ClientMessage>(message));
    } catch (const std::exception&) {
      stream->outbox()->push(R"({"error":"Service unavailable","status":503})");
    }
  }
}

// An event stream's life: nothing to read; it ends when the client goes.
boost::asio::awaitable<void> event_stream_session(std::shared_ptr<StreamingHub::Stream> stream,
                                                  http::StreamConnection& connection) {
  for (;;) {
    std::optional<std::string> ignored = co_await connection.receive();
    if (!ignored) break;
  }
  stream.reset();
}

http::Response refusal(int status) {
  if (status == 429) return http::error_response(429, "Too many open streams");
  http::Response response = http::error_response(503, "Too many open streams on this server");
  response.set_header("Retry-After", "30");
  return response;
}

boost::asio::awaitable<http::Response> event_stream(ApiRoutes& routes, const http::Request& request,
                                                    const std::string& name);

boost::asio::awaitable<http::Response> websocket(ApiRoutes& routes, http::Request& request) {
  StreamingHub* hub = routes.context.streaming;
  if (!hub) co_return http::error_response(503, "Streaming is not available");
  if (!is_websocket_request(request)) {
    // Without an upgrade, ?stream= asks for that stream as events.
    auto stream = request.query_param("stream");
    if (!stream) co_return http::error_response(400, "Unknown stream type");
    co_return co_await event_stream(routes, request, *stream);
  }
  const std::string subprotocol = offered_subprotocol(request);
  auto authenticated = co_await authenticate_stream(routes, request, subprotocol);
  if (auto* refused = std::get_if<http::Response>(&authenticated)) co_return std::move(*refused);
  Caller caller = std::get<Caller>(std::move(authenticated));
  auto opened = hub->open(caller.account_id, StreamUpgrade::Kind::websocket,
                          scope_allows(caller.scopes, "read:notifications"), caller.token_id);
  if (auto* status = std::get_if<int>(&opened)) co_return refusal(*status);
  auto stream = std::get<std::shared_ptr<StreamingHub::Stream>>(std::move(opened));

  std::optional<ClientMessage> first;
  if (auto name = request.query_param("stream")) {
    first = ClientMessage{true, *name, request.query_param("tag"), request.query_param("list")};
  }
  auto upgrade = std::make_shared<StreamUpgrade>();
  upgrade->kind = StreamUpgrade::Kind::websocket;
  upgrade->subprotocol = subprotocol;
  upgrade->outbox = stream->outbox();
  ApiRoutes* routes_ptr = &routes;
  upgrade->run = [routes_ptr, hub, stream, caller, first](http::StreamConnection& connection) {
    return websocket_session(*routes_ptr, *hub, stream, caller, first, connection);
  };
  http::Response response;
  response.upgrade = std::move(upgrade);
  co_return response;
}

boost::asio::awaitable<http::Response> event_stream(ApiRoutes& routes, const http::Request& request,
                                                    const std::string& name) {
  StreamingHub* hub = routes.context.streaming;
  if (!hub) co_return http::error_response(503, "Streaming is not available");
  std::string stream_name = name;
  const bool only_media = parse_bool(request.query_param("only_media")).value_or(false);
  if (only_media && stream_name.starts_with("public")) stream_name += ":media";
  auto tag = request.query_param("tag");
  auto list = request.query_param("list");
  auto parsed =
      parse_stream(stream_name, tag ? std::optional<std::string_view>(*tag) : std::nullopt,
                   list ? std::optional<std::string_view>(*list) : std::nullopt);
  if (auto* error = std::get_if<std::string>(&parsed)) co_return http::error_response(400, *error);
  StreamKey key = std::get<StreamKey>(std::move(parsed));

  auto authenticated = co_await authenticate_stream(routes, request, "");
  if (auto* refused = std::get_if<http::Response>(&authenticated)) co_return std::move(*refused);
  Caller caller = std::get<Caller>(std::move(authenticated));
  if (auto refused = co_await check_stream(routes, caller, key))
    co_return http::error_response(refused->status, refused->message);
  auto opened = hub->open(caller.account_id, StreamUpgrade::Kind::event_stream,
                          scope_allows(caller.scopes, "read:notifications"), caller.token_id);
  if (auto* status = std::get_if<int>(&opened)) co_return refusal(*status);
  auto stream = std::get<std::shared_ptr<StreamingHub::Stream>>(std::move(opened));
  hub->subscribe(*stream, std::move(key));

  auto upgrade = std::make_shared<StreamUpgrade>();
  upgrade->kind = StreamUpgrade::Kind::event_stream;
  upgrade->outbox = stream->outbox();
  upgrade->run = [stream](http::StreamConnection& connection) {
    return event_stream_session(stream, connection);
  };
  http::Response response;
  response.upgrade = std::move(upgrade);
  co_return response;
}

http::Handler event_stream_handler(ApiRoutes& routes, std::string name) {
  return [&routes, name](http::Request& request) -> boost::asio::awaitable<http::Response> {
    return event_stream(routes, request, name);
  };
}

}  // namespace

void add_streaming_routes(http::Router& router, ApiRoutes& routes) {
  router.add("GET", "/api/v1/streaming",
             [&routes](http::Request& request) { return websocket(routes, request); });
  router.add("GET", "/api/v1/streaming/health",
             [](http::Request&) -> boost::asio::awaitable<http::Response> {
               co_return http::text_response(200, "OK", "text/plain");
             });
  router.add("GET", "/api/v1/streaming/user", event_stream_handler(routes, "user"));
  router.add("GET", "/api/v1/streaming/user/notification",
             event_stream_handler(routes, "user:notification"));
  router.add("GET", "/api/v1/streaming/public", event_stream_handler(routes, "public"));
  router.add("GET", "/api/v1/streaming/public/local", event_stream_handler(routes, "public:local"));
  router.add("GET", "/api/v1/streaming/public/remote",
             event_stream_handler(routes, "public:remote"));
  router.add("GET", "/api/v1/streaming/hashtag", event_stream_handler(routes, "hashtag"));
  router.add("GET", "/api/v1/streaming/hashtag/local",
             event_stream_handler(routes, "hashtag:local"));
  router.add("GET", "/api/v1/streaming/list", event_stream_handler(routes, "list"));
  router.add("GET", "/api/v1/streaming/direct", event_stream_handler(routes, "direct"));
}

}  // namespace kith::api
