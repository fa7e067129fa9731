// Requests and responses as handlers see them: percent-decoding, query
// strings (limits, duplicates, malformed pairs), case-insensitive names, and
// the JSON error body that Mastodon clients rely on.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "kith/http/message.hpp"

using kith::http::error_response;
using kith::http::iequals;
using kith::http::json_response;
using kith::http::kMaxQueryParameters;
using kith::http::parse_query;
using kith::http::percent_decode;
using kith::http::reason_phrase;
using kith::http::Request;
using kith::http::Response;
using kith::http::text_response;

using Pairs = std::vector<std::pair<std::string, std::string>>;

TEST_CASE("percent_decode: good escapes", "[message]") {
  struct Case {
    std::string text;
    bool plus_is_space;
    std::string decoded;
  };
  const std::vector<Case> cases = {
      {"", false, ""},
      {"plain", false, "plain"},
      {"%41", false, "A"},
      {"%4a%4A", false, "JJ"},
      {"a%20b", false, "a b"},
      {"a+b", false, "a+b"},
      {"a+b", true, "a b"},
      {"%2B", true, "+"},
      {"%25", false, "%"},
      {"%2525", false, "%25"},  // decoded once, not twice
      {"%00", false, std::string(1, '\0')},
      {"%ff%FE", false, "\xff\xfe"},
      {"%C3%A9t%C3%A9", false, "\xC3\xA9t\xC3\xA9"},
      {"/a%2Fb", false, "/a/b"},
      {"end%21", false, "end!"},
  };
  for (const auto& c : cases) {
    INFO(c.text);
    CHECK(percent_decode(c.text, c.plus_is_space) == c.decoded);
  }
}

TEST_CASE("percent_decode: malformed escapes are refused", "[message]") {
  const std::vector<std::string> cases = {
      "%",   "%4",  "a%",  "a%4",   "%%",    "%%41",      "%G0",       "%0G",  "%zz",
      "% 1", "%-1", "%+1", "%4%41", "abc%1", "%\x00\x30", "%\xff\xff", "%41%",
  };
  for (const auto& text : cases) {
    INFO(text);
    CHECK_FALSE(percent_decode(text, false).has_value());
    CHECK_FALSE(percent_decode(text, true).has_value());
  }
}

TEST_CASE("parse_query: pairs, decoding and malformed input", "[message]") {
  struct Case {
    std::string query;
    Pairs pairs;
  };
  const std::vector<Case> cases = {
      {"", {}},
      {"a=1", {{"a", "1"}}},
      {"a=1&b=2", {{"a", "1"}, {"b", "2"}}},
      {"a", {{"a", ""}}},
      {"a=", {{"a", ""}}},
      {"=1", {{"", "1"}}},
      {"a=1=2", {{"a", "1=2"}}},
      {"&&a=1&&", {{"a", "1"}}},
      {"&", {}},
      {"q=hello+world&x=%26%3D", {{"q", "hello world"}, {"x", "&="}}},
      {"na%6De=v", {{"name", "v"}}},
      {"types[]=mention&types[]=follow", {{"types[]", "mention"}, {"types[]", "follow"}}},
      // Duplicates are kept, in order.
      {"a=1&a=2&a=3", {{"a", "1"}, {"a", "2"}, {"a", "3"}}},
      // A malformed pair is skipped; the others survive.
      {"a=%zz&b=2", {{"b", "2"}}},
      {"%=1&b=2", {{"b", "2"}}},
      {"a=1&b=%&c=3", {{"a", "1"}, {"c", "3"}}},
      {"a=%4", {}},
  };
  for (const auto& c : cases) {
    INFO(c.query);
    CHECK(parse_query(c.query) == c.pairs);
  }
}

TEST_CASE("parse_query: at most kMaxQueryParameters pairs", "[message]") {
  std::string query;
  for (std::size_t i = 0; i < kMaxQueryParameters * 4; ++i)
    query += "k" + std::to_string(i) + "=v&";
  auto pairs = parse_query(query);
  REQUIRE(pairs.size() == kMaxQueryParameters);
  CHECK(pairs.front() == std::pair<std::string, std::string>{"k0", "v"});
  CHECK(pairs.back().first == "k" + std::to_string(kMaxQueryParameters - 1));

  // Empty and malformed pairs do not count against the limit.
  std::string noisy(100000, '&');
  noisy += "a=%zz&b=1";
  CHECK(parse_query(noisy) == Pairs{{"b", "1"}});

  // Exactly the limit is fine.
  std::string exact;
  for (std::size_t i = 0; i < kMaxQueryParameters; ++i) exact += "x=" + std::to_string(i) + "&";
  CHECK(parse_query(exact).size() == kMaxQueryParameters);
}

TEST_CASE("iequals: ASCII case-insensitive comparison", "[message]") {
  struct Case {
    std::string a, b;
    bool equal;
  };
  const std::vector<Case> cases = {
      {"", "", true},
      {"Host", "host", true},
      {"CONTENT-TYPE", "content-type", true},
      {"x-Forwarded-FOR", "X-forwarded-for", true},
      {"host", "hos", false},
      {"host", "host ", false},
      {"host", "hosT2", false},
      {"a", "b", false},
      {"", "a", false},
      {"\xC3\x89", "\xC3\xA9", false},  // no Unicode case folding
      {"\xff", "\xff", true},
      {std::string("a\0b", 3), std::string("A\0B", 3), true},
      {std::string("a\0b", 3), "a", false},
      {"[", "{", false},  // '[' and '{' differ by the case bit but are not letters
      {"@", "`", false},
  };
  for (const auto& c : cases) {
    INFO(c.a << " vs " << c.b);
    CHECK(iequals(c.a, c.b) == c.equal);
    CHECK(iequals(c.b, c.a) == c.equal);
  }
}

TEST_CASE("Request: header lookup is case-insensitive and takes the first", "[message]") {
  Request request;
  request.headers = {
      {"Content-Type", "application/json"}, {"X-Dup", "one"}, {"x-dup", "two"}, {"Empty", ""}};
  CHECK(request.header("content-type") == "application/json");
  CHECK(request.header("CONTENT-TYPE") == "application/json");
  CHECK(request.header("X-DUP") == "one");
  CHECK(request.header("Empty") == "");
  CHECK_FALSE(request.header("Missing").has_value());
  CHECK_FALSE(request.header("Content-Typ").has_value());
}

TEST_CASE("Request: query_param decodes and takes the first", "[message]") {
  Request request;
  request.query = "limit=20&max_id=abc%2Fdef&limit=40&q=a+b&bad=%zz";
  CHECK(request.query_param("limit") == "20");
  CHECK(request.query_param("max_id") == "abc/def");
  CHECK(request.query_param("q") == "a b");
  CHECK_FALSE(request.query_param("bad").has_value());
  CHECK_FALSE(request.query_param("LIMIT").has_value());  // names are case-sensitive
  CHECK_FALSE(request.query_param("missing").has_value());
}

TEST_CASE("Response: set_header replaces case-insensitively", "[message]") {
  Response response;
  response.set_header("Content-Type", "text/plain");
  response.set_header("X-One", "1");
  response.set_header("content-type", "text/html");
  REQUIRE(response.headers.size() == 2);
  CHECK(response.header("Content-Type") == "text/html");
  CHECK(response.header("x-one") == "1");
  CHECK_FALSE(response.header("X-Two").has_value());
}

TEST_CASE("error_response: a JSON {\"error\": ...} body", "[message]") {
  const std::vector<std::pair<int, std::string>> cases = {
      {400, "bad request"},
      {404, "not found"},
      {413, "request body too large"},
      {422, "quote \" and backslash \\ and newline \n and tab \t"},
      {500, ""},
      {503, std::string("nul \0 inside", 12)},
      {400, "caf\xC3\xA9 \xE2\x9C\x93"},
  };
  for (const auto& [status, message] : cases) {
    INFO(status << " " << message);
    Response response = error_response(status, message);
    CHECK(response.status == status);
    CHECK(response.header("Content-Type") == "application/json; charset=utf-8");
    auto body = nlohmann::json::parse(response.body);
    REQUIRE(body.is_object());
    CHECK(body.size() == 1);
    CHECK(body.at("error") == message);
  }
}

TEST_CASE("error_response: never throws, even for invalid UTF-8", "[message]") {
  // Messages may quote client input; an error answer must always be built.
  for (std::string message : {std::string("\xff"), std::string("bad \xC3 tail"),
                              std::string("\xED\xA0\x80"), std::string("ok \xF4\x90\x80\x80")}) {
    INFO(message);
    Response response;
    REQUIRE_NOTHROW(response = error_response(400, message));
    CHECK(response.status == 400);
    auto body = nlohmann::json::parse(response.body);
    CHECK(body.at("error").is_string());
  }
}

TEST_CASE("json_response and text_response set status, body and type", "[message]") {
  Response json = json_response(201, R"({"id":"1"})");
  CHECK(json.status == 201);
  CHECK(json.body == R"({"id":"1"})");
  CHECK(json.header("content-type") == "application/json; charset=utf-8");

  Response text = text_response(200, "hello", "text/plain; version=0.0.4");
  CHECK(text.status == 200);
  CHECK(text.body == "hello");
  CHECK(text.header("Content-Type") == "text/plain; version=0.0.4");
  CHECK(text.headers.size() == 1);
}

TEST_CASE("reason_phrase: standard phrases, and a fallback", "[message]") {
  const std::vector<std::pair<int, std::string>> cases = {
      {200, "OK"},
      {204, "No Content"},
      {400, "Bad Request"},
      {404, "Not Found"},
      {405, "Method Not Allowed"},
      {413, "Content Too Large"},
      {414, "URI Too Long"},
      {415, "Unsupported Media Type"},
      {431, "Request Header Fields Too Large"},
      {503, "Service Unavailable"},
      {299, "Unknown"},
      {-1, "Unknown"},
  };
  for (const auto& [status, phrase] : cases) {
    INFO(status);
    CHECK(reason_phrase(status) == phrase);
  }
}
