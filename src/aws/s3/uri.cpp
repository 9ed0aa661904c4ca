#include "aws/s3/uri.hpp"

#include <algorithm>

namespace sagerun::aws::s3 {

Expected<Location> parse_uri(const std::string& uri) {
  if (!uri.starts_with("s3://")) return util::fail(util::ErrorKind::invalid_input, "'" + uri + "' is not an s3:// URI");
  const std::string rest = uri.substr(5);
  const auto slash = rest.find('/');
  Location location{rest.substr(0, slash), slash == std::string::npos ? "" : rest.substr(slash + 1)};
  const auto& b = location.bucket;
  const bool valid_bucket = b.size() >= 3 && b.size() <= 63 && std::all_of(b.begin(), b.end(), [](char c) {
                              return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
                                     c == '_' || (c >= 'A' && c <= 'Z');
                            });
  if (!valid_bucket) {
    return util::fail(util::ErrorKind::invalid_input,
                      "'" + uri + "': invalid bucket name '" + b + "' (3-63 letters, digits, '.', '-')");
  }
  return location;
}

Expected<std::filesystem::path> local_path_for_key(const std::filesystem::path& root, const std::string& prefix,
                                                   const std::string& key) {
  const auto refuse = [&](const char* why) {
    return util::fail(util::ErrorKind::invalid_input,
                      "refusing key '" + key + "': " + why + " (it would land outside " + root.string() + ")");
  };
  if (!key.starts_with(prefix)) return refuse("not under the prefix");
  std::string rest = key.substr(prefix.size());
  if (!prefix.empty() && !prefix.ends_with("/")) {
    if (!rest.starts_with("/")) return refuse("not under the prefix");
    rest.erase(0, 1);
  }
  if (rest.empty()) return refuse("empty name");
  if (rest.front() == '/') return refuse("absolute path");
  if (rest.find('\0') != std::string::npos) return refuse("NUL byte");
  std::filesystem::path relative;
  size_t start = 0;
  while (start <= rest.size()) {
    const size_t slash = rest.find('/', start);
    const std::string segment = rest.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (segment.empty()) return refuse("empty path segment");
    if (segment == "." || segment == "..") return refuse("'.' or '..' segment");
    relative /= segment;
    if (slash == std::string::npos) break;
    start = slash + 1;
  }
  return root / relative;
}

} // namespace sagerun::aws::s3
