// Building responses: JSON bodies (the client API's errors are always
// {"error": "..."} with Content-Type application/json, which clients such as
// Mastodon.py rely on) and reason phrases.
#include <nlohmann/json.hpp>

#include "kith/http/message.hpp"

namespace kith::http {

Response json_response(int status, std::string json_text) {
  Response response;
  response.status = status;
  response.body = std::move(json_text);
  response.set_header("Content-Type", "application/json; charset=utf-8");
  return response;
}

Response error_response(int status, std::string_view message) {
  // Messages may quote client input, which need not be valid UTF-8: replace
  // bad bytes (U+FFFD) rather than throw while answering an error.
  return json_response(status, nlohmann::json{{"error", message}}.dump(
                                   -1, ' ', false, nlohmann::json::error_handler_t::replace));
}

Response text_response(int status, std::string body, std::string content_type) {
  Response response;
  response.status = status;
  response.body = std::move(body);
  response.set_header("Content-Type", std::move(content_type));
  return response;
}

std::string_view reason_phrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 201:
      return "Created";
    case 202:
      return "Accepted";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 415:
      return "Unsupported Media Type";
    case 422:
      return "Unprocessable Content";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    default:
      return "Unknown";
  }
}

}  // namespace kith::http
