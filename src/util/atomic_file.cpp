#include "util/atomic_file.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>
#include <utility>

namespace sagerun::util {
namespace {

std::filesystem::path temp_name(const std::filesystem::path& target) {
  static std::atomic<unsigned> counter{0};
  return target.string() + std::string(k_part_marker) + std::to_string(::getpid()) + "-" +
         std::to_string(counter.fetch_add(1, std::memory_order_relaxed));
}

void sync_parent(const std::filesystem::path& target) {
  const auto parent = target.has_parent_path() ? target.parent_path() : std::filesystem::path(".");
  if (UniqueFd dir(::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)); dir.valid()) ::fsync(dir.get());
}

} // namespace

Expected<AtomicFile> AtomicFile::create(const std::filesystem::path& target, mode_t mode) {
  auto temp = temp_name(target);
  UniqueFd fd(::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode));
  if (!fd.valid()) return fail(ErrorKind::io, errno_message("cannot create " + temp.string(), errno));
  return AtomicFile(target, std::move(temp), std::move(fd));
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : m_target(std::move(other.m_target)), m_temp(std::move(other.m_temp)), m_fd(std::move(other.m_fd)),
      m_done(std::exchange(other.m_done, true)) {}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    discard();
    m_target = std::move(other.m_target);
    m_temp = std::move(other.m_temp);
    m_fd = std::move(other.m_fd);
    m_done = std::exchange(other.m_done, true);
  }
  return *this;
}

AtomicFile::~AtomicFile() { discard(); }

void AtomicFile::discard() {
  if (m_done) return;
  m_done = true;
  m_fd.reset();
  ::unlink(m_temp.c_str());
}

Expected<void> AtomicFile::write(std::string_view data) {
  if (!write_all(m_fd.get(), data)) return fail(ErrorKind::io, errno_message("cannot write " + m_temp.string(), errno));
  return {};
}

Expected<void> AtomicFile::truncate() {
  if (::ftruncate(m_fd.get(), 0) != 0 || ::lseek(m_fd.get(), 0, SEEK_SET) != 0) {
    return fail(ErrorKind::io, errno_message("cannot truncate " + m_temp.string(), errno));
  }
  return {};
}

Expected<void> AtomicFile::commit(Durability durability) {
  if (m_done) return fail(ErrorKind::internal, m_target.string() + ": committed twice");
  if (durability == Durability::fsync && ::fsync(m_fd.get()) != 0) {
    const int err = errno;
    discard();
    return fail(ErrorKind::io, errno_message("cannot write " + m_target.string(), err));
  }
  if (::close(m_fd.release()) != 0) {
    const int err = errno;
    discard();
    return fail(ErrorKind::io, errno_message("cannot write " + m_target.string(), err));
  }
  if (::rename(m_temp.c_str(), m_target.c_str()) != 0) {
    const int err = errno;
    discard();
    return fail(ErrorKind::io, errno_message("cannot rename " + m_temp.string() + " to " + m_target.string(), err));
  }
  m_done = true;
  if (durability == Durability::fsync) sync_parent(m_target);
  return {};
}

Expected<void> write_file_atomic(const std::filesystem::path& path, std::string_view content, Durability durability) {
  auto file = AtomicFile::create(path);
  if (!file) return std::unexpected(file.error());
  if (auto written = file->write(content); !written) return written;
  return file->commit(durability);
}

} // namespace sagerun::util
