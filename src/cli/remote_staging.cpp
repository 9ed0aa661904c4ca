#include "cli/remote_staging.hpp"

#include <chrono>
#include <cstdio>

#include "aws/transfer/transfer.hpp"
#include "util/files.hpp"

namespace sagerun::cli {
namespace {

using util::ErrorKind;

Expected<aws::s3::Location> staging_location(const StagingFlags& flags, const nlohmann::json& request) {
  if (flags.stage_to) {
    auto location = aws::s3::parse_uri(*flags.stage_to);
    if (!location) return util::fail(ErrorKind::invalid_input, "--stage-to: " + location.error().message);
    return location;
  }
  std::string output;
  if (const auto config = request.find("OutputDataConfig"); config != request.end() && config->is_object()) {
    output = config->value("S3OutputPath", "");
  }
  auto location = aws::s3::parse_uri(output);
  if (output.empty() || !location) {
    return util::fail(ErrorKind::invalid_input,
                      "--script/--data: where should they be staged? Give --stage-to s3://BUCKET/PREFIX, or an s3:// "
                      "--output (OutputDataConfig.S3OutputPath) to stage them in its bucket");
  }
  return aws::s3::Location{location->bucket, request.value("TrainingJobName", "") + "/input"};
}

// The request's `training` channel, now reading `uri` (an S3 prefix).
Expected<void> point_training_channel(nlohmann::json& request, const std::string& uri) {
  auto& channels = request["InputDataConfig"];
  if (!channels.is_array()) channels = nlohmann::json::array();
  for (auto& channel : channels) {
    if (!channel.is_object() || channel.value("ChannelName", "") != "training") continue;
    auto& source = channel["DataSource"];
    if (source.is_null()) source = nlohmann::json::object();
    if (!source.is_object() || (!source.empty() && !source.contains("S3DataSource"))) {
      return util::fail(ErrorKind::invalid_input,
                        "--script/--data stage the `training` channel, but JOB.json's `training` channel does not read "
                        "S3 (DataSource): rename that channel or drop --script/--data");
    }
    auto& s3 = source["S3DataSource"];
    s3["S3Uri"] = uri;
    s3["S3DataType"] = "S3Prefix";
    if (!s3.contains("S3DataDistributionType")) s3["S3DataDistributionType"] = "FullyReplicated";
    return {};
  }
  channels.push_back(
      {{"ChannelName", "training"},
       {"DataSource",
        {{"S3DataSource",
          {{"S3DataType", "S3Prefix"}, {"S3Uri", uri}, {"S3DataDistributionType", "FullyReplicated"}}}}}});
  return {};
}

} // namespace

void add_staging_flags(CLI::App& app, StagingFlags& flags) {
  app.add_option("--script", flags.script, "a script folder, uploaded to PREFIX/script/ (the seed layout train finds)");
  app.add_option("--data", flags.data, "a data folder, uploaded under PREFIX/");
  app.add_option("--stage-to", flags.stage_to,
                 "s3://BUCKET/PREFIX for --script/--data; they become the `training` channel "
                 "(default: s3://<bucket of --output>/<job>/input)");
  app.add_option("--s3-endpoint-url", flags.s3_endpoint_url,
                 "an S3-compatible server for the staging (default: AWS_ENDPOINT_URL_S3, AWS_ENDPOINT_URL, AWS)");
}

Expected<std::optional<StagingPlan>> plan_staging(const StagingFlags& flags, const std::vector<std::string>& inputs,
                                                  nlohmann::json& request) {
  if (flags.script.empty() && flags.data.empty()) {
    if (flags.stage_to) return util::fail(ErrorKind::invalid_input, "--stage-to: nothing to stage (--script, --data)");
    return std::nullopt;
  }
  for (const auto& [flag, dir] : {std::pair{"--script", flags.script}, std::pair{"--data", flags.data}}) {
    if (!dir.empty() && !util::is_dir(dir)) {
      return util::fail(ErrorKind::not_found, std::string(flag) + " " + dir + ": not a folder");
    }
  }
  for (const auto& input : inputs) {
    if (input.starts_with("training=")) {
      return util::fail(ErrorKind::invalid_input,
                        "--input training=… and --script/--data both set the `training` channel: keep one");
    }
  }
  auto location = staging_location(flags, request);
  if (!location) return std::unexpected(location.error());
  while (location->key.ends_with('/'))
    location->key.pop_back();
  // A trailing '/': S3Prefix matches keys as plain strings, and ".../input" would also match
  // ".../input-old/…".
  const std::string uri = "s3://" + location->bucket + "/" + (location->key.empty() ? "" : location->key + "/");
  if (auto pointed = point_training_channel(request, uri); !pointed) return std::unexpected(pointed.error());
  return StagingPlan{flags.script, flags.data, *location, uri};
}

Expected<void> stage(const StagingPlan& plan, const StagingFlags& flags, const AwsFlags& aws, const util::EnvMap& env) {
  AwsFlags s3_flags = aws;
  s3_flags.endpoint_url = flags.s3_endpoint_url;
  auto context = make_s3_context(s3_flags, env);
  if (!context) return std::unexpected(context.error());
  aws::transfer::Manager manager(*context->client, transfer_options(TransferFlags{}));
  const auto start = std::chrono::steady_clock::now();
  aws::transfer::Stats scripts{}, data{};
  if (!plan.script.empty()) {
    auto uploaded =
        manager.upload_folder(plan.script, plan.location.bucket, aws::transfer::join_key(plan.location.key, "script"));
    if (!uploaded) return std::unexpected(uploaded.error());
    scripts = *uploaded;
  }
  if (!plan.data.empty()) {
    auto uploaded = manager.upload_folder(plan.data, plan.location.bucket, plan.location.key);
    if (!uploaded) return std::unexpected(uploaded.error());
    data = *uploaded;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  std::fprintf(stderr, "sagerun: staged %zu script files and %zu data files at %s in %.2f s (the training channel)\n",
               scripts.files, data.files, plan.channel_uri.c_str(), seconds);
  return {};
}

} // namespace sagerun::cli
