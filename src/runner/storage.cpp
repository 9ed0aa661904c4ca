#include "runner/storage.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <system_error>

#include "aws/s3/uri.hpp"
#include "job/location.hpp"
#include "runner/pack.hpp"
#include "util/atomic_file.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

std::string trim_slashes(std::string key) {
  while (key.ends_with('/'))
    key.pop_back();
  return key;
}

util::Error copy_error(const fs::path& from, const fs::path& to, int error) {
  return {util::ErrorKind::io, util::errno_message("cannot copy " + from.string() + " to " + to.string(), error)};
}

// The bytes of `from` into `to_fd`: copy_file_range (the kernel copies), read/write where the
// file systems cannot.
Expected<void> copy_bytes(const fs::path& from, int to_fd, const fs::path& to) {
  util::UniqueFd in(::open(from.c_str(), O_RDONLY | O_CLOEXEC));
  if (!in.valid()) return util::fail(util::ErrorKind::io, util::errno_message("cannot read " + from.string(), errno));
  for (;;) {
    const ssize_t copied = ::copy_file_range(in.get(), nullptr, to_fd, nullptr, size_t{1} << 30, 0);
    if (copied == 0) return {};
    if (copied > 0) continue;
    if (errno == EINTR) continue;
    if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP)
      return std::unexpected(copy_error(from, to, errno));
    break;
  }
  char buffer[1 << 16];
  for (;;) {
    const ssize_t got = ::read(in.get(), buffer, sizeof buffer);
    if (got == 0) return {};
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 || !util::write_all(to_fd, std::string_view(buffer, static_cast<size_t>(got))))
      return std::unexpected(copy_error(from, to, errno));
  }
}

} // namespace

std::string Location::uri() const {
  if (kind == Kind::s3) return "s3://" + bucket + "/" + key;
  return "file://" + path.string();
}

Location Location::child(const std::string& relative) const {
  Location result = *this;
  if (kind == Kind::s3) {
    result.key = key.empty() ? relative : key + "/" + relative;
  } else {
    result.path = path / relative;
  }
  return result;
}

Expected<Location> parse_location(const std::string& uri, const std::string& field) {
  Location location;
  if (job::location_kind(uri) == job::LocationKind::s3) {
    auto parsed = aws::s3::parse_uri(uri);
    if (!parsed) return util::fail(util::ErrorKind::invalid_input, field + ": " + parsed.error().message);
    location.kind = Location::Kind::s3;
    location.bucket = parsed->bucket;
    location.key = trim_slashes(parsed->key);
    return location;
  }
  const auto path = job::local_path(uri);
  if (!path) {
    return util::fail(util::ErrorKind::invalid_input,
                      field + ": '" + uri +
                          "' is neither s3://bucket/prefix, file:///absolute/path nor an absolute path");
  }
  location.path = fs::path(*path).lexically_normal();
  return location;
}

Expected<void> JournalObserver::opened(const std::string& bucket, const std::string& key,
                                       const std::string& upload_id) {
  return m_journal.upload_started({m_endpoint, bucket, key, upload_id});
}

void JournalObserver::closed(const std::string& upload_id) { m_journal.upload_ended(upload_id); }

Expected<aws::transfer::Manager*> Storage::transfer(const Location& location) {
  if (m_transfer == nullptr) {
    return util::fail(util::ErrorKind::internal, "no S3 client for " + location.uri());
  }
  return m_transfer;
}

// In the journal while the temporary exists, so a runner killed mid-copy leaves nothing the
// reconciler cannot find; durable once renamed, as an S3 upload is.
Expected<void> Storage::copy_file(const fs::path& from, const fs::path& to) {
  if (auto made = util::make_directories(to.parent_path()); !made) return made;
  if (m_journal != nullptr) {
    if (auto recorded = m_journal->copy_started(to); !recorded) return recorded;
  }
  auto file = util::AtomicFile::create(to);
  if (!file) return std::unexpected(file.error());
  auto copied = copy_bytes(from, file->fd(), to);
  if (copied) copied = file->commit(util::Durability::fsync);
  if (copied && m_journal != nullptr) m_journal->copy_ended(to);
  return copied;
}

Expected<size_t> Storage::copy_tree(const fs::path& from, const fs::path& to) {
  size_t files = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(from, error), end; !error && it != end; it.increment(error)) {
    if (!it->is_regular_file()) continue;
    if (auto copied = copy_file(it->path(), to / fs::relative(it->path(), from)); !copied)
      return std::unexpected(copied.error());
    ++files;
  }
  if (error) return util::fail(util::ErrorKind::io, "cannot read " + from.string() + ": " + error.message());
  return files;
}

Expected<void> Storage::put_file(const fs::path& file, const Location& destination) {
  if (destination.kind == Location::Kind::local) return copy_file(file, destination.path);
  auto manager = transfer(destination);
  if (!manager) return std::unexpected(manager.error());
  auto uploaded = (*manager)->upload_file(file, destination.bucket, destination.key);
  if (!uploaded) return std::unexpected(uploaded.error());
  return {};
}

Expected<std::string> Storage::put_archive(const fs::path& folder, const Location& destination,
                                           const fs::path& scratch) {
  PackOptions options;
  if (destination.kind == Location::Kind::local) {
    // Packed where it goes: no second copy of the archive.
    if (auto made = util::make_directories(destination.path.parent_path()); !made) return std::unexpected(made.error());
    if (m_journal != nullptr) {
      if (auto recorded = m_journal->copy_started(destination.path); !recorded)
        return std::unexpected(recorded.error());
    }
    options.durability = util::Durability::fsync;
    auto packed = pack_tar_gz(folder, destination.path, options);
    if (!packed) return std::unexpected(packed.error());
    if (m_journal != nullptr) m_journal->copy_ended(destination.path);
    return destination.uri();
  }
  auto packed = pack_tar_gz(folder, scratch, options);
  if (!packed) return std::unexpected(packed.error());
  auto put = put_file(scratch, destination);
  std::error_code ignored;
  fs::remove(scratch, ignored);
  if (!put) return std::unexpected(put.error());
  return destination.uri();
}

Expected<size_t> Storage::put_folder(const fs::path& folder, const Location& destination) {
  if (!util::is_dir(folder)) return 0;
  if (destination.kind == Location::Kind::local) return copy_tree(folder, destination.path);
  auto manager = transfer(destination);
  if (!manager) return std::unexpected(manager.error());
  auto uploaded = (*manager)->upload_folder(folder, destination.bucket, destination.key, aws::transfer::Mode::copy);
  if (!uploaded) return std::unexpected(uploaded.error());
  return uploaded->files;
}

Expected<size_t> Storage::get_folder(const Location& source, const fs::path& folder) {
  if (auto made = util::make_directories(folder); !made) return std::unexpected(made.error());
  if (source.kind == Location::Kind::local) {
    if (!util::is_dir(source.path)) return 0;
    return copy_tree(source.path, folder);
  }
  auto manager = transfer(source);
  if (!manager) return std::unexpected(manager.error());
  const std::string prefix = source.key.empty() ? "" : source.key + "/";
  auto downloaded = (*manager)->download_prefix(source.bucket, prefix, folder, aws::transfer::Mode::copy);
  if (!downloaded) return std::unexpected(downloaded.error());
  return downloaded->files;
}

} // namespace sagerun::runner
