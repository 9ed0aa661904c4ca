#include "contract/paths.hpp"

namespace sagerun::contract {

Paths Paths::from_environment(const util::EnvMap& env) {
  const auto base = util::lookup(env, "SAGEMAKER_BASE_DIR");
  return Paths(base && !base->empty() ? fs::path(*base) : fs::path(k_default_base_dir));
}

std::string Paths::relative(const fs::path& path) const {
  const auto rel = path.lexically_relative(m_base);
  if (rel.empty() || rel.native().starts_with("..")) return path.string();
  return rel.string();
}

} // namespace sagerun::contract
