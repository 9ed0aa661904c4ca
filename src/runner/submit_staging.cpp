#include "runner/submit_staging.hpp"

#include "contract/hyperparameters.hpp"
#include "entrypoint/submit_dir.hpp"

namespace sagerun::runner {

std::optional<std::filesystem::path> local_submit_directory(const job::TrainingJobRequest& request) {
  const auto given = request.hyperparameters.find(k_submit_directory_key);
  if (given == request.hyperparameters.end()) return std::nullopt;
  const auto decoded = contract::decode_value(given->second);
  if (!decoded.is_string()) return std::nullopt;
  const auto& text = decoded.get_ref<const std::string&>();
  if (!text.starts_with("file://")) return std::nullopt;
  return std::filesystem::path(text.substr(7)).lexically_normal();
}

std::map<std::string, std::string> host_hyperparameters(const job::TrainingJobRequest& request,
                                                        const contract::Paths& host, TreeMount mount) {
  auto hyperparameters = request.hyperparameters;
  if (!local_submit_directory(request)) return hyperparameters;
  auto& value = hyperparameters[k_submit_directory_key];
  const std::string code = mount == TreeMount::container
                               ? (std::filesystem::path(contract::k_default_base_dir) / "code").string()
                               : host.code().string();
  const bool encoded = contract::decode_value(value) != contract::OrderedJson(value);
  value = encoded ? contract::OrderedJson(code).dump() : code;
  return hyperparameters;
}

Expected<void> stage_submit_directory(const job::TrainingJobRequest& request,
                                      const std::vector<contract::Paths>& hosts) {
  const auto source = local_submit_directory(request);
  if (!source) return {};
  const uint64_t budget = static_cast<uint64_t>(request.volume_size_gb) << 30;
  for (const auto& host : hosts) {
    if (auto copied = entrypoint::copy_submit_directory(*source, host.code(), budget); !copied) return copied;
  }
  return {};
}

} // namespace sagerun::runner
