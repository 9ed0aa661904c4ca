#include "contract/config.hpp"

#include <algorithm>

#include "util/files.hpp"

namespace sagerun::contract {
namespace {

using util::ErrorKind;
using util::fail;

Expected<OrderedJson> parse_object(const std::string& content, const std::string& file) {
  OrderedJson value;
  try {
    value = OrderedJson::parse(content);
  } catch (const OrderedJson::exception& e) {
    // e.what() reads "[json.exception.parse_error.101] parse error at line 1, column 5: ..."
    // (or out_of_range.406 for a number too large for a double)
    std::string what = e.what();
    if (const auto pos = what.find("] "); pos != std::string::npos) what = what.substr(pos + 2);
    return fail(ErrorKind::invalid_input, file + ": malformed JSON: " + what);
  }
  if (!value.is_object()) {
    return fail(ErrorKind::invalid_input, file + ": expected a JSON object, found " + std::string(value.type_name()));
  }
  return value;
}

Expected<std::string> required_string(const OrderedJson& object, const char* key, const std::string& file) {
  const auto it = object.find(key);
  if (it == object.end()) return fail(ErrorKind::invalid_input, file + ": missing \"" + key + "\"");
  if (!it->is_string()) return fail(ErrorKind::invalid_input, file + ": \"" + key + "\" must be a string");
  return it->get<std::string>();
}

std::string optional_string(const OrderedJson& object, const char* key, const std::string& fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : fallback;
}

Expected<std::vector<std::string>> host_list(const OrderedJson& value, const std::string& where,
                                             const std::string& file) {
  if (!value.is_array() || value.empty())
    return fail(ErrorKind::invalid_input, file + ": " + where + " must be a non-empty list of host names");
  std::vector<std::string> hosts;
  for (const auto& host : value) {
    if (!host.is_string() || !valid_host_name(host.get<std::string>())) {
      return fail(ErrorKind::invalid_input, file + ": " + where + " holds an invalid host name " + host.dump());
    }
    hosts.push_back(host.get<std::string>());
  }
  return hosts;
}

Expected<std::string> read_config_file(const Paths& paths, const fs::path& path) {
  auto content = util::read_file(path);
  if (!content) {
    const auto name = paths.relative(path);
    if (content.error().kind == ErrorKind::not_found) {
      return fail(ErrorKind::not_found, name + ": missing (SageMaker always writes it; a hand-made tree needs it too)");
    }
    return fail(ErrorKind::io, name + ": " + content.error().message);
  }
  return content;
}

} // namespace

bool valid_channel_name(const std::string& name) {
  // SageMaker: [A-Za-z0-9\.\-_]+, at most 64 characters. "." and ".." are refused here as well,
  // since a channel name becomes a folder name.
  if (name.empty() || name.size() > 64 || name == "." || name == "..") return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

bool valid_host_name(const std::string& name) {
  if (name.empty() || name.size() > 253 || name.front() == '-' || name.front() == '.') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-' ||
           c == '_';
  });
}

std::vector<std::string> TrainingConfig::channel_names() const {
  std::vector<std::string> names;
  for (const auto& [name, settings] : input_data_config.items())
    names.push_back(name);
  std::sort(names.begin(), names.end());
  return names;
}

Expected<OrderedJson> parse_hyperparameters(const std::string& content, const std::string& file) {
  auto object = parse_object(content, file);
  if (!object) return object;
  for (const auto& [key, value] : object->items()) {
    if (key.empty()) return fail(ErrorKind::invalid_input, file + ": a hyperparameter has an empty name");
  }
  return object;
}

Expected<OrderedJson> parse_input_data_config(const std::string& content, const std::string& file) {
  auto object = parse_object(content, file);
  if (!object) return object;
  for (const auto& [name, settings] : object->items()) {
    if (!valid_channel_name(name)) {
      return fail(ErrorKind::invalid_input, file + ": invalid channel name \"" + name +
                                                "\" (allowed: letters, digits, '.', '-', '_'; at most 64)");
    }
    if (!settings.is_object()) {
      return fail(ErrorKind::invalid_input,
                  file + ": channel \"" + name + "\" must map to an object such as {\"TrainingInputMode\":\"File\"}");
    }
  }
  return object;
}

Expected<ResourceConfig> parse_resource_config(const std::string& content, const std::string& file) {
  auto object = parse_object(content, file);
  if (!object) return std::unexpected(object.error());
  ResourceConfig config;
  config.raw = *object;
  auto current = required_string(*object, "current_host", file);
  if (!current) return std::unexpected(current.error());
  config.current_host = *current;
  const auto hosts_it = object->find("hosts");
  if (hosts_it == object->end()) return fail(ErrorKind::invalid_input, file + ": missing \"hosts\"");
  auto hosts = host_list(*hosts_it, "\"hosts\"", file);
  if (!hosts) return std::unexpected(hosts.error());
  config.hosts = *hosts;
  if (std::find(config.hosts.begin(), config.hosts.end(), config.current_host) == config.hosts.end()) {
    return fail(ErrorKind::invalid_input, file + ": current_host \"" + config.current_host + "\" is not in \"hosts\"");
  }
  config.current_instance_type = optional_string(*object, "current_instance_type", "local");
  config.current_group_name = optional_string(*object, "current_group_name", "homogeneousCluster");
  config.network_interface_name = optional_string(*object, "network_interface_name", "eth0");

  if (const auto groups = object->find("instance_groups"); groups != object->end()) {
    if (!groups->is_array()) return fail(ErrorKind::invalid_input, file + ": \"instance_groups\" must be a list");
    for (const auto& group : *groups) {
      if (!group.is_object())
        return fail(ErrorKind::invalid_input, file + ": each of \"instance_groups\" must be an object");
      InstanceGroup parsed;
      auto name = required_string(group, "instance_group_name", file);
      if (!name) return std::unexpected(name.error());
      parsed.name = *name;
      parsed.instance_type = optional_string(group, "instance_type", config.current_instance_type);
      const auto group_hosts = group.find("hosts");
      if (group_hosts == group.end())
        return fail(ErrorKind::invalid_input, file + ": instance group \"" + parsed.name + "\" has no \"hosts\"");
      auto list = host_list(*group_hosts, "instance group \"" + parsed.name + "\" hosts", file);
      if (!list) return std::unexpected(list.error());
      parsed.hosts = *list;
      config.instance_groups.push_back(std::move(parsed));
    }
  } else {
    // The old form: every host is one homogeneous group.
    config.instance_groups.push_back({config.current_group_name, config.current_instance_type, config.hosts});
  }
  return config;
}

Expected<TrainingConfig> read_training_config(const Paths& paths) {
  TrainingConfig config;
  const auto name_of = [&](const fs::path& p) { return paths.relative(p); };

  auto hp = read_config_file(paths, paths.hyperparameters_file());
  if (!hp) return std::unexpected(hp.error());
  auto hyperparameters = parse_hyperparameters(*hp, name_of(paths.hyperparameters_file()));
  if (!hyperparameters) return std::unexpected(hyperparameters.error());
  config.hyperparameters = std::move(*hyperparameters);

  auto idc = read_config_file(paths, paths.input_data_config_file());
  if (!idc) return std::unexpected(idc.error());
  auto input_data = parse_input_data_config(*idc, name_of(paths.input_data_config_file()));
  if (!input_data) return std::unexpected(input_data.error());
  config.input_data_config = std::move(*input_data);

  auto rc = read_config_file(paths, paths.resource_config_file());
  if (!rc) return std::unexpected(rc.error());
  auto resource = parse_resource_config(*rc, name_of(paths.resource_config_file()));
  if (!resource) return std::unexpected(resource.error());
  config.resource = std::move(*resource);

  for (const auto& [file, slot] : {std::pair{paths.checkpoint_config_file(), &config.checkpoint_config},
                                   std::pair{paths.training_job_config_file(), &config.training_job_config}}) {
    if (!util::is_file(file)) continue;
    auto content = util::read_file(file);
    if (!content) return fail(ErrorKind::io, name_of(file) + ": " + content.error().message);
    auto object = parse_object(*content, name_of(file));
    if (!object) return std::unexpected(object.error());
    *slot = std::move(*object);
  }
  return config;
}

} // namespace sagerun::contract
