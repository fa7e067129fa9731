// Mastodon API parameters from the query string, JSON bodies and form
// bodies: array spellings, value conversions, the JSON depth limit, and the
// 400 and 415 answers for bodies kith will not read.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <variant>

#include "kith/api/params.hpp"

using kith::api::kMaxJsonDepth;
using kith::api::Params;
using kith::api::read_params;
using kith::http::Request;
using kith::http::Response;

namespace {

Request make_request(std::string query, std::string content_type, std::string body) {
  Request request;
  request.method = "POST";
  request.query = std::move(query);
  if (!content_type.empty()) request.headers.push_back({"Content-Type", std::move(content_type)});
  request.body = std::move(body);
  return request;
}

Params params_of(const Request& request) {
  auto result = read_params(request);
  if (auto* response = std::get_if<Response>(&result)) {
    FAIL("expected parameters, got " << response->status << " " << response->body);
  }
  return std::get<Params>(std::move(result));
}

// The status of the error response, or 0 if parameters came back.
int error_status(const Request& request) {
  auto result = read_params(request);
  if (auto* response = std::get_if<Response>(&result)) {
    // Errors are always the client API's JSON shape.
    CHECK(response->header("Content-Type") == "application/json; charset=utf-8");
    auto body = nlohmann::json::parse(response->body);
    CHECK(body.at("error").is_string());
    return response->status;
  }
  return 0;
}

std::string nested_arrays(int depth) {
  return std::string(static_cast<std::size_t>(depth), '[') +
         std::string(static_cast<std::size_t>(depth), ']');
}

}  // namespace

TEST_CASE("params: Params keeps every value and strips []", "[params]") {
  Params params;
  params.add("a", "1");
  params.add("a", "2");
  params.add("ids[]", "x");
  params.add("ids", "y");
  params.add("[]", "odd");  // only a name followed by [] is an array name
  CHECK(params.first("a") == "1");
  CHECK(params.all("a") == std::vector<std::string>{"1", "2"});
  CHECK(params.all("ids") == std::vector<std::string>{"x", "y"});
  CHECK(params.first("[]") == "odd");
  CHECK_FALSE(params.first("ids[]").has_value());
  CHECK_FALSE(params.first("missing").has_value());
  CHECK(params.all("missing").empty());
}

TEST_CASE("params: query string only", "[params]") {
  Params params =
      params_of(make_request("limit=20&types[]=mention&types[]=favourite&q=a+b", "", ""));
  CHECK(params.first("limit") == "20");
  CHECK(params.all("types") == std::vector<std::string>{"mention", "favourite"});
  CHECK(params.first("q") == "a b");
}

TEST_CASE("params: an empty body is never judged by its content type", "[params]") {
  CHECK(error_status(make_request("a=1", "multipart/form-data; boundary=x", "")) == 0);
  CHECK(error_status(make_request("a=1", "application/json", "")) == 0);
  CHECK(error_status(make_request("", "", "")) == 0);
}

TEST_CASE("params: JSON bodies", "[params]") {
  Params params = params_of(
      make_request("from_query=1", "application/json",
                   R"({"status":"hello \"world\"","sensitive":true,"spoiler":false,"count":42,)"
                   R"("ratio":0.5,"media_ids":["1","2"],"mixed":[1,"two",true,null],)"
                   R"("poll":{"options":["a"]},"nothing":null,"unicode":"caf\u00e9"})"));
  CHECK(params.first("from_query") == "1");
  CHECK(params.first("status") == "hello \"world\"");
  CHECK(params.first("sensitive") == "true");
  CHECK(params.first("spoiler") == "false");
  CHECK(params.first("count") == "42");
  CHECK(params.first("ratio") == "0.5");
  CHECK(params.all("media_ids") == std::vector<std::string>{"1", "2"});
  CHECK(params.all("mixed") == std::vector<std::string>{"1", "two", "true"});
  // Objects and null are not plain parameters.
  CHECK_FALSE(params.first("poll").has_value());
  CHECK_FALSE(params.first("nothing").has_value());
  CHECK(params.first("unicode") == "caf\xC3\xA9");
}

TEST_CASE("params: JSON content types with parameters and odd case", "[params]") {
  for (std::string type :
       {"application/json", "application/json; charset=utf-8", "Application/JSON",
        "application/json ; charset=utf-8", "application/json;charset=UTF-8"}) {
    INFO(type);
    CHECK(params_of(make_request("", type, R"({"a":"1"})")).first("a") == "1");
  }
}

TEST_CASE("params: form bodies", "[params]") {
  Params params =
      params_of(make_request("q=1", "application/x-www-form-urlencoded; charset=utf-8",
                             "status=hello+world%21&media_ids[]=1&media_ids[]=2&bad=%zz&&empty="));
  CHECK(params.first("q") == "1");
  CHECK(params.first("status") == "hello world!");
  CHECK(params.all("media_ids") == std::vector<std::string>{"1", "2"});
  CHECK_FALSE(params.first("bad").has_value());
  CHECK(params.first("empty") == "");
}

TEST_CASE("params: query and body values add up", "[params]") {
  Params params = params_of(make_request("a=query", "application/json", R"({"a":"body"})"));
  CHECK(params.all("a") == std::vector<std::string>{"query", "body"});
}

TEST_CASE("params: JSON nesting is limited to kMaxJsonDepth", "[params]") {
  // The object itself is one level.
  auto object_with = [](const std::string& value) { return R"({"a":)" + value + "}"; };
  CHECK(error_status(make_request("", "application/json",
                                  object_with(nested_arrays(kMaxJsonDepth - 1)))) == 0);
  CHECK(error_status(make_request("", "application/json",
                                  object_with(nested_arrays(kMaxJsonDepth)))) == 400);
  CHECK(error_status(make_request("", "application/json", object_with(nested_arrays(100'000)))) ==
        400);
  std::string deep_objects;
  for (int i = 0; i < 10'000; ++i) deep_objects += R"({"a":)";
  deep_objects += "1";
  deep_objects += std::string(10'000, '}');
  CHECK(error_status(make_request("", "application/json", deep_objects)) == 400);
  // Unterminated nesting is refused too, without recursing.
  CHECK(error_status(make_request("", "application/json", std::string(1'000'000, '['))) == 400);
  // Brackets inside strings do not count, escaped quotes included.
  const std::string brackets = R"({"a":")" + std::string(1000, '[') + R"(\"[[[[","b":"\\"})";
  Params params = params_of(make_request("", "application/json", brackets));
  CHECK(params.first("a")->size() == 1005);
  CHECK(params.first("b") == "\\");
}

TEST_CASE("params: malformed and non-object JSON is 400", "[params]") {
  const std::vector<std::string> cases = {
      "{",
      "}",
      "[]",
      "[1,2]",
      "\"string\"",
      "42",
      "null",
      "true",
      "{\"a\":1,}",
      "{'a':1}",
      "{\"a\":1} trailing",
      "{\"a\":\"\xff\"}",     // invalid UTF-8
      "{\"a\":\"\\ud800\"}",  // lone surrogate
      "]]]]]]]]{\"a\":1}",    // unbalanced closers before an object
      "\xEF\xBB\xBF{}x",
  };
  for (const auto& body : cases) {
    INFO(body);
    CHECK(error_status(make_request("", "application/json", body)) == 400);
  }
}

TEST_CASE("params: unsupported content types are 415", "[params]") {
  const std::vector<std::string> cases = {
      "",  // no Content-Type at all
      "text/plain",
      "application/activity+json",
      "application/ld+json",
      "application/jsonx",
      "application/json-patch+json",
      "application/x-www-form-urlencodedx",
      "json",
  };
  for (const auto& type : cases) {
    INFO(type);
    CHECK(error_status(make_request("", type, "a=1")) == 415);
  }
}

TEST_CASE("params: duplicate JSON keys keep one value", "[params]") {
  // nlohmann keeps the last of duplicate keys; the client cannot get both.
  Params params = params_of(make_request("", "application/json", R"({"a":"1","a":"2"})"));
  CHECK(params.all("a").size() == 1);
}

TEST_CASE("params: multipart/form-data text fields, files left out", "[params]") {
  const std::string body =
      "preamble\r\n"
      "------b0undary\r\n"
      "Content-Disposition: form-data; name=\"display_name\"\r\n\r\n"
      "Alice \"A\"\r\n"
      "------b0undary\r\n"
      "Content-Disposition: form-data; name=\"note\"\r\n"
      "Content-Type: text/plain; charset=utf-8\r\n\r\n"
      "line one\r\nline two\r\n"
      "------b0undary\r\n"
      "Content-Disposition: form-data; name=\"avatar\"; filename=\"a.png\"\r\n"
      "Content-Type: image/png\r\n\r\n"
      "\x89PNG\r\n"
      "------b0undary\r\n"
      "content-disposition: form-data; name=fields_attributes[0][name]\r\n\r\n"
      "\r\n"
      "------b0undary--\r\n";
  Params params =
      params_of(make_request("", "multipart/form-data; boundary=\"----b0undary\"", body));
  CHECK(params.first("display_name") == "Alice \"A\"");
  CHECK(params.first("note") == "line one\r\nline two");
  CHECK_FALSE(params.first("avatar"));
  CHECK(params.first("fields_attributes[0][name]") == "");
  // Without a preamble, boundary unquoted.
  Params plain = params_of(
      make_request("", "multipart/form-data; boundary=x",
                   "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1\r\n--x--"));
  CHECK(plain.first("a") == "1");
}

TEST_CASE("params: malformed multipart bodies are 400", "[params]") {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"multipart/form-data", "--x\r\n\r\n--x--"},                     // no boundary
      {"multipart/form-data; boundary=", "--\r\n\r\n"},                // empty boundary
      {"multipart/form-data; boundary=" + std::string(71, 'b'), "x"},  // too long
      {"multipart/form-data; boundary=x", "a=1"},                      // no delimiter
      {"multipart/form-data; boundary=x",
       "--x\r\nContent-Disposition: form-data; name=\"a\"\r\n\r\n1"},  // unterminated
      {"multipart/form-data; boundary=x",
       "--x\r\nContent-Disposition: form-data\r\n\r\n1\r\n--x--"},  // no name
      {"multipart/form-data; boundary=x",
       "--x\r\nContent-Disposition: attachment; name=a\r\n\r\n1\r\n--x--"},
      {"multipart/form-data; boundary=x", "--x\r\nno colon\r\n\r\n1\r\n--x--"},
      {"multipart/form-data; boundary=x",
       "--x\r\nContent-Disposition: form-data; name=\"a\r\n\r\n1\r\n--x--"},  // open quote
  };
  for (const auto& [type, body] : cases) {
    INFO(type << " / " << body);
    CHECK(error_status(make_request("", type, body)) == 400);
  }
  std::string many;
  for (std::size_t i = 0; i <= kith::api::kMaxMultipartParts; ++i)
    many += "--x\r\nContent-Disposition: form-data; name=\"p\"\r\n\r\nv\r\n";
  many += "--x--";
  CHECK(error_status(make_request("", "multipart/form-data; boundary=x", many)) == 400);
}
