#include "cli/local_runner.hpp"

#include <signal.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "aws/credentials.hpp"
#include "job/location.hpp"
#include "util/files.hpp"

namespace sagerun::cli {
namespace {

// The train entrypoint for the native runtime: SAGERUN_TRAIN_BINARY, else the lean `train`
// installed beside this sagerun, else this binary's own `train` subcommand.
void choose_train_binary(runner::RunContext& context) {
  if (auto given = util::lookup(context.env, "SAGERUN_TRAIN_BINARY"); given && !given->empty()) {
    context.train_binary = *given;
    return;
  }
  std::error_code error;
  const auto self = std::filesystem::read_symlink("/proc/self/exe", error);
  if (!error && util::is_executable(self.parent_path() / "train")) {
    context.train_binary = (self.parent_path() / "train").string();
    return;
  }
  context.train_binary = error ? "sagerun" : self.string();
  context.train_is_subcommand = true;
}

} // namespace

void add_runner_flags(CLI::App& app, RunnerFlags& flags) {
  app.add_option("--runtime", flags.runtime, "native (train as a process) or docker (a container per host)")
      ->check(CLI::IsMember({"native", "docker"}));
  app.add_option("--docker", flags.docker, "the container client for the docker runtime (docker or podman)");
  app.add_option("--machine-cpus", flags.machine_cpus,
                 "the CPUs this machine offers the hosts (default: all it has); each host gets its instance "
                 "type's vCPUs, at most these")
      ->check(CLI::PositiveNumber);
  app.add_option("--machine-memory-gib", flags.machine_memory_gib,
                 "the memory this machine offers the hosts, in GiB (default: all it has)")
      ->check(CLI::PositiveNumber);
  app.add_option("--machine-gpus", flags.machine_gpus,
                 "the NVIDIA GPUs this machine offers (default: its /dev/nvidiaN devices)")
      ->check(CLI::NonNegativeNumber);
  app.add_option("--interrupt-after", flags.interrupt_after,
                 "rehearse a spot reclaim: SIGTERM a managed spot job's hosts SECONDS after training started, "
                 "then restart it on fresh hosts from its checkpoints")
      ->check(CLI::PositiveNumber);
  app.add_option("--interruptions", flags.interruptions, "with --interrupt-after: how many attempts to interrupt")
      ->check(CLI::PositiveNumber);
}

bool uses_s3(const job::TrainingJobRequest& request) {
  const auto s3 = [](const std::string& uri) { return job::location_kind(uri) == job::LocationKind::s3; };
  if (s3(request.output_path) || (request.checkpoint && s3(request.checkpoint->s3_uri))) return true;
  return std::ranges::any_of(request.channels, [&](const job::Channel& channel) { return s3(channel.uri); });
}

Expected<util::UniqueFd> stop_signals() {
  sigset_t set;
  sigemptyset(&set);
  for (int signal : {SIGINT, SIGTERM, SIGHUP})
    sigaddset(&set, signal);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    return util::fail(util::ErrorKind::io, util::errno_message("sigprocmask", errno));
  }
  util::UniqueFd fd(::signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message("signalfd", errno));
  return fd;
}

Expected<std::unique_ptr<RunnerSetup>> make_runner_setup(const RunnerFlags& flags, const AwsFlags& aws_flags,
                                                         const util::EnvMap& env, bool needs_s3) {
  auto setup = std::make_unique<RunnerSetup>();
  auto& context = setup->context;
  // First, before anything can start a thread that would not have them blocked.
  auto signals = stop_signals();
  if (!signals) return std::unexpected(signals.error());
  setup->signal_fd = std::move(*signals);
  context.signal_fd = setup->signal_fd.get();
  context.env = env;
  context.runtime_kind = flags.runtime == "docker" ? runner::RuntimeKind::docker : runner::RuntimeKind::native;
  context.docker = flags.docker;
  context.machine =
      runner::machine_with(runner::detect_machine(), flags.machine_cpus, flags.machine_memory_gib, flags.machine_gpus);
  if (flags.interrupt_after) context.rehearsal.interrupt_after = std::chrono::seconds(*flags.interrupt_after);
  context.rehearsal.interruptions = flags.interruptions;
  choose_train_binary(context);
  if (auto region = aws::resolve_region(context.env, aws_flags.region, aws_flags.profile)) context.region = *region;
  auto s3 = make_s3_context(aws_flags, context.env);
  if (s3) {
    setup->s3 = std::move(*s3);
    context.s3 = setup->s3->client.get();
    context.credentials = &setup->s3->session->provider();
    if (aws_flags.endpoint_url) {
      context.s3_endpoint = *aws_flags.endpoint_url;
    } else if (auto endpoint = util::lookup(context.env, "AWS_ENDPOINT_URL_S3")) {
      context.s3_endpoint = *endpoint;
    } else if (auto shared = util::lookup(context.env, "AWS_ENDPOINT_URL")) {
      context.s3_endpoint = *shared;
    }
  } else if (needs_s3) {
    return std::unexpected(s3.error());
  }
  return setup;
}

} // namespace sagerun::cli
