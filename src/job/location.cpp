#include "job/location.hpp"

namespace sagerun::job {

LocationKind location_kind(std::string_view uri) {
  if (uri.starts_with("s3://")) return LocationKind::s3;
  if (uri.starts_with("https://") || uri.starts_with("http://")) return LocationKind::https;
  return local_path(uri) ? LocationKind::local : LocationKind::other;
}

std::optional<std::string> local_path(std::string_view uri) {
  if (uri.starts_with("file://")) {
    uri.remove_prefix(7);
    if (uri.starts_with("localhost/")) uri.remove_prefix(9);
  }
  if (!uri.starts_with("/")) return std::nullopt;
  return std::string(uri);
}

} // namespace sagerun::job
