#pragma once
// A file that appears whole or not at all: written under a temporary name beside its target
// ("<target>.sagerun-part-<pid>-<n>") and renamed over it on commit. Until then readers see the
// old file or none; a failure, an early return or an exception removes the temporary. Only a
// killed process leaves one behind, and the name says what it is (cleanup code looks for
// k_part_marker).

#include <sys/types.h>

#include <filesystem>
#include <string_view>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::util {

enum class Durability {
  none,  // the rename is atomic for readers; a power loss may lose it
  fsync, // data and name survive a power loss once commit() returns
};

inline constexpr std::string_view k_part_marker = ".sagerun-part-";

class AtomicFile {
public:
  static Expected<AtomicFile> create(const std::filesystem::path& target, mode_t mode = 0644);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  int fd() const { return m_fd.get(); }
  const std::filesystem::path& target() const { return m_target; }
  const std::filesystem::path& temp_path() const { return m_temp; }

  Expected<void> write(std::string_view data);
  // Starts over (an HTTP retry of a download): the temporary is emptied.
  Expected<void> truncate();
  Expected<void> commit(Durability durability = Durability::none);

private:
  AtomicFile(std::filesystem::path target, std::filesystem::path temp, UniqueFd fd)
      : m_target(std::move(target)), m_temp(std::move(temp)), m_fd(std::move(fd)) {}
  void discard();

  std::filesystem::path m_target;
  std::filesystem::path m_temp;
  UniqueFd m_fd;
  bool m_done = false;
};

// The whole content at once, through AtomicFile.
Expected<void> write_file_atomic(const std::filesystem::path& path, std::string_view content,
                                 Durability durability = Durability::none);

} // namespace sagerun::util
