// Request parameters the way Mastodon reads them: from the query string, a
// JSON body, a form body or the text fields of a multipart/form-data body,
// into one name -> values map; a multipart body's file parts (media,
// avatar, header) are kept apart, as files. Array parameters
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

// A multipart part with a filename: its bytes as sent, and what the client
// said about them (never trusted for the type: media sniffs the bytes).
struct UploadedFile {
  std::string filename;
  std::string content_type;
  std::string bytes;
};

class Params {
 public:
  void add(std::string name, std::string value);
  std::optional<std::string> first(const std::string& name) const;
  std::vector<std::string> all(const std::string& name) const;
  // Every parameter name, sorted (for names with an index inside, such as
  // update_credentials' fields_attributes[0][name]).
  std::vector<std::string> names() const;
  void add_file(std::string name, UploadedFile file);
  // The first file part called `name`; null when none.
  const UploadedFile* file(const std::string& name) const;

 private:
  std::map<std::string, std::vector<std::string>> values_;
  std::map<std::string, UploadedFile> files_;
};

// Parses query and body; an unsupported content type or a malformed body
// comes back as an error Response (415 or 400) to send as is.
std::variant<Params, http::Response> read_params(const http::Request& request);

// Most parts read from one multipart body; more is a 400.
inline constexpr std::size_t kMaxMultipartParts = 256;
// Most file parts kept from one body (media: file and thumbnail; profile:
// avatar and header); more is a 400. Their size is bounded by the route's
// body limit.
inline constexpr std::size_t kMaxMultipartFiles = 4;

// JSON bodies may nest at most this deep.
inline constexpr int kMaxJsonDepth = 32;

}  // namespace kith::api
