#include "util/files.hpp"

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>

#include "util/fd.hpp"

namespace sagerun::util {

std::string errno_message(const std::string& what, int error_number) {
  return what + ": " + std::strerror(error_number);
}

Expected<std::string> read_file(const fs::path& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) {
    const int err = errno;
    return fail(err == ENOENT ? ErrorKind::not_found : ErrorKind::io, errno_message(path.string(), err));
  }
  std::string content;
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd.get(), buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      return fail(ErrorKind::io, errno_message(path.string(), errno));
    }
    if (n == 0) break;
    content.append(buffer, static_cast<size_t>(n));
  }
  return content;
}

bool is_file(const fs::path& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

bool is_dir(const fs::path& path) {
  struct stat st{};
  return ::stat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

bool is_executable(const fs::path& path) { return is_file(path) && ::access(path.c_str(), X_OK) == 0; }

std::vector<std::string> list_directory(const fs::path& path) {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(path, ec)) {
    names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

void visit_directory(const fs::path& path, const std::function<void(std::string_view)>& visit) {
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string_view name(entry->d_name);
    if (name != "." && name != "..") visit(name);
  }
  ::closedir(dir);
}

Expected<void> make_directories(const fs::path& path) {
  std::error_code ec;
  fs::create_directories(path, ec);
  if (ec) return fail(ErrorKind::io, path.string() + ": " + ec.message());
  return {};
}

std::string no_space_note(const fs::path& path) {
  struct statvfs info{};
  if (::statvfs(path.c_str(), &info) != 0) return "";
  const auto free_bytes = static_cast<unsigned long long>(info.f_bavail) * info.f_frsize;
  if (free_bytes >= 64 * 1024) return "";
  return " — no space left on device: the file system of " + path.string() + " is full (" + std::to_string(free_bytes) +
         " bytes free)";
}

std::string read_first_line(const fs::path& path, size_t limit) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return {};
  std::string line(limit, '\0');
  const ssize_t n = ::read(fd.get(), line.data(), limit);
  if (n <= 0) return {};
  line.resize(static_cast<size_t>(n));
  if (const auto newline = line.find('\n'); newline != std::string::npos) line.resize(newline);
  return line;
}

} // namespace sagerun::util
