// Reading Mastodon API parameters from query strings, JSON, form and
// multipart bodies. Multipart (RFC 7578: what Tusky, Elk and other clients
// send to update_credentials, apps and media) is read for its text fields
// and its file parts (avatar, header, file), which are kept apart as files.
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

// RFC 2046 5.1.1: a boundary is 1 to 70 characters.
constexpr std::size_t kMaxBoundaryLength = 70;
// A part's header block; real clients send two or three short lines.
constexpr std::size_t kMaxPartHeaderBytes = 8 * 1024;

// The parameter `name` of a header value such as
// `form-data; name="status"; filename="a.png"` (quoted or a token); nullopt
// when absent.
std::optional<std::string> header_parameter(std::string_view value, std::string_view name) {
  std::size_t i = value.find(';');
  while (i != std::string_view::npos && i < value.size()) {
    ++i;
    while (i < value.size() && (value[i] == ' ' || value[i] == '\t')) ++i;
    const std::size_t eq = value.find('=', i);
    if (eq == std::string_view::npos) return std::nullopt;
    std::string_view key = value.substr(i, eq - i);
    while (!key.empty() && key.back() == ' ') key.remove_suffix(1);
    std::string result;
    std::size_t j = eq + 1;
    if (j < value.size() && value[j] == '"') {
      ++j;
      while (j < value.size() && value[j] != '"') {
        if (value[j] == '\\' && j + 1 < value.size()) ++j;
        result += value[j++];
      }
      if (j >= value.size()) return std::nullopt;  // unterminated
      ++j;
    } else {
      while (j < value.size() && value[j] != ';' && value[j] != ' ') result += value[j++];
    }
    if (http::iequals(key, name)) return result;
    i = value.find(';', j);
  }
  return std::nullopt;
}

// multipart/form-data: each part between "--boundary" lines, its headers,
// a blank line, its content. Text parts become parameters; parts with a
// filename become files (at most kMaxMultipartFiles). False when the body
// is not well formed.
bool read_multipart(std::string_view body, std::string_view boundary, Params& params) {
  const std::string delimiter = "--" + std::string(boundary);
  std::size_t pos;
  if (body.starts_with(delimiter)) {
    pos = delimiter.size();
  } else {
    pos = body.find("\r\n" + delimiter);  // after a preamble
    if (pos == std::string_view::npos) return false;
    pos += 2 + delimiter.size();
  }
  std::size_t files = 0;
  for (std::size_t parts = 0;; ++parts) {
    if (body.substr(pos).starts_with("--")) return true;  // the close delimiter
    if (parts >= kMaxMultipartParts || !body.substr(pos).starts_with("\r\n")) return false;
    pos += 2;
    const std::size_t headers_end = body.find("\r\n\r\n", pos);
    if (headers_end == std::string_view::npos || headers_end - pos > kMaxPartHeaderBytes)
      return false;
    std::optional<std::string> name;
    std::optional<std::string> filename;
    std::string content_type;
    std::string_view headers = body.substr(pos, headers_end - pos);
    while (!headers.empty()) {
      const std::size_t eol = headers.find("\r\n");
      std::string_view line = headers.substr(0, eol);
      headers = eol == std::string_view::npos ? std::string_view() : headers.substr(eol + 2);
      const std::size_t colon = line.find(':');
      if (colon == std::string_view::npos) return false;
      std::string_view value = line.substr(colon + 1);
      while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
      if (http::iequals(line.substr(0, colon), "Content-Type")) content_type = value;
      if (!http::iequals(line.substr(0, colon), "Content-Disposition")) continue;
      if (value.size() < 9 || !http::iequals(value.substr(0, 9), "form-data")) return false;
      name = header_parameter(value, "name");
      filename = header_parameter(value, "filename");
    }
    const std::size_t content = headers_end + 4;
    const std::size_t end = body.find("\r\n" + delimiter, content);
    if (end == std::string_view::npos || !name) return false;
    if (!filename) {
      params.add(*name, std::string(body.substr(content, end - content)));
    } else {
      if (++files > kMaxMultipartFiles) return false;
      params.add_file(*name, {std::move(*filename), std::move(content_type),
                              std::string(body.substr(content, end - content))});
    }
    pos = end + 2 + delimiter.size();
  }
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

void Params::add_file(std::string name, UploadedFile file) {
  files_.emplace(base_name(std::move(name)), std::move(file));  // the first one wins
}

const UploadedFile* Params::file(const std::string& name) const {
  auto it = files_.find(name);
  return it == files_.end() ? nullptr : &it->second;
}

std::vector<std::string> Params::all(const std::string& name) const {
  auto it = values_.find(name);
  return it == values_.end() ? std::vector<std::string>{} : it->second;
}

std::vector<std::string> Params::names() const {
  std::vector<std::string> out;
  for (const auto& [name, values] : values_) out.push_back(name);
  return out;
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
  if (http::iequals(type, "multipart/form-data")) {
    const std::string content_type(request.header("Content-Type").value_or(""));
    auto boundary = header_parameter(content_type, "boundary");
    if (!boundary || boundary->empty() || boundary->size() > kMaxBoundaryLength)
      return http::error_response(400, "multipart body without a valid boundary");
    if (!read_multipart(request.body, *boundary, params))
      return http::error_response(400, "malformed multipart body");
    return params;
  }
  return http::error_response(415,
                              "unsupported Content-Type; use application/json, "
                              "application/x-www-form-urlencoded or multipart/form-data");
}

}  // namespace kith::api
