#include "store/job_folder.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <system_error>

#include "job/service_error.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

namespace sagerun::store {
namespace {

// Blocks really allocated (fallocate), or written where a file system cannot allocate ahead.
Expected<void> make_reserve(const fs::path& file, size_t bytes) {
  util::UniqueFd fd(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message("cannot create " + file.string(), errno));
  if (::posix_fallocate(fd.get(), 0, static_cast<off_t>(bytes)) == 0) return {};
  const std::string zeros(64 * 1024, '\0');
  for (size_t written = 0; written < bytes; written += zeros.size()) {
    if (!util::write_all(fd.get(), zeros))
      return util::fail(util::ErrorKind::io, util::errno_message("cannot write " + file.string(), errno));
  }
  return {};
}

} // namespace

std::string host_name(int host_index) { return "algo-" + std::to_string(host_index + 1); }

fs::path JobFolder::log_file(int host_index) const { return path() / "logs" / (host_name(host_index) + ".log"); }

fs::path JobFolder::times_file(int host_index) const { return path() / "logs" / (host_name(host_index) + ".times"); }

fs::path JobFolder::metrics_file(int host_index) const {
  return path() / "metrics" / (host_name(host_index) + ".points");
}

fs::path JobFolder::instance_metrics_file(int host_index) const {
  return path() / "metrics" / (host_name(host_index) + ".instance.points");
}

Expected<void> JobFolder::create() const {
  if (auto made = util::make_directories(m_root / "jobs"); !made) return made;
  if (::mkdir(path().c_str(), 0755) != 0) {
    if (errno == EEXIST) {
      return std::unexpected(job::name_in_use(m_name + " in " + path().string()));
    }
    return util::fail(util::ErrorKind::io, util::errno_message("cannot create " + path().string(), errno));
  }
  for (const char* sub : {"hosts", "logs", "metrics", "work"}) {
    if (auto made = util::make_directories(path() / sub); !made) return made;
  }
  return make_reserve(reserve_file(), k_reserve_bytes);
}

bool JobFolder::exists() const { return util::is_dir(path()); }

void JobFolder::remove() const {
  std::error_code ignored;
  fs::remove_all(path(), ignored);
}

bool JobFolder::release_reserve() const { return ::unlink(reserve_file().c_str()) == 0; }

} // namespace sagerun::store
