#include "runner/sync_folder.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <memory>
#include <optional>

namespace sagerun::runner {
namespace {

// Deeper than this is refused rather than holding a descriptor per level without bound.
constexpr int k_max_depth = 64;
constexpr size_t k_max_s3_key = 1024;

int64_t nanoseconds(const struct timespec& time) { return int64_t{time.tv_sec} * 1'000'000'000 + time.tv_nsec; }

FileMark mark_of(const struct stat& status) {
  return {static_cast<uint64_t>(status.st_ino), static_cast<uint64_t>(status.st_size), nanoseconds(status.st_mtim),
          nanoseconds(status.st_ctim)};
}

std::vector<std::string> segments(const std::string& relative) {
  std::vector<std::string> parts;
  size_t start = 0;
  for (;;) {
    const size_t slash = relative.find('/', start);
    parts.push_back(relative.substr(start, slash == std::string::npos ? std::string::npos : slash - start));
    if (slash == std::string::npos) return parts;
    start = slash + 1;
  }
}

// A link or something not a folder where a folder was expected, or nothing at all: the entry is
// not one to sync (and not an error of the sync).
bool not_there(int error) { return error == ENOENT || error == ELOOP || error == ENOTDIR; }

util::Error open_error(const fs::path& shown, int error) {
  return {not_there(error) ? util::ErrorKind::not_found : util::ErrorKind::io,
          util::errno_message("cannot open " + shown.string() + " (symbolic links are not followed)", error)};
}

// Every segment of `relative` below `root` opened with O_NOFOLLOW, the last with `last_flags`.
Expected<util::UniqueFd> walk_beneath(const fs::path& root, const std::string& relative, int last_flags) {
  util::UniqueFd at(::open(root.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!at.valid()) return std::unexpected(open_error(root, errno));
  if (relative.empty()) return at;
  const auto parts = segments(relative);
  for (size_t i = 0; i < parts.size(); ++i) {
    if (parts[i].empty() || parts[i] == "." || parts[i] == "..") {
      return util::fail(util::ErrorKind::invalid_input, "'" + relative + "' holds an empty, '.' or '..' segment");
    }
    const int flags = (i + 1 == parts.size() ? last_flags : O_RDONLY | O_DIRECTORY) | O_NOFOLLOW | O_CLOEXEC;
    util::UniqueFd next(::openat(at.get(), parts[i].c_str(), flags));
    if (!next.valid()) return std::unexpected(open_error(root / relative, errno));
    at = std::move(next);
  }
  return at;
}

using Directory = std::unique_ptr<DIR, int (*)(DIR*)>;

Expected<void> scan_into(util::UniqueFd folder, const fs::path& shown, const std::string& prefix, int depth,
                         std::map<std::string, FileMark>& files) {
  if (depth > k_max_depth) {
    return util::fail(util::ErrorKind::invalid_input,
                      shown.string() + ": folders nested more than 64 deep are not synced; flatten the layout");
  }
  Directory directory(::fdopendir(folder.get()), ::closedir);
  if (!directory) return util::fail(util::ErrorKind::io, util::errno_message("cannot read " + shown.string(), errno));
  folder.release(); // the DIR owns it now
  const int at = ::dirfd(directory.get());
  for (;;) {
    errno = 0;
    const dirent* entry = ::readdir(directory.get());
    if (entry == nullptr) {
      if (errno != 0)
        return util::fail(util::ErrorKind::io, util::errno_message("cannot read " + shown.string(), errno));
      return {};
    }
    const std::string name = entry->d_name;
    if (name == "." || name == "..") continue;
    struct stat status{};
    if (::fstatat(at, name.c_str(), &status, AT_SYMLINK_NOFOLLOW) != 0) {
      if (errno == ENOENT) continue; // removed since the listing
      return util::fail(util::ErrorKind::io, util::errno_message("cannot read " + (shown / name).string(), errno));
    }
    if (S_ISREG(status.st_mode)) {
      files[prefix + name] = mark_of(status);
    } else if (S_ISDIR(status.st_mode)) {
      util::UniqueFd sub(::openat(at, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub.valid()) {
        if (not_there(errno)) continue; // removed, or swapped for a link, since the listing
        return std::unexpected(open_error(shown / name, errno));
      }
      if (auto scanned = scan_into(std::move(sub), shown / name, prefix + name + "/", depth + 1, files); !scanned)
        return scanned;
    }
    // Links, FIFOs, sockets and devices are not files to sync.
  }
}

} // namespace

Expected<Location> confined_child(const Location& destination, const std::string& relative) {
  auto refuse = [&](const std::string& why) {
    return util::fail(util::ErrorKind::invalid_input,
                      "'" + relative + "' cannot be put below " + destination.uri() + ": " + why);
  };
  if (relative.empty()) return refuse("the name is empty");
  if (relative.find('\0') != std::string::npos) return refuse("it holds a NUL");
  if (relative.front() == '/') return refuse("it is absolute");
  for (const auto& part : segments(relative)) {
    if (part.empty()) return refuse("it holds an empty segment");
    if (part == "." || part == "..") return refuse("it holds a '.' or '..' segment");
  }
  Location child = destination.child(relative);
  // What child() made must still lie below the destination, whatever it does with the name.
  if (child.kind == Location::Kind::s3) {
    const std::string prefix = destination.key.empty() ? "" : destination.key + "/";
    if (!child.key.starts_with(prefix) || child.key.size() == prefix.size()) return refuse("the key leaves the prefix");
    if (child.key.size() > k_max_s3_key) return refuse("the key would be longer than S3's 1024 bytes");
  } else {
    const fs::path inside = child.path.lexically_normal().lexically_relative(destination.path.lexically_normal());
    if (inside.empty() || *inside.begin() == ".." || *inside.begin() == ".")
      return refuse("the path leaves the folder");
  }
  return child;
}

Expected<std::map<std::string, FileMark>> scan_folder(const SyncSource& source) {
  std::map<std::string, FileMark> files;
  auto folder = walk_beneath(source.root, source.inside, O_RDONLY | O_DIRECTORY);
  if (!folder) {
    if (folder.error().kind == util::ErrorKind::not_found) return files;
    return std::unexpected(folder.error());
  }
  if (auto scanned = scan_into(std::move(*folder), source.path(), "", 0, files); !scanned)
    return std::unexpected(scanned.error());
  return files;
}

Expected<OpenedFile> open_beneath(const fs::path& root, const std::string& relative) {
  // O_NONBLOCK: a FIFO put where a file was listed must not hang the sync in open().
  auto fd = walk_beneath(root, relative, O_RDONLY | O_NONBLOCK);
  if (!fd) return std::unexpected(fd.error());
  struct stat status{};
  if (::fstat(fd->get(), &status) != 0)
    return util::fail(util::ErrorKind::io, util::errno_message("cannot read " + (root / relative).string(), errno));
  if (!S_ISREG(status.st_mode))
    return util::fail(util::ErrorKind::not_found, (root / relative).string() + " is not a regular file");
  return OpenedFile{std::move(*fd), mark_of(status)};
}

FolderSync::FolderSync(std::string what, std::vector<SyncSource> sources, Location destination)
    : m_what(std::move(what)), m_sources(std::move(sources)), m_destination(std::move(destination)) {}

Expected<std::map<std::string, FolderSync::Seen>> FolderSync::scan() const {
  std::map<std::string, Seen> seen;
  for (size_t i = 0; i < m_sources.size(); ++i) {
    auto files = scan_folder(m_sources[i]);
    if (!files) return std::unexpected(error("", files.error().message));
    for (const auto& [relative, mark] : *files)
      seen.try_emplace(relative, Seen{mark, i}); // an earlier host's file wins
  }
  return seen;
}

void FolderSync::take_as_put() {
  if (auto seen = scan()) {
    m_put = *seen;
    m_previous = std::move(*seen);
  }
}

util::Error FolderSync::error(const std::string& relative, const std::string& message) const {
  return {util::ErrorKind::io,
          m_what + " to " + m_destination.uri() + ": " + (relative.empty() ? "" : relative + ": ") + message};
}

// An error when the put failed (the pass ends there); else whether the file was put, or why it
// could not be read (the pass goes on). A file changed or removed since the scan is left for the
// next pass.
Expected<FolderSync::Outcome> FolderSync::put(Storage& storage, const std::string& relative, const Seen& seen) {
  auto target = confined_child(m_destination, relative);
  if (!target) return Outcome{false, error(relative, target.error().message)};
  const SyncSource& source = m_sources[seen.source];
  auto file = open_beneath(source.root, source.inside.empty() ? relative : source.inside + "/" + relative);
  if (!file) {
    if (file.error().kind == util::ErrorKind::not_found) return Outcome{};
    return Outcome{false, error(relative, file.error().message)};
  }
  if (file->mark != seen.mark) return Outcome{};
  // The file as opened, links never followed: the storage code reads it by its descriptor.
  const fs::path by_descriptor = "/proc/self/fd/" + std::to_string(file->fd.get());
  if (auto stored = storage.put_file(by_descriptor, *target); !stored)
    return std::unexpected(error(relative, stored.error().message));
  struct stat after{};
  return Outcome{::fstat(file->fd.get(), &after) == 0 && mark_of(after) == seen.mark, std::nullopt};
}

Expected<size_t> FolderSync::pass(Storage& storage, PassKind kind, const std::function<bool()>& stopping) {
  auto now = scan();
  if (!now) return std::unexpected(now.error());
  std::optional<util::Error> first;
  size_t count = 0;
  for (const auto& [relative, seen] : *now) {
    if (kind == PassKind::live && stopping && stopping()) break;
    if (auto done = m_put.find(relative); done != m_put.end() && done->second == seen) continue;
    if (kind == PassKind::live) {
      auto before = m_previous.find(relative);
      if (before == m_previous.end() || before->second != seen) continue; // still being written, maybe
    }
    auto outcome = put(storage, relative, seen);
    if (!outcome) {
      if (!first) first = outcome.error();
      break;
    }
    if (outcome->unreadable && !first) first = outcome->unreadable;
    if (outcome->put) {
      m_put[relative] = seen;
      ++count;
    }
  }
  m_previous = std::move(*now);
  if (first) return std::unexpected(*first);
  return count;
}

} // namespace sagerun::runner
