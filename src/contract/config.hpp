#pragma once
// Reading and checking the files under input/config: hyperparameters.json, inputdataconfig.json,
// resourceconfig.json (old and instance-groups forms), checkpointconfig.json,
// trainingjobconfig.json. Every error names the file and the problem.

#include <optional>
#include <string>
#include <vector>

#include "contract/paths.hpp"
#include "util/error.hpp"
#include "util/python_repr.hpp"

namespace sagerun::contract {

using util::OrderedJson;

struct InstanceGroup {
  std::string name;
  std::string instance_type;
  std::vector<std::string> hosts;
};

struct ResourceConfig {
  std::string current_host;
  std::vector<std::string> hosts;
  std::string current_instance_type;
  std::string current_group_name;
  std::vector<InstanceGroup> instance_groups; // one synthesised group for the old form
  std::string network_interface_name;
  OrderedJson raw; // the file as written
};

struct TrainingConfig {
  OrderedJson hyperparameters = OrderedJson::object();   // the file as written: key -> string
  OrderedJson input_data_config = OrderedJson::object(); // channel -> settings
  ResourceConfig resource;
  std::optional<OrderedJson> checkpoint_config;
  std::optional<OrderedJson> training_job_config;

  std::vector<std::string> channel_names() const; // as listed in inputdataconfig.json, sorted
};

Expected<TrainingConfig> read_training_config(const Paths& paths);

// Parsers for one file's content; `file` is used in error messages.
Expected<OrderedJson> parse_hyperparameters(const std::string& content, const std::string& file);
Expected<OrderedJson> parse_input_data_config(const std::string& content, const std::string& file);
Expected<ResourceConfig> parse_resource_config(const std::string& content, const std::string& file);

// Names that are safe as a single path component and match SageMaker's patterns.
bool valid_channel_name(const std::string& name);
bool valid_host_name(const std::string& name);

} // namespace sagerun::contract
