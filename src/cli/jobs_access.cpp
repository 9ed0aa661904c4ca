#include "cli/jobs_access.hpp"

#include "jobs/local_backend.hpp"
#include "jobs/remote_backend.hpp"

namespace sagerun::cli {

Expected<LocalAccess> open_local_jobs(const util::EnvMap& env, const AwsFlags& aws,
                                      const std::optional<std::filesystem::path>& root) {
  LocalAccess access;
  auto store = store::Store::open(root.value_or(store::default_root(env)));
  if (!store) return std::unexpected(store.error());
  access.store = std::move(*store);
  access.aborter = std::make_unique<jobs::S3UploadAborter>(env, aws.region, aws.profile);
  access.jobs = std::make_unique<jobs::LocalJobs>(*access.store, access.aborter.get());
  return access;
}

Expected<JobsAccess> open_jobs(const Invocation& invocation) {
  JobsAccess access;
  if (invocation.wants_remote()) {
    auto remote = make_remote_context(invocation.flags().aws, invocation.env());
    if (!remote) return std::unexpected(remote.error());
    access.remote = std::move(*remote);
    // A compatible server keeps every value: one a second gives them back; CloudWatch, one a minute.
    const int64_t metrics_period = access.remote->endpoints.custom ? 1 : 60;
    access.backend = jobs::make_remote_backend(*access.remote->sagemaker, *access.remote->logs,
                                               *access.remote->cloudwatch, metrics_period);
    return access;
  }
  auto local = open_local_jobs(invocation.env(), invocation.flags().aws);
  if (!local) return std::unexpected(local.error());
  access.local = std::move(*local);
  access.backend = jobs::make_local_backend(*access.local->jobs);
  return access;
}

util::Error not_found_here(util::Error error, const JobsAccess& access, const std::string& name) {
  if (error.kind != util::ErrorKind::not_found && error.code != "ValidationException") return error;
  if (access.local) {
    error.message += " (no training job " + name + " in " + access.local->store->root().string() +
                     "; --remote or --endpoint-url look elsewhere)";
  }
  return error;
}

} // namespace sagerun::cli
