#include "runner/storage.hpp"

#include <unistd.h>

#include <atomic>
#include <system_error>

#include "aws/s3/uri.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

std::string trim_slashes(std::string key) {
  while (key.ends_with('/'))
    key.pop_back();
  return key;
}

// Copies to a temporary name beside the target, then renames.
Expected<void> copy_file_atomic(const fs::path& from, const fs::path& to) {
  static std::atomic<unsigned> counter{0};
  if (auto made = util::make_directories(to.parent_path()); !made) return made;
  const fs::path temp = to.string() + ".sagerun-part-" + std::to_string(::getpid()) + "-" + std::to_string(counter++);
  std::error_code error;
  fs::copy_file(from, temp, fs::copy_options::overwrite_existing, error);
  if (!error) fs::rename(temp, to, error);
  if (error) {
    std::error_code ignored;
    fs::remove(temp, ignored);
    return util::fail(util::ErrorKind::io,
                      "cannot copy " + from.string() + " to " + to.string() + ": " + error.message());
  }
  return {};
}

Expected<size_t> copy_tree(const fs::path& from, const fs::path& to) {
  size_t files = 0;
  std::error_code error;
  for (fs::recursive_directory_iterator it(from, error), end; !error && it != end; it.increment(error)) {
    if (!it->is_regular_file()) continue;
    const fs::path target = to / fs::relative(it->path(), from);
    if (auto copied = copy_file_atomic(it->path(), target); !copied) return std::unexpected(copied.error());
    ++files;
  }
  if (error) return util::fail(util::ErrorKind::io, "cannot read " + from.string() + ": " + error.message());
  return files;
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
  if (uri.starts_with("s3://")) {
    auto parsed = aws::s3::parse_uri(uri);
    if (!parsed) return util::fail(util::ErrorKind::invalid_input, field + ": " + parsed.error().message);
    location.kind = Location::Kind::s3;
    location.bucket = parsed->bucket;
    location.key = trim_slashes(parsed->key);
    return location;
  }
  std::string path = uri;
  if (path.starts_with("file://")) path = path.substr(7);
  if (!path.starts_with("/")) {
    return util::fail(util::ErrorKind::invalid_input,
                      field + ": '" + uri +
                          "' is neither s3://bucket/prefix, file:///absolute/path nor an absolute path");
  }
  location.path = fs::path(path).lexically_normal();
  return location;
}

Expected<aws::transfer::Manager*> Storage::transfer(const Location& location) {
  if (m_transfer == nullptr) {
    return util::fail(util::ErrorKind::internal, "no S3 client for " + location.uri());
  }
  return m_transfer;
}

Expected<void> Storage::put_file(const fs::path& file, const Location& destination) {
  if (destination.kind == Location::Kind::local) return copy_file_atomic(file, destination.path);
  auto manager = transfer(destination);
  if (!manager) return std::unexpected(manager.error());
  auto uploaded = (*manager)->upload_file(file, destination.bucket, destination.key);
  if (!uploaded) return std::unexpected(uploaded.error());
  return {};
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
