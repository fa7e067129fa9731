// Where uploaded files live: one directory (media.directory), files named
// by kith with random names (never the user's file name), each written to a
// temporary file and renamed into place, so a reader never sees half a file
// and a crash leaves no partial one under a served name.
//
// Blocking file I/O: call it off the I/O threads. Must never accept a name
// that could leave the directory: names are checked against kith's own
// pattern (random base64url characters, a dot, a known extension).
#pragma once

#include <cstddef>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace kith::media {

// Largest file read back for serving (uploads are capped lower by
// media.max_image_bytes; this bounds a file put there by hand).
inline constexpr std::size_t kMaxServedFileBytes = 256u << 20;

class FileStore {
 public:
  explicit FileStore(std::filesystem::path directory) : directory_(std::move(directory)) {}

  // Stores `bytes` as "<random>.<extension>" and returns that name. Throws
  // std::system_error (or filesystem_error) when the disk refuses.
  std::string save(std::string_view bytes, std::string_view extension) const;
  // The file's bytes; nullopt when the name is not one kith makes, or the
  // file is missing or too large.
  std::optional<std::string> read(std::string_view name) const;
  // Removes the file; false when it was not there or the name is invalid.
  bool remove(std::string_view name) const;

  // A name kith could have made: 16 to 64 base64url characters, '.', one of
  // the four extensions.
  static bool valid_name(std::string_view name);

  const std::filesystem::path& directory() const { return directory_; }

 private:
  std::filesystem::path directory_;
};

}  // namespace kith::media
