#include "contract/sm_environment.hpp"

#include "contract/distribution.hpp"

#include <algorithm>
#include <array>
#include <cctype>
#include <cstdlib>

namespace sagerun::contract {
namespace {

using util::OrderedJson;
using util::python_json_dumps;

std::string upper(std::string text) {
  std::transform(text.begin(), text.end(), text.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  return text;
}

// mapping.to_env_vars' format_value: strings bare, None empty, the rest JSON.
std::string env_value(const OrderedJson& value) {
  if (value.is_string()) return value.get<std::string>();
  if (value.is_null()) return "";
  return python_json_dumps(value);
}

} // namespace

util::EnvMap build_sm_environment(const Paths& paths, const TrainingConfig& config, const Hyperparameters& hps,
                                  const ScriptIdentity& script, const SystemInfo& system,
                                  const util::EnvMap& platform) {
  const auto& rc = config.resource;
  const auto& raw_rc = rc.raw;
  const OrderedJson raw_groups = raw_rc.contains("instance_groups") && raw_rc["instance_groups"].is_array()
                                     ? raw_rc["instance_groups"]
                                     : OrderedJson::array();

  OrderedJson hosts = OrderedJson::array();
  for (const auto& host : rc.hosts)
    hosts.push_back(host);
  OrderedJson group_names = OrderedJson::array();
  OrderedJson groups_dict = OrderedJson::object();
  OrderedJson current_group_hosts = OrderedJson::array();
  bool current_found = false;
  for (const auto& group : raw_groups) {
    const auto name = group.value("instance_group_name", std::string());
    group_names.push_back(name);
    groups_dict[name] = group;
    if (!current_found && name == rc.current_group_name) {
      current_group_hosts = group.value("hosts", OrderedJson::array());
      current_found = true;
    }
  }
  const OrderedJson distribution_groups = distribution_instance_groups(hps.framework, rc);
  OrderedJson distribution_hosts = OrderedJson::array();
  for (const auto& host : contract::distribution_hosts(hps.framework, rc))
    distribution_hosts.push_back(host);
  const std::string master = !distribution_hosts.empty() ? distribution_hosts[0].get<std::string>() : rc.hosts.front();

  OrderedJson channels = OrderedJson::array();
  OrderedJson channel_dirs = OrderedJson::object();
  for (const auto& name : config.channel_names()) {
    channels.push_back(name);
    channel_dirs[name] = paths.channel(name).string();
  }

  const auto framework_module = util::lookup(platform, "SAGEMAKER_TRAINING_MODULE");
  const auto job_name = util::lookup(platform, "TRAINING_JOB_NAME");
  OrderedJson log_level = 20;
  if (const auto it = hps.reserved.find("sagemaker_container_log_level"); it != hps.reserved.end()) log_level = *it;
  std::string module_name = script.user_entry_point;
  if (module_name.ends_with(".py")) module_name.resize(module_name.size() - 3);
  const std::vector<std::string> args = to_cmd_args(hps.user);
  OrderedJson user_args = OrderedJson::array();
  for (const auto& arg : args)
    user_args.push_back(arg);
  OrderedJson modelparallel = nullptr;
  if (const auto mp = util::lookup(platform, "SM_HP_MP_PARAMETERS")) {
    modelparallel = mp->empty() ? OrderedJson("") : OrderedJson(*mp != "{}");
  }

  OrderedJson env = OrderedJson::object();
  env["hosts"] = hosts;
  env["network_interface_name"] = rc.network_interface_name;
  env["hps"] = hps.user;
  env["user_entry_point"] =
      script.user_entry_point.empty() ? OrderedJson(nullptr) : OrderedJson(script.user_entry_point);
  env["framework_params"] = hps.framework;
  env["resource_config"] = raw_rc;
  env["input_data_config"] = config.input_data_config;
  env["output_data_dir"] = paths.output_data().string();
  env["channels"] = channels;
  env["current_host"] = rc.current_host;
  env["current_instance_type"] = rc.current_instance_type;
  env["current_instance_group"] = rc.current_group_name;
  env["current_instance_group_hosts"] = current_group_hosts;
  env["instance_groups"] = group_names;
  env["instance_groups_dict"] = groups_dict;
  env["distribution_instance_groups"] = distribution_groups;
  env["is_hetero"] = raw_groups.size() > 1;
  env["module_name"] = module_name.empty() ? std::string("None") : module_name;
  env["log_level"] = log_level;
  env["framework_module"] = framework_module ? OrderedJson(*framework_module) : OrderedJson(nullptr);
  env["input_dir"] = paths.input().string();
  env["input_config_dir"] = paths.input_config().string();
  env["output_dir"] = paths.output().string();
  env["num_cpus"] = system.cpus;
  env["num_gpus"] = system.gpus;
  env["num_neurons"] = system.neurons;
  env["model_dir"] = paths.model().string();
  env["module_dir"] = script.module_dir;
  env["output_intermediate_dir"] = paths.output_intermediate().string();

  // SM_TRAINING_ENV: the toolkit's Environment properties, by their property names.
  OrderedJson training_env = OrderedJson::object();
  training_env["additional_framework_parameters"] = hps.framework;
  training_env["channel_input_dirs"] = channel_dirs;
  training_env["current_host"] = rc.current_host;
  training_env["current_instance_group"] = rc.current_group_name;
  training_env["current_instance_group_hosts"] = current_group_hosts;
  training_env["current_instance_type"] = rc.current_instance_type;
  training_env["distribution_hosts"] = distribution_hosts;
  training_env["distribution_instance_groups"] = distribution_groups;
  training_env["framework_module"] = env["framework_module"];
  training_env["hosts"] = hosts;
  training_env["hyperparameters"] = hps.user;
  training_env["input_config_dir"] = env["input_config_dir"];
  training_env["input_data_config"] = config.input_data_config;
  training_env["input_dir"] = env["input_dir"];
  training_env["instance_groups"] = group_names;
  training_env["instance_groups_dict"] = groups_dict;
  training_env["is_hetero"] = env["is_hetero"];
  training_env["is_master"] = rc.current_host == master;
  training_env["is_modelparallel_enabled"] = modelparallel;
  training_env["is_smddpmprun_installed"] = system.smddpmprun_installed;
  training_env["job_name"] = job_name ? OrderedJson(*job_name) : OrderedJson(nullptr);
  training_env["log_level"] = log_level;
  training_env["master_hostname"] = master;
  training_env["model_dir"] = env["model_dir"];
  training_env["module_dir"] = script.module_dir;
  training_env["module_name"] = env["module_name"];
  training_env["network_interface_name"] = rc.network_interface_name;
  training_env["num_cpus"] = system.cpus;
  training_env["num_gpus"] = system.gpus;
  training_env["num_neurons"] = system.neurons;
  training_env["output_data_dir"] = env["output_data_dir"];
  training_env["output_dir"] = env["output_dir"];
  training_env["output_intermediate_dir"] = env["output_intermediate_dir"];
  training_env["resource_config"] = raw_rc;
  training_env["user_entry_point"] = env["user_entry_point"];
  env["training_env"] = training_env;
  env["user_args"] = user_args;

  util::EnvMap out;
  for (const auto& [key, value] : env.items())
    out["SM_" + upper(key)] = env_value(value);
  for (const auto& [name, dir] : channel_dirs.items())
    out["SM_CHANNEL_" + upper(name)] = dir.get<std::string>();
  for (const auto& [key, value] : hps.user.items())
    out["SM_HP_" + upper(key)] = env_value(value);

  // The distributed-launch variables of the SDK's ModelTrainer driver, for every job size.
  std::vector<std::string> sorted_hosts = rc.hosts;
  std::sort(sorted_hosts.begin(), sorted_hosts.end());
  const auto rank = std::find(sorted_hosts.begin(), sorted_hosts.end(), rc.current_host) - sorted_hosts.begin();
  out["SM_MASTER_ADDR"] = master;
  out["SM_MASTER_PORT"] = std::to_string(master_port(platform));
  out["SM_HOST_COUNT"] = std::to_string(rc.hosts.size());
  out["SM_CURRENT_HOST_RANK"] = std::to_string(rank);

  // Set by the toolkit in its own environment, so scripts inherit them.
  out["CURRENT_HOST"] = rc.current_host;
  out["SAGEMAKER_JOB_NAME"] = reserved_string(hps, "sagemaker_job_name");
  auto region = reserved_string(hps, "sagemaker_region");
  if (region.empty())
    region = util::lookup(platform, "AWS_REGION").value_or(util::lookup(platform, "AWS_DEFAULT_REGION").value_or(""));
  out["SAGEMAKER_REGION"] = region;
  return out;
}

int master_port(const util::EnvMap& platform) {
  const auto given = util::lookup(platform, k_master_port_variable).value_or("");
  char* end = nullptr;
  const long port = std::strtol(given.c_str(), &end, 10);
  return !given.empty() && *end == '\0' && port > 0 && port < 65536 ? static_cast<int>(port) : k_master_port;
}

void add_framework_defaults(util::EnvMap& env) {
  const auto set_default = [&env](const std::string& name, const std::string& from) {
    const auto value = util::lookup(env, from);
    if (value && !util::lookup(env, name)) env[name] = *value;
  };
  set_default("MASTER_ADDR", "SM_MASTER_ADDR");
  set_default("MASTER_PORT", "SM_MASTER_PORT");
}

} // namespace sagerun::contract
