// sagerun submit [JOB.json] [flags]: creates a training job on SageMaker (or a compatible
// endpoint) from the same request or flags as `sagerun local`. The request is checked as the
// service checks it before anything is sent; --script/--data stage the seed layout in S3 first;
// --wait follows the job (status transitions, CloudWatch logs) until it ends.
#include <cstdio>

#include "cli/command_table.hpp"
#include "cli/job_output.hpp"
#include "cli/local_options.hpp"
#include "cli/remote_context.hpp"
#include "cli/remote_follow.hpp"
#include "cli/remote_staging.hpp"
#include "job/location.hpp"
#include "job/request.hpp"

namespace sagerun::cli {
namespace {

bool is_local_uri(const std::string& uri) {
  return job::location_kind(uri) == job::LocationKind::local || uri.starts_with("./") || uri.starts_with("../");
}

// Local data locations are what `sagerun local` takes and SageMaker does not: say what to do.
std::string local_uri_hint(const nlohmann::json& request) {
  std::vector<std::string> uris;
  if (const auto channels = request.find("InputDataConfig"); channels != request.end() && channels->is_array()) {
    for (const auto& channel : *channels) {
      if (!channel.is_object()) continue;
      const auto source = channel.value("DataSource", nlohmann::json::object());
      if (!source.is_object()) continue;
      const auto s3 = source.value("S3DataSource", nlohmann::json::object());
      if (s3.is_object()) uris.push_back(s3.value("S3Uri", ""));
    }
  }
  for (const char* field : {"OutputDataConfig", "CheckpointConfig"}) {
    if (const auto config = request.find(field); config != request.end() && config->is_object()) {
      uris.push_back(config->value(field == std::string("OutputDataConfig") ? "S3OutputPath" : "S3Uri", ""));
    }
  }
  for (const auto& uri : uris) {
    if (is_local_uri(uri)) {
      return "\n(" + uri +
             " is on this machine; SageMaker reads and writes S3 only: stage local folders with --script DIR / "
             "--data DIR, or `sagerun upload`, and give an s3:// --output)";
    }
  }
  return "";
}

// Everything that can be checked without the network, in the order a user fixes things.
Expected<void> check_request(const nlohmann::json& request, const RemoteEndpoints& endpoints) {
  if (const auto message = job::validate_request(request, job::UriPolicy::sagemaker); !message.empty()) {
    return util::fail(util::ErrorKind::invalid_input, "ValidationException: " + message + local_uri_hint(request) +
                                                          "\n(checked here: nothing was sent)");
  }
  // `local`'s placeholder role (account 000000000000) satisfies a compatible endpoint, not AWS.
  const std::string role = request.value("RoleArn", "");
  if (!endpoints.custom && role.find(":000000000000:") != std::string::npos) {
    return util::fail(util::ErrorKind::invalid_input,
                      "RoleArn: SageMaker runs the job as an IAM role of your account: give --role "
                      "arn:aws:iam::ACCOUNT:role/NAME (or RoleArn in JOB.json); '" +
                          role + "' is a placeholder");
  }
  return {};
}

int follow(RemoteContext& context, const std::string& name, const Invocation& invocation) {
  const InterruptGuard guard;
  const std::string hint = remote_flags_hint(invocation.flags().aws, invocation.env(), context.endpoints);
  auto result = follow_job(context, name, FollowOptions{}, invocation.env());
  if (!result) {
    std::fprintf(stderr, "sagerun: lost track of job %s (it goes on: sagerun describe %s%s)\n", name.c_str(),
                 name.c_str(), hint.c_str());
    return report(result.error());
  }
  if (result->interrupted) {
    std::fprintf(stderr, "\nsagerun: stopped following job %s; the job goes on. Stop it with: sagerun stop %s%s\n",
                 name.c_str(), name.c_str(), hint.c_str());
    return k_exit_interrupted;
  }
  if (invocation.flags().output == Output::json) print_json(result->description);
  print_outcome(result->description);
  return aws::string_member(result->description, "TrainingJobStatus") == "Completed" ? k_exit_ok : k_exit_error;
}

} // namespace

int cmd_submit(Invocation& invocation) {
  auto& app = invocation.app();
  JobFlags job_flags;
  StagingFlags staging_flags;
  bool wait = false;
  add_job_flags(app, job_flags);
  add_staging_flags(app, staging_flags);
  app.add_flag("--wait,-w", wait, "follow the job's status and logs until it ends; exit 0 only if it Completed");
  if (auto done = invocation.parse()) return *done;
  const auto& env = invocation.env();
  const auto& aws_flags = invocation.flags().aws;
  if (!job_flags.output) job_flags.output = invocation.flags().output_location;
  auto request = build_request_json(job_flags);
  if (!request) return report(request.error());
  auto endpoints = resolve_remote_endpoints(aws_flags, env);
  if (!endpoints) return report(endpoints.error());
  auto plan = plan_staging(staging_flags, job_flags.inputs, *request);
  if (!plan) return report(plan.error());
  if (auto checked = check_request(*request, *endpoints); !checked) return report(checked.error());
  const std::string name = request->value("TrainingJobName", "");

  // The network from here on.
  if (*plan) {
    if (auto staged = stage(**plan, staging_flags, aws_flags, env); !staged) return report(staged.error());
  }
  auto context = make_remote_context(aws_flags, env);
  if (!context) return report(context.error());
  auto arn = (*context)->sagemaker->create_training_job(*request);
  if (!arn) {
    if (arn.error().code == "ResourceInUse") {
      auto error = arn.error();
      error.message += "\n(a job of that name exists: --base-job-name BASE makes a unique name per run, or give "
                       "another --job-name)";
      return report(error);
    }
    return report(arn.error());
  }
  if (invocation.flags().output == Output::text) {
    std::printf("%s\n", name.c_str());
  } else if (!wait) {
    print_json({{"TrainingJobName", name}, {"TrainingJobArn", *arn}});
  }
  std::fflush(stdout);
  std::fprintf(stderr, "sagerun: created training job %s (%s) at %s\n", name.c_str(), arn->c_str(),
               (*context)->endpoints.sagemaker.c_str());
  if (!wait) {
    std::fprintf(stderr, "sagerun: follow it with: sagerun logs %s --follow%s\n", name.c_str(),
                 remote_flags_hint(aws_flags, env, (*context)->endpoints).c_str());
    return k_exit_ok;
  }
  return follow(**context, name, invocation);
}

} // namespace sagerun::cli
