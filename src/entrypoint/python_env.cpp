#include "entrypoint/python_env.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>

#include "aws/crypto.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::entrypoint {
namespace {

constexpr const char* k_complete_marker = ".sagerun-complete";

bool has_marker(const fs::path& folder, const std::string& name) {
  std::error_code ec;
  return fs::exists(folder / name, ec);
}

} // namespace

std::optional<fs::path> resolve_python(const std::string& python, const util::EnvMap& env) {
  std::error_code ec;
  fs::path found;
  if (python.find('/') != std::string::npos) {
    found = python;
  } else {
    const std::string path = util::lookup(env, "PATH").value_or("/usr/local/bin:/usr/bin:/bin");
    size_t start = 0;
    while (start <= path.size() && found.empty()) {
      const size_t end = std::min(path.find(':', start), path.size());
      const fs::path candidate = fs::path(path.substr(start, end - start)) / python;
      if (::access(candidate.c_str(), X_OK) == 0) found = candidate;
      start = end + 1;
    }
  }
  if (found.empty()) return std::nullopt;
  auto real = fs::canonical(found, ec);
  if (ec) return std::nullopt;
  return real;
}

bool externally_managed(const std::string& python, const util::EnvMap& env) {
  const auto real = resolve_python(python, env);
  if (!real) return false;
  // A virtual environment's interpreter is a link to its base: the link's folder tells.
  if (python.find('/') != std::string::npos && has_marker(fs::path(python).parent_path().parent_path(), "pyvenv.cfg"))
    return false;
  const fs::path lib = real->parent_path().parent_path() / "lib";
  const std::string name = real->filename().string(); // python3.11
  std::error_code ec;
  if (name.starts_with("python3.") && fs::exists(lib / name / "EXTERNALLY-MANAGED", ec)) return true;
  for (fs::directory_iterator it(lib, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string folder = it->path().filename().string();
    if (folder.starts_with("python3.") && name.starts_with("python3") && fs::exists(it->path() / "EXTERNALLY-MANAGED"))
      return name == "python3" || name == folder;
  }
  return false;
}

fs::path python_envs_folder(const util::EnvMap& env) {
  if (auto chosen = util::lookup_nonempty(env, "SAGERUN_PYTHON_ENVS")) return *chosen;
  if (auto cache = util::lookup_nonempty(env, "XDG_CACHE_HOME")) return fs::path(*cache) / "sagerun" / "python-envs";
  if (auto home = util::lookup_nonempty(env, "HOME")) return fs::path(*home) / ".cache" / "sagerun" / "python-envs";
  return "/tmp/sagerun-python-envs";
}

std::string python_env_key(const fs::path& python, const std::string& requirements) {
  return aws::sha256_hex(python.string() + "\n" + requirements).substr(0, 24);
}

Expected<PythonEnv> PythonEnv::open(const fs::path& root, const std::string& key) {
  if (auto made = util::make_directories(root); !made) return std::unexpected(made.error());
  const fs::path lock_path = root / (key + ".lock");
  util::UniqueFd lock(::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600));
  if (!lock.valid()) return util::fail(util::ErrorKind::io, util::errno_message(lock_path.string(), errno));
  while (::flock(lock.get(), LOCK_EX) != 0) {
    if (errno != EINTR) return util::fail(util::ErrorKind::io, util::errno_message(lock_path.string(), errno));
  }
  PythonEnv env(root / key, std::move(lock));
  if (!env.complete()) {
    std::error_code ec;
    fs::remove_all(env.m_folder, ec); // what a job that died while building it left
  }
  return env;
}

PythonEnv::~PythonEnv() {
  if (!m_lock.valid() || m_done || complete()) return;
  std::error_code ec;
  fs::remove_all(m_folder, ec);
}

bool PythonEnv::exists() const { return has_marker(m_folder, "pyvenv.cfg"); }
bool PythonEnv::complete() const { return has_marker(m_folder, k_complete_marker); }

Expected<void> PythonEnv::mark_complete() {
  if (auto written = util::write_file_atomic(m_folder / k_complete_marker, "installed\n"); !written) return written;
  m_done = true;
  m_lock.reset();
  return {};
}

} // namespace sagerun::entrypoint
