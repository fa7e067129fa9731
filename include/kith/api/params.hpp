// Request parameters the way Mastodon reads them: from the query string, a
// JSON body, a form body or the text fields of a multipart/form-data body,
// into one name -> values map. Array parameters
// may be written `name[]=a&name[]=b` (form) or as JSON arrays; both end up
// under the plain name.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "kith/http/message.hpp"

namespace kith::api {

class Params {
 public:
  void add(std::string name, std::string value);
  std::optional<std::string> first(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
};

// Parses query and body; an unsupported content type or a malformed body
// comes back as an error Response (415 or 400) to send as is.
std::variant<Params, http::Response> read_params(const http::Request& request);

// Most parts read from one multipart body; more is a 400.
inline constexpr std::size_t kMaxMultipartParts = 256;

// JSON bodies may nest at most this deep.
inline constexpr int kMaxJsonDepth = 32;

}  // namespace kith::api
