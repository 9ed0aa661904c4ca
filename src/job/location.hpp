#pragma once
// What kind of place a URI in a request names — s3://bucket/key, a folder on this machine
// (file://… or an absolute path), or https:// — decided here once for validation, staging,
// outputs and the CLI.

#include <optional>
#include <string>
#include <string_view>

namespace sagerun::job {

enum class LocationKind {
  s3,    // s3://bucket/key
  local, // file:///abs/path, file://localhost/abs/path, or /abs/path
  https, // https:// or http:// (SageMaker's other form; not read locally)
  other, // anything else: a relative path, another scheme
};

LocationKind location_kind(std::string_view uri);

// The path of a local location; nullopt for every other kind.
std::optional<std::string> local_path(std::string_view uri);

} // namespace sagerun::job
