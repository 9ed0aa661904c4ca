#pragma once
// A Python that pip may install into. An interpreter that follows PEP 668 (Debian's own, for
// one) refuses `pip install` outside a virtual environment ("externally-managed-environment"),
// even for what it already has. For those, a job's requirements go into a virtual environment
// that sees the system's packages (`--system-site-packages`: what is installed already is not
// installed again, and the system is never written), kept in a cache under the hash of the
// interpreter and the requirements, so a second job with the same requirements installs nothing.

#include <filesystem>
#include <optional>
#include <string>

#include "util/environment.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::entrypoint {

namespace fs = std::filesystem;

// `python` (a path, or a name looked up in PATH) as the file it runs, symbolic links followed;
// nullopt when it is not found.
std::optional<fs::path> resolve_python(const std::string& python, const util::EnvMap& env);

// Whether the interpreter at `python` (resolved) is externally managed: its standard library
// holds an EXTERNALLY-MANAGED file and it is not inside a virtual environment.
bool externally_managed(const std::string& python, const util::EnvMap& env);

// Where the environments are kept: SAGERUN_PYTHON_ENVS, else $XDG_CACHE_HOME/sagerun/python-envs,
// else $HOME/.cache/sagerun/python-envs, else /tmp/sagerun-python-envs.
fs::path python_envs_folder(const util::EnvMap& env);

// One cached environment, held (an exclusive lock) from open() until it is marked complete or
// dropped: a second job with the same key waits, then finds it ready. Dropped incomplete, the
// environment is removed, so no half-built one is ever reused.
class PythonEnv {
public:
  static Expected<PythonEnv> open(const fs::path& root, const std::string& key);
  PythonEnv(PythonEnv&&) noexcept = default;
  PythonEnv& operator=(PythonEnv&&) noexcept = default;
  PythonEnv(const PythonEnv&) = delete;
  PythonEnv& operator=(const PythonEnv&) = delete;
  ~PythonEnv();

  const fs::path& folder() const { return m_folder; }
  std::string python() const { return (m_folder / "bin" / "python").string(); }
  bool exists() const;   // the virtual environment was made (by this job or an earlier one)
  bool complete() const; // and its requirements installed
  // Records that the requirements are installed; releases the lock.
  Expected<void> mark_complete();

private:
  PythonEnv(fs::path folder, util::UniqueFd lock) : m_folder(std::move(folder)), m_lock(std::move(lock)) {}
  fs::path m_folder;
  util::UniqueFd m_lock;
  bool m_done = false;
};

// The cache key of an environment for `requirements` (the file's text) under `python`.
std::string python_env_key(const fs::path& python, const std::string& requirements);

} // namespace sagerun::entrypoint
