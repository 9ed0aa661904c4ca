#include "runner/host_tree.hpp"

#include "runner/state.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

constexpr const char* k_group = "homogeneousCluster";

Expected<void> write_json(const fs::path& path, const nlohmann::json& json) {
  return util::write_file_atomic(path, json.dump());
}

} // namespace

nlohmann::json resource_config_json(const job::TrainingJobRequest& request, int host_index) {
  nlohmann::json hosts = nlohmann::json::array();
  for (int i = 0; i < request.instance_count; ++i)
    hosts.push_back(host_name(i));
  return {
      {"current_host", host_name(host_index)},
      {"current_instance_type", request.instance_type},
      {"current_group_name", k_group},
      {"hosts", hosts},
      {"instance_groups",
       nlohmann::json::array(
           {{{"instance_group_name", k_group}, {"instance_type", request.instance_type}, {"hosts", hosts}}})},
      {"network_interface_name", "eth0"},
  };
}

nlohmann::json input_data_config_json(const job::TrainingJobRequest& request) {
  nlohmann::json config = nlohmann::json::object();
  for (const auto& channel : request.channels) {
    nlohmann::json entry = nlohmann::json::object();
    if (!channel.content_type.empty()) entry["ContentType"] = channel.content_type;
    entry["TrainingInputMode"] = channel.input_mode.empty() ? request.input_mode : channel.input_mode;
    entry["S3DistributionType"] = channel.distribution;
    entry["RecordWrapperType"] = channel.record_wrapper_type;
    if (channel.compression_type != "None") entry["CompressionType"] = channel.compression_type;
    config[channel.name] = entry;
  }
  return config;
}

fs::path checkpoint_folder(const job::TrainingJobRequest& request, const fs::path& tree) {
  const std::string local = request.checkpoint ? request.checkpoint->local_path : "/opt/ml/checkpoints";
  const std::string base = "/opt/ml/";
  if (local.starts_with(base)) return tree / local.substr(base.size());
  // A LocalPath outside /opt/ml gets a folder of its own beside the tree's.
  return tree / "checkpoints";
}

Expected<void> write_host_tree(const job::TrainingJobRequest& request, int host_index, const fs::path& tree,
                               TreeMount mount) {
  for (const char* sub : {"input/config", "input/data", "model", "output/data", "code"}) {
    if (auto made = util::make_directories(tree / sub); !made) return made;
  }
  for (const auto& channel : request.channels) {
    if (auto made = util::make_directories(tree / "input/data" / channel.name); !made) return made;
  }
  const auto config = tree / "input/config";
  nlohmann::json hyperparameters = nlohmann::json::object();
  for (const auto& [key, value] : request.hyperparameters)
    hyperparameters[key] = value;
  if (auto written = write_json(config / "hyperparameters.json", hyperparameters); !written) return written;
  if (auto written = write_json(config / "inputdataconfig.json", input_data_config_json(request)); !written) {
    return written;
  }
  if (auto written = write_json(config / "resourceconfig.json", resource_config_json(request, host_index)); !written) {
    return written;
  }
  if (auto written = write_json(config / "trainingjobconfig.json", job::to_json(request)); !written) return written;
  if (request.checkpoint) {
    const fs::path folder = checkpoint_folder(request, tree);
    if (auto made = util::make_directories(folder); !made) return made;
    const std::string local = mount == TreeMount::native ? folder.string() : request.checkpoint->local_path;
    nlohmann::json checkpoint = {{"LocalPath", local}, {"S3Uri", request.checkpoint->s3_uri}};
    if (auto written = write_json(config / "checkpointconfig.json", checkpoint); !written) return written;
  }
  return {};
}

} // namespace sagerun::runner
