#pragma once
// Safe extraction of tar archives (plain or gzip-compressed) into a folder: members with absolute
// paths or ".." are refused, links may not point outside the folder, and nothing is written
// through a symbolic link.

#include <filesystem>
#include <string>

#include "util/error.hpp"

namespace sagerun::util {

struct ExtractStats {
  size_t files = 0;
  size_t directories = 0;
  size_t links = 0;
  size_t bytes = 0;
};

Expected<ExtractStats> extract_tar(const std::filesystem::path& archive, const std::filesystem::path& destination);

// The member name as a safe relative path ("a/b"), or an error naming the member.
// Leading "./" and repeated slashes are dropped; "" means the archive root itself.
Expected<std::string> safe_member_path(const std::string& name);

// True when `target` of a symlink stored at `link_path` (relative to the root) stays inside.
bool link_target_inside(const std::string& link_path, const std::string& target);

} // namespace sagerun::util
