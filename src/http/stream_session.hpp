// Internal to the http module: the server hands a connection whose handler
// answered with a StreamUpgrade to one of these, which run the stream until
// it ends. Both functions return when the connection is finished with; the
// caller then closes the socket.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>
#include <functional>

#include "kith/http/stream.hpp"

namespace kith::http {

// How the server reaches a running stream: `stop` is set by the session
// while it runs (and reset before it returns); calling it, on the
// connection's strand, asks the stream to end politely and at once.
struct StreamControl {
  std::function<void()> stop;
};

// Performs the WebSocket handshake for `request` (echoing the upgrade's
// subprotocol) on `stream`, then runs the upgrade. `stream` is left
// unusable.
boost::asio::awaitable<void> run_websocket(
    boost::beast::tcp_stream& stream,
    boost::beast::http::request<boost::beast::http::string_body> request, StreamUpgrade& upgrade,
    StreamControl& control);

// Writes the event-stream head (HTTP `version`, chunked for 1.1), then
// runs the upgrade.
boost::asio::awaitable<void> run_event_stream(boost::beast::tcp_stream& stream, unsigned version,
                                              StreamUpgrade& upgrade, StreamControl& control);

}  // namespace kith::http
