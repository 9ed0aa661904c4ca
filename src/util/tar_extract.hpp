#pragma once
// Safe extraction of tar archives (plain or gzip-compressed) into a folder: members with absolute
// paths or ".." are refused, links may not point outside the folder (each resolved component by
// component through the links beside it once all are in place, so a chain of links that are
// each harmless cannot climb out), nothing is written through a symbolic link, and the files may
// not add up to more than a budget (checked against each member's size before it is written).

#include <cstdint>
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

inline constexpr uint64_t k_no_limit = ~uint64_t{0};

Expected<ExtractStats> extract_tar(const std::filesystem::path& archive, const std::filesystem::path& destination,
                                   uint64_t max_bytes = k_no_limit);

// The member name as a safe relative path ("a/b"), or an error naming the member.
// Leading "./" and repeated slashes are dropped; "" means the archive root itself.
Expected<std::string> safe_member_path(const std::string& name);

// True when `target` of a symlink stored at `link_path` (relative to the root) stays inside.
bool link_target_inside(const std::string& link_path, const std::string& target);

// True when `relative` (a path inside `root`) resolves inside it, following the symbolic links it
// meets on the way as the kernel would (RESOLVE_BENEATH's rule): an absolute target or a ".."
// above the root is outside; more than 40 links is a loop, and outside too.
bool resolves_inside(const std::filesystem::path& root, const std::string& relative);

} // namespace sagerun::util
