#include "util/tar_extract.hpp"

#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <vector>

#include "util/fd.hpp"
#include "util/files.hpp"

namespace sagerun::util {
namespace {

constexpr size_t k_block = 512;

std::vector<std::string> split_components(const std::string& path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = path.find('/', start);
    const size_t end = slash == std::string::npos ? path.size() : slash;
    if (end > start) parts.push_back(path.substr(start, end - start));
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return parts;
}

struct GzCloser {
  void operator()(gzFile file) const { gzclose(file); }
};
using GzHandle = std::unique_ptr<gzFile_s, GzCloser>;

class ArchiveReader {
public:
  ArchiveReader(GzHandle file, std::string name) : m_file(std::move(file)), m_name(std::move(name)) {}

  // Reads exactly `size` bytes; false at end of data or on error.
  bool read_exact(char* out, size_t size) {
    while (size > 0) {
      const int n = gzread(m_file.get(), out, static_cast<unsigned>(std::min<size_t>(size, 1u << 20)));
      if (n <= 0) return false;
      out += n;
      size -= static_cast<size_t>(n);
    }
    return true;
  }
  bool skip(size_t size) {
    char buffer[65536];
    while (size > 0) {
      const size_t chunk = std::min(size, sizeof buffer);
      if (!read_exact(buffer, chunk)) return false;
      size -= chunk;
    }
    return true;
  }
  std::string truncated_error() const { return m_name + ": archive is truncated or corrupt"; }

private:
  GzHandle m_file;
  std::string m_name;
};

std::string field(const char* data, size_t size) { return std::string(data, strnlen(data, size)); }

// Octal, or the GNU base-256 form for large values.
bool parse_number(const char* data, size_t size, uint64_t& out) {
  out = 0;
  if (static_cast<unsigned char>(data[0]) & 0x80) {
    for (size_t i = 1; i < size; ++i)
      out = (out << 8) | static_cast<unsigned char>(data[i]);
    return true;
  }
  size_t i = 0;
  while (i < size && (data[i] == ' ' || data[i] == '\0'))
    ++i;
  for (; i < size && data[i] >= '0' && data[i] <= '7'; ++i)
    out = out * 8 + static_cast<uint64_t>(data[i] - '0');
  return true;
}

bool checksum_ok(const char* header) {
  uint64_t stored = 0;
  parse_number(header + 148, 8, stored);
  uint64_t sum = 0;
  for (size_t i = 0; i < k_block; ++i) {
    sum += (i >= 148 && i < 156) ? ' ' : static_cast<unsigned char>(header[i]);
  }
  return sum == stored;
}

// PAX extended header records: "LEN key=value\n".
void parse_pax(const std::string& data, std::string& path, std::string& link, uint64_t& size, bool& has_size) {
  size_t pos = 0;
  while (pos < data.size()) {
    const size_t space = data.find(' ', pos);
    if (space == std::string::npos) return;
    const size_t length = std::strtoul(data.c_str() + pos, nullptr, 10);
    if (length == 0 || pos + length > data.size()) return;
    const std::string record = data.substr(space + 1, pos + length - space - 2);
    const size_t equals = record.find('=');
    if (equals != std::string::npos) {
      const std::string key = record.substr(0, equals);
      const std::string value = record.substr(equals + 1);
      if (key == "path")
        path = value;
      else if (key == "linkpath")
        link = value;
      else if (key == "size") {
        size = std::strtoull(value.c_str(), nullptr, 10);
        has_size = true;
      }
    }
    pos += length;
  }
}

class Extractor {
public:
  explicit Extractor(std::filesystem::path root) : m_root(std::move(root)) {}

  Expected<void> check_parents(const std::string& relative) {
    std::string prefix;
    const auto parts = split_components(relative);
    for (size_t i = 0; i + 1 < parts.size(); ++i) {
      prefix += (prefix.empty() ? "" : "/") + parts[i];
      struct stat st{};
      const auto full = m_root / prefix;
      if (::lstat(full.c_str(), &st) != 0) {
        if (::mkdir(full.c_str(), 0755) != 0) {
          if (errno != EEXIST) return fail(ErrorKind::io, errno_message(full.string(), errno));
        } else {
          m_created.push_back(full);
        }
        continue;
      }
      if (S_ISLNK(st.st_mode)) {
        return fail(ErrorKind::invalid_input,
                    "refusing to write '" + relative + "' through the symbolic link '" + prefix + "'");
      }
      if (!S_ISDIR(st.st_mode)) {
        return fail(ErrorKind::invalid_input,
                    "'" + prefix + "' is a file but '" + relative + "' needs it to be a folder");
      }
    }
    return {};
  }

  // Removes what stands at the target (never following a link) so the new member replaces it.
  void clear(const std::filesystem::path& full) {
    struct stat st{};
    if (::lstat(full.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) ::unlink(full.c_str());
  }

  Expected<void> file(ArchiveReader& reader, const std::string& relative, uint64_t size, mode_t mode,
                      ExtractStats& stats) {
    const auto full = m_root / relative;
    clear(full);
    UniqueFd out(::open(full.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0777));
    if (!out.valid()) return fail(ErrorKind::io, errno_message(full.string(), errno));
    m_created.push_back(full);
    std::vector<char> buffer(1 << 20);
    uint64_t left = size;
    while (left > 0) {
      const size_t chunk = static_cast<size_t>(std::min<uint64_t>(left, buffer.size()));
      if (!reader.read_exact(buffer.data(), chunk)) return fail(ErrorKind::invalid_input, reader.truncated_error());
      if (!write_all(out.get(), std::string_view(buffer.data(), chunk))) {
        return fail(ErrorKind::io, errno_message(full.string(), errno));
      }
      left -= chunk;
    }
    ::fchmod(out.get(), mode & 0777);
    stats.files++;
    stats.bytes += size;
    const uint64_t padding = (k_block - size % k_block) % k_block;
    if (!reader.skip(static_cast<size_t>(padding))) return fail(ErrorKind::invalid_input, reader.truncated_error());
    return {};
  }

  Expected<void> directory(const std::string& relative, mode_t mode, ExtractStats& stats) {
    if (relative.empty()) return {};
    const auto full = m_root / relative;
    struct stat st{};
    if (::lstat(full.c_str(), &st) == 0) {
      if (S_ISDIR(st.st_mode)) return {};
      ::unlink(full.c_str());
    }
    if (::mkdir(full.c_str(), (mode & 0777) | 0700) != 0)
      return fail(ErrorKind::io, errno_message(full.string(), errno));
    m_created.push_back(full);
    stats.directories++;
    return {};
  }

  Expected<void> symlink(const std::string& relative, const std::string& target, ExtractStats& stats) {
    if (!link_target_inside(relative, target)) {
      return fail(ErrorKind::invalid_input,
                  "refusing symbolic link '" + relative + "' -> '" + target + "': it points outside the folder");
    }
    const auto full = m_root / relative;
    clear(full);
    if (::symlink(target.c_str(), full.c_str()) != 0) return fail(ErrorKind::io, errno_message(full.string(), errno));
    m_created.push_back(full);
    stats.links++;
    return {};
  }

  Expected<void> hardlink(const std::string& relative, const std::string& target, ExtractStats& stats) {
    auto safe_target = safe_member_path(target);
    if (!safe_target || safe_target->empty()) {
      return fail(ErrorKind::invalid_input,
                  "refusing hard link '" + relative + "' -> '" + target + "': it points outside the folder");
    }
    if (auto ok = check_parents(*safe_target); !ok) return ok;
    const auto source = m_root / *safe_target;
    struct stat st{};
    if (::lstat(source.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
      return fail(ErrorKind::invalid_input,
                  "hard link '" + relative + "' -> '" + target + "': the target is not a file extracted earlier");
    }
    const auto full = m_root / relative;
    clear(full);
    if (::link(source.c_str(), full.c_str()) != 0) return fail(ErrorKind::io, errno_message(full.string(), errno));
    m_created.push_back(full);
    stats.links++;
    return {};
  }

  // Removes everything this extraction created, newest first (a folder goes once it is empty).
  // What a member replaced is gone either way.
  void undo() {
    for (auto it = m_created.rbegin(); it != m_created.rend(); ++it) {
      struct stat st{};
      if (::lstat(it->c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) {
        ::rmdir(it->c_str());
      } else {
        ::unlink(it->c_str());
      }
    }
    m_created.clear();
  }

private:
  std::filesystem::path m_root;
  std::vector<std::filesystem::path> m_created;
};

} // namespace

Expected<std::string> safe_member_path(const std::string& name) {
  if (name.empty()) return fail(ErrorKind::invalid_input, "archive member with an empty name");
  if (name.front() == '/')
    return fail(ErrorKind::invalid_input, "refusing archive member '" + name + "': absolute path");
  if (name.find('\0') != std::string::npos)
    return fail(ErrorKind::invalid_input, "refusing archive member with a NUL byte in its name");
  std::string out;
  for (const auto& part : split_components(name)) {
    if (part == ".") continue;
    if (part == "..") return fail(ErrorKind::invalid_input, "refusing archive member '" + name + "': it contains '..'");
    out += (out.empty() ? "" : "/") + part;
  }
  return out;
}

bool resolves_inside(const std::filesystem::path& root, const std::string& relative) {
  std::vector<std::string> at;   // where the walk stands, from the root
  std::vector<std::string> left; // what is left to walk, last component first
  const auto push_all = [&left](const std::string& path) {
    auto parts = split_components(path);
    left.insert(left.end(), parts.rbegin(), parts.rend());
  };
  push_all(relative);
  int links = 0;
  while (!left.empty()) {
    const std::string part = std::move(left.back());
    left.pop_back();
    if (part == ".") continue;
    if (part == "..") {
      if (at.empty()) return false;
      at.pop_back();
      continue;
    }
    std::filesystem::path here = root;
    for (const auto& name : at)
      here /= name;
    here /= part;
    struct stat st{};
    if (::lstat(here.c_str(), &st) == 0 && S_ISLNK(st.st_mode)) {
      if (++links > 40) return false;
      std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
      const ssize_t length = ::readlink(here.c_str(), target.data(), target.size());
      if (length < 0 || static_cast<size_t>(length) >= target.size()) return false;
      target.resize(static_cast<size_t>(length));
      if (target.empty() || target.front() == '/') return false;
      push_all(target); // resolved from the link's own folder: `at` stays
      continue;
    }
    at.push_back(part); // a folder, a file, or nothing yet: the rest is lexical from here
  }
  return true;
}

bool link_target_inside(const std::string& link_path, const std::string& target) {
  if (target.empty() || target.front() == '/') return false;
  auto depth_parts = split_components(link_path);
  if (!depth_parts.empty()) depth_parts.pop_back(); // the link's own folder
  long depth = static_cast<long>(depth_parts.size());
  for (const auto& part : split_components(target)) {
    if (part == ".") continue;
    if (part == "..") {
      if (--depth < 0) return false;
    } else {
      ++depth;
    }
  }
  return true;
}

namespace {

Expected<ExtractStats> extract_members(ArchiveReader& reader, const std::filesystem::path& archive,
                                       const std::filesystem::path& destination, Extractor& extractor,
                                       uint64_t max_bytes) {
  ExtractStats stats;
  std::vector<std::string> links; // checked once all are in place: a later link can redirect one
  std::string long_name, long_link, pax_path, pax_link;
  uint64_t pax_size = 0;
  bool pax_has_size = false;
  std::array<char, k_block> header{};
  size_t zero_blocks = 0;
  bool any_member = false;
  for (;;) {
    if (!reader.read_exact(header.data(), k_block)) {
      if (any_member || zero_blocks > 0) break; // tolerate archives without end blocks
      return fail(ErrorKind::invalid_input, archive.string() + ": not a tar archive (empty or unreadable)");
    }
    if (std::all_of(header.begin(), header.end(), [](char c) { return c == 0; })) {
      if (++zero_blocks == 2) break;
      continue;
    }
    zero_blocks = 0;
    if (!checksum_ok(header.data())) {
      return fail(ErrorKind::invalid_input, archive.string() + ": not a tar archive, or corrupt (bad header checksum)");
    }
    any_member = true;
    uint64_t size = 0;
    parse_number(header.data() + 124, 12, size);
    uint64_t mode = 0;
    parse_number(header.data() + 100, 8, mode);
    const char type = header[156];
    std::string name = field(header.data(), 100);
    const std::string prefix = field(header.data() + 345, 155);
    if (std::memcmp(header.data() + 257, "ustar", 5) == 0 && !prefix.empty()) name = prefix + "/" + name;
    std::string link = field(header.data() + 157, 100);

    if (type == 'L' || type == 'K' || type == 'x' || type == 'g') {
      if (size > (1u << 20)) return fail(ErrorKind::invalid_input, archive.string() + ": oversized extended header");
      std::string data(static_cast<size_t>(size), '\0');
      if (!reader.read_exact(data.data(), data.size()) ||
          !reader.skip(static_cast<size_t>((k_block - size % k_block) % k_block))) {
        return fail(ErrorKind::invalid_input, reader.truncated_error());
      }
      if (type == 'L')
        long_name = data.c_str();
      else if (type == 'K')
        long_link = data.c_str();
      else if (type == 'x')
        parse_pax(data, pax_path, pax_link, pax_size, pax_has_size);
      continue;
    }
    if (!long_name.empty()) name = std::exchange(long_name, {});
    if (!pax_path.empty()) name = std::exchange(pax_path, {});
    if (!long_link.empty()) link = std::exchange(long_link, {});
    if (!pax_link.empty()) link = std::exchange(pax_link, {});
    if (pax_has_size) {
      size = pax_size;
      pax_has_size = false;
    }

    auto relative = safe_member_path(name);
    if (!relative) return fail(ErrorKind::invalid_input, archive.string() + ": " + relative.error().message);
    if (!relative->empty()) {
      if (auto ok = extractor.check_parents(*relative); !ok)
        return fail(ok.error().kind, archive.string() + ": " + ok.error().message);
    }
    Expected<void> done;
    switch (type) {
    case '0':
    case '\0':
    case '7':
      if (relative->empty()) return fail(ErrorKind::invalid_input, archive.string() + ": file member without a name");
      if (size > max_bytes - stats.bytes) {
        return fail(ErrorKind::invalid_input,
                    archive.string() + ": unpacks to more than " + std::to_string(max_bytes) + " bytes (member '" +
                        name + "' of " + std::to_string(size) + " bytes after " + std::to_string(stats.bytes) +
                        " bytes of files); the job's volume (ResourceConfig.VolumeSizeInGB) cannot hold it");
      }
      done = extractor.file(reader, *relative, size, static_cast<mode_t>(mode), stats);
      size = 0;
      break;
    case '5': done = extractor.directory(*relative, static_cast<mode_t>(mode), stats); break;
    case '2':
      done = extractor.symlink(*relative, link, stats);
      links.push_back(*relative);
      break;
    case '1': done = extractor.hardlink(*relative, link, stats); break;
    default:
      return fail(ErrorKind::invalid_input, archive.string() + ": refusing member '" + name + "' of type '" +
                                                std::string(1, type) + "' (devices and FIFOs are not extracted)");
    }
    if (!done) return fail(done.error().kind, archive.string() + ": " + done.error().message);
    if (size > 0 && !reader.skip(static_cast<size_t>(size + (k_block - size % k_block) % k_block))) {
      return fail(ErrorKind::invalid_input, reader.truncated_error());
    }
  }
  for (const auto& relative : links) {
    if (resolves_inside(destination, relative)) continue;
    for (const auto& link : links)
      ::unlink((destination / link).c_str()); // none is left to point anywhere
    return fail(ErrorKind::invalid_input, archive.string() + ": refusing symbolic link '" + relative +
                                              "': through the links beside it, it resolves outside the folder");
  }
  return stats;
}

} // namespace

Expected<ExtractStats> extract_tar(const std::filesystem::path& archive, const std::filesystem::path& destination,
                                   uint64_t max_bytes) {
  UniqueFd fd(::open(archive.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid())
    return fail(errno == ENOENT ? ErrorKind::not_found : ErrorKind::io, errno_message(archive.string(), errno));
  GzHandle gz(gzdopen(fd.release(), "rb"));
  if (!gz) return fail(ErrorKind::io, archive.string() + ": cannot open");
  gzbuffer(gz.get(), 1 << 17);
  ArchiveReader reader(std::move(gz), archive.string());
  if (auto ok = make_directories(destination); !ok) return std::unexpected(ok.error());

  Extractor extractor(destination);
  auto extracted = extract_members(reader, archive, destination, extractor, max_bytes);
  if (!extracted) extractor.undo();
  return extracted;
}

} // namespace sagerun::util
