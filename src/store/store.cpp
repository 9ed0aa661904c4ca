#include "store/store.hpp"

#include "store/migrate.hpp"
#include "util/files.hpp"

namespace sagerun::store {

std::filesystem::path default_root(const util::EnvMap& env) {
  if (auto home = util::lookup(env, "SAGERUN_HOME"); home && !home->empty()) return *home;
  auto user_home = util::lookup(env, "HOME");
  return std::filesystem::path(user_home && !user_home->empty() ? *user_home : "/tmp") / ".sagerun";
}

Expected<std::unique_ptr<Store>> Store::open(const std::filesystem::path& root) {
  const auto absolute = std::filesystem::absolute(root).lexically_normal();
  if (auto made = util::make_directories(absolute / "jobs"); !made) return std::unexpected(made.error());
  const auto file = absolute / "jobs.db";
  const bool fresh = !util::is_file(file);
  auto index = Index::open(file);
  if (!index) return std::unexpected(index.error());
  std::unique_ptr<Store> store(new Store(absolute, std::move(*index)));
  if (auto carried = carry_over_old_layouts(*store, fresh ? Scan::everything : Scan::server_stores); !carried) {
    return std::unexpected(carried.error());
  }
  return store;
}

} // namespace sagerun::store
