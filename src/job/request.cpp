// parse_request (validate, then read the typed view) and to_json (the typed view written back
// over `raw`). Reading trusts validate_request for types; defaults are the header's.
#include "job/request.hpp"
#include "job/service_error.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;

std::string string_at(const json& object, const char* key, std::string fallback = {}) {
  const auto it = object.find(key);
  return it != object.end() && it->is_string() ? it->get<std::string>() : std::move(fallback);
}

template <typename T> T number_at(const json& object, const char* key, T fallback) {
  const auto it = object.find(key);
  return it != object.end() && it->is_number_integer() ? it->get<T>() : fallback;
}

const json& object_at(const json& object, const char* key) {
  static const json empty = json::object();
  const auto it = object.find(key);
  return it != object.end() && it->is_object() ? *it : empty;
}

std::map<std::string, std::string> string_map(const json& object) {
  std::map<std::string, std::string> out;
  for (auto it = object.begin(); it != object.end(); ++it)
    if (it.value().is_string()) out[it.key()] = it.value().get<std::string>();
  return out;
}

Channel read_channel(const json& item) {
  Channel channel;
  channel.name = string_at(item, "ChannelName");
  const json& source = object_at(item, "DataSource");
  if (const auto s3 = source.find("S3DataSource"); s3 != source.end() && s3->is_object()) {
    channel.s3_data_type = string_at(*s3, "S3DataType", channel.s3_data_type);
    channel.uri = string_at(*s3, "S3Uri");
    channel.distribution = string_at(*s3, "S3DataDistributionType", channel.distribution);
  } else {
    channel.s3_data_type.clear(); // FileSystemDataSource or DatasetSource: kept in raw only
  }
  channel.content_type = string_at(item, "ContentType");
  channel.compression_type = string_at(item, "CompressionType", channel.compression_type);
  channel.record_wrapper_type = string_at(item, "RecordWrapperType", channel.record_wrapper_type);
  channel.input_mode = string_at(item, "InputMode");
  return channel;
}

// Sets `key` unless the value is the default and the request did not say it.
void set_unless_default(json& object, const char* key, const std::string& value, const std::string& fallback) {
  if (value != fallback || object.contains(key)) object[key] = value;
}

void set_or_erase(json& object, const char* key, const std::string& value) {
  if (value.empty())
    object.erase(key);
  else
    object[key] = value;
}

json& object_member(json& parent, const char* key) {
  json& child = parent[key];
  if (!child.is_object()) child = json::object();
  return child;
}

json channel_json(const Channel& channel, json item) {
  if (!item.is_object()) item = json::object();
  item["ChannelName"] = channel.name;
  if (!channel.uri.empty() || !channel.s3_data_type.empty()) {
    json& s3 = object_member(object_member(item, "DataSource"), "S3DataSource");
    s3["S3DataType"] = channel.s3_data_type;
    s3["S3Uri"] = channel.uri;
    s3["S3DataDistributionType"] = channel.distribution;
  }
  set_or_erase(item, "ContentType", channel.content_type);
  set_unless_default(item, "CompressionType", channel.compression_type, "None");
  set_unless_default(item, "RecordWrapperType", channel.record_wrapper_type, "None");
  set_or_erase(item, "InputMode", channel.input_mode);
  return item;
}

} // namespace

Expected<TrainingJobRequest> parse_request(const json& request, UriPolicy policy) {
  if (auto message = validate_request(request, policy); !message.empty()) {
    return std::unexpected(validation_error(std::move(message)));
  }
  return read_checked_request(request);
}

TrainingJobRequest read_checked_request(const json& request) {
  TrainingJobRequest out;
  out.raw = request;
  out.job_name = string_at(request, "TrainingJobName");
  const json& spec = object_at(request, "AlgorithmSpecification");
  out.image = string_at(spec, "TrainingImage");
  out.input_mode = string_at(spec, "TrainingInputMode", out.input_mode);
  const auto strings_at = [&spec](const char* key) {
    std::vector<std::string> values;
    if (const auto list = spec.find(key); list != spec.end() && list->is_array()) {
      for (const auto& item : *list)
        if (item.is_string()) values.push_back(item.get<std::string>());
    }
    return values;
  };
  out.container_entrypoint = strings_at("ContainerEntrypoint");
  out.container_arguments = strings_at("ContainerArguments");
  if (const auto metrics = spec.find("MetricDefinitions"); metrics != spec.end() && metrics->is_array()) {
    for (const auto& metric : *metrics)
      out.metric_definitions.push_back({string_at(metric, "Name"), string_at(metric, "Regex")});
  }
  out.role_arn = string_at(request, "RoleArn");
  out.hyperparameters = string_map(object_at(request, "HyperParameters"));
  if (const auto channels = request.find("InputDataConfig"); channels != request.end() && channels->is_array()) {
    for (const auto& item : *channels)
      out.channels.push_back(read_channel(item));
  }
  const json& output = object_at(request, "OutputDataConfig");
  out.output_path = string_at(output, "S3OutputPath");
  out.output_compression = string_at(output, "CompressionType", out.output_compression);
  const json& resources = object_at(request, "ResourceConfig");
  // With InstanceGroups there is no job-wide instance type; the default would contradict them.
  const std::string type_default = resources.contains("InstanceGroups") ? "" : out.instance_type;
  out.instance_type = string_at(resources, "InstanceType", type_default);
  out.instance_count = number_at(resources, "InstanceCount", out.instance_count);
  out.volume_size_gb = number_at(resources, "VolumeSizeInGB", out.volume_size_gb);
  out.max_runtime_seconds =
      number_at(object_at(request, "StoppingCondition"), "MaxRuntimeInSeconds", out.max_runtime_seconds);
  out.environment = string_map(object_at(request, "Environment"));
  if (const auto checkpoint = request.find("CheckpointConfig");
      checkpoint != request.end() && checkpoint->is_object()) {
    CheckpointConfig config;
    config.s3_uri = string_at(*checkpoint, "S3Uri");
    config.local_path = string_at(*checkpoint, "LocalPath", config.local_path);
    out.checkpoint = config;
  }
  if (const auto isolation = request.find("EnableNetworkIsolation");
      isolation != request.end() && isolation->is_boolean())
    out.network_isolation = isolation->get<bool>();
  if (const auto tags = request.find("Tags"); tags != request.end()) out.tags = read_tags(*tags);
  out.spot = read_spot_and_retry(request);
  return out;
}

json to_json(const TrainingJobRequest& request) {
  json out = request.raw.is_object() ? request.raw : json::object();
  out["TrainingJobName"] = request.job_name;

  json& spec = object_member(out, "AlgorithmSpecification");
  set_or_erase(spec, "TrainingImage", request.image);
  spec["TrainingInputMode"] = request.input_mode;
  if (request.metric_definitions.empty()) {
    spec.erase("MetricDefinitions");
  } else {
    json metrics = json::array();
    for (const auto& metric : request.metric_definitions)
      metrics.push_back({{"Name", metric.name}, {"Regex", metric.regex}});
    spec["MetricDefinitions"] = std::move(metrics);
  }

  out["RoleArn"] = request.role_arn;
  out["HyperParameters"] = request.hyperparameters;

  if (request.channels.empty()) {
    out.erase("InputDataConfig");
  } else {
    const json previous = out.value("InputDataConfig", json::array());
    json channels = json::array();
    for (size_t i = 0; i < request.channels.size(); ++i) {
      const bool has_previous = previous.is_array() && i < previous.size();
      channels.push_back(channel_json(request.channels[i], has_previous ? previous[i] : json::object()));
    }
    out["InputDataConfig"] = std::move(channels);
  }

  json& output = object_member(out, "OutputDataConfig");
  output["S3OutputPath"] = request.output_path;
  output["CompressionType"] = request.output_compression;

  json& resources = object_member(out, "ResourceConfig");
  set_or_erase(resources, "InstanceType", request.instance_type);
  // With InstanceGroups (no job-wide type) the groups carry the counts.
  if (!request.instance_type.empty() || resources.contains("InstanceCount"))
    resources["InstanceCount"] = request.instance_count;
  resources["VolumeSizeInGB"] = request.volume_size_gb;

  object_member(out, "StoppingCondition")["MaxRuntimeInSeconds"] = request.max_runtime_seconds;

  if (request.environment.empty())
    out.erase("Environment");
  else
    out["Environment"] = request.environment;

  if (request.checkpoint) {
    json& checkpoint = object_member(out, "CheckpointConfig");
    checkpoint["S3Uri"] = request.checkpoint->s3_uri;
    checkpoint["LocalPath"] = request.checkpoint->local_path;
  } else {
    out.erase("CheckpointConfig");
  }
  out["EnableNetworkIsolation"] = request.network_isolation;
  if (request.tags.empty())
    out.erase("Tags");
  else
    out["Tags"] = tags_json(request.tags);
  return out;
}

} // namespace sagerun::job
