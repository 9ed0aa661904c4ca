#pragma once
// What describe, list, stop and logs talk to, chosen once per command (Invocation::wants_remote):
// this machine's store of jobs, or a SageMaker API (SageMaker, or a compatible endpoint such as
// `sagerun server`), behind the one jobs::Backend interface.

#include <memory>
#include <optional>

#include "cli/command_table.hpp"
#include "cli/remote_context.hpp"
#include "jobs/backend.hpp"
#include "jobs/local_jobs.hpp"
#include "jobs/s3_aborter.hpp"
#include "store/store.hpp"

namespace sagerun::cli {

// This machine's store (SAGERUN_HOME, default ~/.sagerun) and the jobs service over it, with the
// S3 access its clean-up of dead runners uses (the shared AWS flags and the environment).
struct LocalAccess {
  std::unique_ptr<store::Store> store;
  std::unique_ptr<jobs::S3UploadAborter> aborter;
  std::unique_ptr<jobs::LocalJobs> jobs;
};

Expected<LocalAccess> open_local_jobs(const util::EnvMap& env, const AwsFlags& aws,
                                      const std::optional<std::filesystem::path>& root = std::nullopt);

struct JobsAccess {
  std::optional<LocalAccess> local;
  std::unique_ptr<RemoteContext> remote;
  std::unique_ptr<jobs::Backend> backend;
};

Expected<JobsAccess> open_jobs(const Invocation& invocation);

// A not-found error made specific: which store, or which API, was asked.
util::Error not_found_here(util::Error error, const JobsAccess& access, const std::string& name);

} // namespace sagerun::cli
