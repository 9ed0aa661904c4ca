#pragma once
// s3://bucket/key locations and the checks that keep keys from escaping a local folder.

#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace sagerun::aws::s3 {

struct Location {
  std::string bucket;
  std::string key; // may be empty (the bucket) or a prefix
  std::string uri() const { return "s3://" + bucket + "/" + key; }
};

// "s3://bucket/some/key" → {bucket, "some/key"}; an error names what is wrong.
Expected<Location> parse_uri(const std::string& uri);

// The local path for `key` below `prefix` inside `root`, or an error when the rest of the key
// is absolute, holds "." / ".." or empty segments, or a NUL: it could land outside `root`.
Expected<std::filesystem::path> local_path_for_key(const std::filesystem::path& root, const std::string& prefix,
                                                   const std::string& key);

} // namespace sagerun::aws::s3
