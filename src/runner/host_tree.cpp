#include "runner/host_tree.hpp"

#include "contract/config.hpp"
#include "runner/submit_staging.hpp"
#include "store/job_folder.hpp"
#include "util/atomic_file.hpp"
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
    hosts.push_back(store::host_name(i));
  return {
      {"current_host", store::host_name(host_index)},
      {"current_instance_type", request.instance_type},
      {"current_group_name", k_group},
      {"hosts", hosts},
      {"instance_groups",
       nlohmann::json::array(
           {{{"instance_group_name", k_group}, {"instance_type", request.instance_type}, {"hosts", hosts}}})},
      // The hosts talk over this machine's loopback (address_block.hpp), in both runtimes.
      {"network_interface_name", "lo"},
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

fs::path checkpoint_folder(const job::TrainingJobRequest& request, const contract::Paths& host) {
  const fs::path local =
      fs::path(request.checkpoint ? request.checkpoint->local_path : "/opt/ml/checkpoints").lexically_normal();
  // Validation refuses '..'; this holds even for a request that skipped it: the folder is the
  // tree's own, whatever the path says.
  const fs::path inside = local.lexically_relative(contract::k_default_base_dir);
  const bool under_tree = !inside.empty() && inside != "." && *inside.begin() != "..";
  if (under_tree && local.is_absolute()) return host.base() / inside;
  // A LocalPath outside /opt/ml gets a folder of its own beside the tree's.
  return host.checkpoints();
}

Expected<void> write_host_tree(const job::TrainingJobRequest& request, int host_index, const contract::Paths& host,
                               TreeMount mount) {
  for (const auto& folder : {host.input_config(), host.input_data(), host.model(), host.output_data(),
                             host.output_intermediate(), host.code()}) {
    if (auto made = util::make_directories(folder); !made) return made;
  }
  for (const auto& channel : request.channels) {
    // A channel's name is its folder's: "." or ".." would write into input/ itself.
    if (!contract::valid_channel_name(channel.name)) {
      return util::fail(util::ErrorKind::invalid_input,
                        "InputDataConfig: the channel name '" + channel.name +
                            "' cannot name a folder (letters, digits, '.', '-' and '_'; not '.' or '..')");
    }
    if (auto made = util::make_directories(host.channel(channel.name)); !made) return made;
  }
  nlohmann::json hyperparameters = nlohmann::json::object();
  for (const auto& [key, value] : host_hyperparameters(request, host, mount))
    hyperparameters[key] = value;
  if (auto written = write_json(host.hyperparameters_file(), hyperparameters); !written) return written;
  if (auto written = write_json(host.input_data_config_file(), input_data_config_json(request)); !written) {
    return written;
  }
  if (auto written = write_json(host.resource_config_file(), resource_config_json(request, host_index)); !written) {
    return written;
  }
  if (auto written = write_json(host.training_job_config_file(), job::to_json(request)); !written) return written;
  if (request.checkpoint) {
    const fs::path folder = checkpoint_folder(request, host);
    if (auto made = util::make_directories(folder); !made) return made;
    const std::string local = mount == TreeMount::native ? folder.string() : request.checkpoint->local_path;
    nlohmann::json checkpoint = {{"LocalPath", local}, {"S3Uri", request.checkpoint->s3_uri}};
    if (auto written = write_json(host.checkpoint_config_file(), checkpoint); !written) return written;
  }
  return {};
}

} // namespace sagerun::runner
