// Reading Mastodon API parameters from query strings, JSON and form bodies.
// Multipart bodies (used for media and profile images) arrive with the
// media work; until then they are refused with 415 rather than misread.
#include "kith/api/params.hpp"

#include <nlohmann/json.hpp>

namespace kith::api {
namespace {

std::string base_name(std::string name) {
  if (name.size() > 2 && name.ends_with("[]")) name.resize(name.size() - 2);
  return name;
}

// Depth of nesting of a JSON text, counted without building it, so a
// hostile document cannot exhaust the stack of the parser.
bool json_depth_ok(std::string_view text) {
  int depth = 0;
  bool in_string = false, escaped = false;
  for (char c : text) {
    if (in_string) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        in_string = false;
    } else if (c == '"') {
      in_string = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonDepth) return false;
    } else if (c == ']' || c == '}') {
      --depth;
    }
  }
  return true;
}

void add_json_value(Params& params, const std::string& name, const nlohmann::json& value) {
  if (value.is_string())
    params.add(name, value.get<std::string>());
  else if (value.is_boolean())
    params.add(name, value.get<bool>() ? "true" : "false");
  else if (value.is_number())
    params.add(name, value.dump());
  else if (value.is_array())
    for (const auto& item : value) add_json_value(params, name, item);
  // null and objects are not plain parameters; handlers that need nested
  // objects parse the body themselves.
}

}  // namespace

void Params::add(std::string name, std::string value) {
  values_[base_name(std::move(name))].push_back(std::move(value));
}

std::optional<std::string> Params::first(const std::string& name) const {
  auto it = values_.find(name);
  if (it == values_.end() || it->second.empty()) return std::nullopt;
  return it->second.front();
}

std::vector<std::string> Params::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::variant<Params, http::Response> read_params(const http::Request& request) {
  Params params;
  for (auto& [name, value] : http::parse_query(request.query)) params.add(name, value);
  if (request.body.empty()) return params;

  std::string_view type = request.header("Content-Type").value_or("");
  type = type.substr(0, type.find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (http::iequals(type, "application/json")) {
    if (!json_depth_ok(request.body)) return http::error_response(400, "JSON nested too deeply");
    nlohmann::json document = nlohmann::json::parse(request.body, nullptr, false);
    if (document.is_discarded() || !document.is_object())
      return http::error_response(400, "body is not a JSON object");
    for (auto& [name, value] : document.items()) add_json_value(params, name, value);
    return params;
  }
  if (http::iequals(type, "application/x-www-form-urlencoded")) {
    for (auto& [name, value] : http::parse_query(request.body)) params.add(name, value);
    return params;
  }
  return http::error_response(415,
                              "unsupported Content-Type; use application/json or "
                              "application/x-www-form-urlencoded");
}

}  // namespace kith::api
