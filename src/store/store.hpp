#pragma once
// One store of jobs per SAGERUN_HOME (default ~/.sagerun), shared by `sagerun local`, the
// detached runners and `sagerun server`:
//   <root>/jobs.db        the index: every job's request and status (index.hpp)
//   <root>/jobs/<name>/   each job's folder (job_folder.hpp)
//   <root>/server.lock    held by the server that uses this store, if any
//   <root>/removed/       folders of deleted jobs while they are being deleted (job_removal.hpp)
// Opening a store carries over the jobs of earlier layouts once (migrate.hpp).

#include <filesystem>
#include <memory>
#include <string>

#include "store/index.hpp"
#include "store/job_folder.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::store {

// $SAGERUN_HOME, else $HOME/.sagerun.
std::filesystem::path default_root(const util::EnvMap& env);

class Store {
public:
  static Expected<std::unique_ptr<Store>> open(const std::filesystem::path& root);

  const std::filesystem::path& root() const { return m_root; }
  JobFolder folder(const std::string& name) const { return JobFolder(m_root, name); }
  Index& index() { return *m_index; }
  std::filesystem::path server_lock_file() const { return m_root / "server.lock"; }
  std::filesystem::path removed_folder() const { return m_root / "removed"; }

private:
  Store(std::filesystem::path root, std::unique_ptr<Index> index)
      : m_root(std::move(root)), m_index(std::move(index)) {}
  std::filesystem::path m_root;
  std::unique_ptr<Index> m_index;
};

} // namespace sagerun::store
