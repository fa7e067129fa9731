// FileStore (file_store.hpp): random names, temporary file + fsync + rename.
#include "kith/media/file_store.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "kith/core/random.hpp"
#include "kith/media/image_format.hpp"

namespace kith::media {
namespace {

// 18 random bytes: 24 base64url characters, 144 bits nobody can guess.
constexpr std::size_t kNameRandomBytes = 18;

[[noreturn]] void fail(const char* what) {
  throw std::system_error(errno, std::generic_category(), what);
}

struct Descriptor {
  int fd = -1;
  ~Descriptor() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

bool FileStore::valid_name(std::string_view name) {
  const std::size_t dot = name.find('.');
  if (dot == std::string_view::npos || dot < 16 || dot > 64) return false;
  for (char c : name.substr(0, dot))
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_'))
      return false;
  return format_from_extension(name.substr(dot + 1)).has_value();
}

std::string FileStore::save(std::string_view bytes, std::string_view extension) const {
  std::filesystem::create_directories(directory_);
  const std::string name = core::random_token(kNameRandomBytes) + "." + std::string(extension);
  const std::filesystem::path final_path = directory_ / name;
  const std::filesystem::path temporary = directory_ / ("." + name + ".tmp");
  {
    Descriptor file{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
    if (file.fd < 0) fail("creating a media file");
    std::size_t written = 0;
    while (written < bytes.size()) {
      const ssize_t n = ::write(file.fd, bytes.data() + written, bytes.size() - written);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        const int saved = errno;
        ::unlink(temporary.c_str());
        errno = saved;
        fail("writing a media file");
      }
      written += static_cast<std::size_t>(n);
    }
    if (::fsync(file.fd) != 0) {
      ::unlink(temporary.c_str());
      fail("syncing a media file");
    }
  }
  if (::rename(temporary.c_str(), final_path.c_str()) != 0) {
    ::unlink(temporary.c_str());
    fail("renaming a media file");
  }
  return name;
}

std::optional<std::string> FileStore::read(std::string_view name) const {
  if (!valid_name(name)) return std::nullopt;
  const std::filesystem::path path = directory_ / std::string(name);
  Descriptor file{::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (file.fd < 0) return std::nullopt;
  struct stat info {};
  if (::fstat(file.fd, &info) != 0 || !S_ISREG(info.st_mode) ||
      static_cast<std::uint64_t>(info.st_size) > kMaxServedFileBytes)
    return std::nullopt;
  std::string out(static_cast<std::size_t>(info.st_size), '\0');
  std::size_t done = 0;
  while (done < out.size()) {
    const ssize_t n = ::read(file.fd, out.data() + done, out.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return std::nullopt;
    done += static_cast<std::size_t>(n);
  }
  return out;
}

bool FileStore::remove(std::string_view name) const {
  if (!valid_name(name)) return false;
  std::error_code ec;
  return std::filesystem::remove(directory_ / std::string(name), ec);
}

}  // namespace kith::media
