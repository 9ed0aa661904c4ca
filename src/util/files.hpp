#pragma once
// Small file-system helpers with errors a user can act on.

#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"

namespace sagerun::util {

namespace fs = std::filesystem;

Expected<std::string> read_file(const fs::path& path);

bool is_file(const fs::path& path);
bool is_dir(const fs::path& path);
bool is_executable(const fs::path& path);

// Names of the entries in a directory, sorted; empty when it cannot be read.
std::vector<std::string> list_directory(const fs::path& path);

// Calls `visit` with each entry name (not "." or ".."), unsorted, without allocating: for hot
// start-up paths such as counting /dev/nvidiaN.
void visit_directory(const fs::path& path, const std::function<void(std::string_view)>& visit);

// Creates a directory and its parents; an error names the path.
Expected<void> make_directories(const fs::path& path);

// " — no space left on device: …" when the file system holding `path` is (almost) full, else
// empty: the words a failure needs when a full disk is its cause, whatever the program said.
std::string no_space_note(const fs::path& path);

// First line of a file, at most `limit` bytes (for shebangs).
std::string read_first_line(const fs::path& path, size_t limit = 256);

} // namespace sagerun::util
