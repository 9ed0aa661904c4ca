#include "contract/distribution.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <sstream>

namespace sagerun::contract {
namespace {

constexpr const char* k_mpi = "sagemaker_mpi_enabled";
constexpr const char* k_torch_distributed = "sagemaker_torch_distributed_enabled";

struct RefusedFlag {
  const char* flag;
  const char* instead;
};
constexpr std::array<RefusedFlag, 5> k_refused = {{
    {"sagemaker_distributed_dataparallel_enabled",
     "SageMaker's data parallel library (SMDDP) exists only in AWS's own images: use torch_distributed "
     "(torchrun, NCCL) or mpi"},
    {"sagemaker_pytorch_ddp_enabled",
     "pytorchddp launches through SMDDP's smddpmprun, which exists only in AWS's own images: use torch_distributed "
     "(torchrun) or mpi"},
    {"sagemaker_pytorch_xla_multi_worker_enabled",
     "PyTorch/XLA on Trainium needs AWS's Neuron images: use torch_distributed on CPUs or GPUs"},
    {"sagemaker_parameter_server_enabled",
     "TensorFlow parameter servers are launched by AWS's TensorFlow images only: use mpi (Horovod) instead"},
    {"sagemaker_multi_worker_mirrored_strategy_enabled",
     "MultiWorkerMirroredStrategy is set up by AWS's TensorFlow images only: use mpi (Horovod) instead"},
}};

bool flag_set(const OrderedJson& framework, const char* flag) {
  const auto it = framework.find(flag);
  return it != framework.end() && truthy(*it);
}

// A positive count from a hyperparameter (3, "3", 3.0); 0 when absent; -1 when it is not one.
int count_of(const OrderedJson& framework, const char* key) {
  const auto it = framework.find(key);
  if (it == framework.end() || it->is_null()) return 0;
  double number = 0;
  if (it->is_number()) {
    number = it->get<double>();
  } else if (it->is_string()) {
    std::istringstream text(it->get<std::string>());
    if (!(text >> number) || !text.eof()) return -1;
  } else {
    return -1;
  }
  if (number < 1 || number > 1e6 || std::floor(number) != number) return -1;
  return static_cast<int>(number);
}

} // namespace

bool Distribution::includes(const std::string& host) const { return rank_of(host) >= 0; }

int Distribution::rank_of(const std::string& host) const {
  const auto it = std::find(hosts.begin(), hosts.end(), host);
  return it == hosts.end() ? -1 : static_cast<int>(it - hosts.begin());
}

bool truthy(const OrderedJson& value) {
  if (value.is_null()) return false;
  if (value.is_boolean()) return value.get<bool>();
  if (value.is_number()) return value.get<double>() != 0.0;
  if (value.is_string() || value.is_array() || value.is_object()) return !value.empty() && value != "";
  return true;
}

OrderedJson distribution_instance_groups(const OrderedJson& framework, const ResourceConfig& resource) {
  if (const auto it = framework.find("sagemaker_distribution_instance_groups"); it != framework.end()) return *it;
  bool any = flag_set(framework, k_mpi) || flag_set(framework, k_torch_distributed);
  for (const auto& refused : k_refused)
    any = any || flag_set(framework, refused.flag);
  if (!any) return OrderedJson::array();
  return OrderedJson::array({resource.current_group_name.empty() ? "homogeneousCluster" : resource.current_group_name});
}

std::vector<std::string> distribution_hosts(const OrderedJson& framework, const ResourceConfig& resource) {
  const auto& raw = resource.raw;
  if (!raw.contains("instance_groups") || !raw["instance_groups"].is_array() || raw["instance_groups"].empty())
    return resource.hosts;
  const OrderedJson groups = distribution_instance_groups(framework, resource);
  std::vector<std::string> hosts;
  for (const auto& group : raw["instance_groups"]) {
    const auto name = group.value("instance_group_name", std::string());
    if (std::find(groups.begin(), groups.end(), OrderedJson(name)) == groups.end()) continue;
    for (const auto& host : group.value("hosts", OrderedJson::array()))
      if (host.is_string()) hosts.push_back(host.get<std::string>());
  }
  return hosts;
}

std::string refused_launcher(const OrderedJson& framework) {
  if (flag_set(framework, k_mpi) || flag_set(framework, k_torch_distributed)) return "";
  for (const auto& refused : k_refused) {
    if (flag_set(framework, refused.flag))
      return std::string("HyperParameters.") + refused.flag + ": " + refused.instead;
  }
  return "";
}

Expected<Distribution> read_distribution(const Hyperparameters& hps, const ResourceConfig& resource,
                                         const SystemInfo& system) {
  Distribution distribution;
  const auto& framework = hps.framework;
  if (flag_set(framework, k_mpi)) {
    distribution.launcher = Launcher::mpi;
  } else if (flag_set(framework, k_torch_distributed)) {
    distribution.launcher = Launcher::torchrun;
  } else if (auto refused = refused_launcher(framework); !refused.empty()) {
    return util::fail(util::ErrorKind::invalid_input, refused);
  } else {
    return distribution;
  }
  distribution.hosts = distribution_hosts(framework, resource);
  const int per_host = count_of(framework, "sagemaker_mpi_num_of_processes_per_host");
  const int total = count_of(framework, "sagemaker_mpi_num_processes");
  if (per_host < 0 || total < 0) {
    return util::fail(util::ErrorKind::invalid_input,
                      std::string("HyperParameters.") +
                          (per_host < 0 ? "sagemaker_mpi_num_of_processes_per_host" : "sagemaker_mpi_num_processes") +
                          ": must be a whole number of processes, 1 or more");
  }
  distribution.processes_per_host = per_host > 0         ? per_host
                                    : system.gpus > 0    ? system.gpus
                                    : system.neurons > 0 ? system.neurons
                                                         : 1;
  distribution.processes =
      total > 0 ? total
                : distribution.processes_per_host * static_cast<int>(std::max<size_t>(1, distribution.hosts.size()));
  if (const auto options = framework.find("sagemaker_mpi_custom_mpi_options");
      options != framework.end() && options->is_string()) {
    distribution.custom_mpi_options = options->get<std::string>();
  }
  return distribution;
}

} // namespace sagerun::contract
