#include "runner/detached_runner.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <vector>

#include "runner/host_resources.hpp"
#include "store/job_folder.hpp"
#include "util/spawn.hpp"

extern char** environ;

namespace sagerun::runner {

Expected<pid_t> spawn_detached_runner(const RunnerCommand& command, const std::filesystem::path& store_root,
                                      const std::string& name, const store::JobLock& lock) {
  std::vector<std::string> argv{
      command.sagerun,           "__run-job", "--store",       store_root.string(), "--lock-fd",
      std::to_string(k_lock_fd), "--runtime", command.runtime, "--docker",          command.docker};
  if (!command.s3_endpoint.empty()) argv.insert(argv.end(), {"--endpoint-url", command.s3_endpoint});
  if (!command.region.empty()) argv.insert(argv.end(), {"--region", command.region});
  if (!command.profile.empty()) argv.insert(argv.end(), {"--profile", command.profile});
  if (!command.job_credentials) argv.emplace_back("--no-job-credentials");
  if (command.interrupt_after > 0) {
    argv.insert(argv.end(), {"--interrupt-after", std::to_string(command.interrupt_after), "--interruptions",
                             std::to_string(command.interruptions)});
  }
  for (const auto& path : command.hidden)
    argv.insert(argv.end(), {"--hide", path});
  if (command.machine_cpus > 0) argv.insert(argv.end(), {"--machine-cpus", cpus_text(command.machine_cpus)});
  if (command.machine_memory_gib > 0)
    argv.insert(argv.end(), {"--machine-memory-gib", cpus_text(command.machine_memory_gib)});
  if (command.machine_gpus >= 0) argv.insert(argv.end(), {"--machine-gpus", std::to_string(command.machine_gpus)});
  argv.push_back(name);
  const auto args = util::argv_pointers(argv);

  const std::string log = store::JobFolder(store_root, name).runner_log().string();
  util::SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&setup.actions, STDOUT_FILENO, log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&setup.actions, STDOUT_FILENO, STDERR_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, lock.fd(), k_lock_fd);
  // A server's listening socket and connections must not live on in its runners (a restarted
  // server could not bind its port again).
  posix_spawn_file_actions_addclosefrom_np(&setup.actions, k_lock_fd + 1);
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigemptyset(&defaults);
  for (int signal : {SIGPIPE, SIGTERM, SIGINT, SIGHUP, SIGCHLD})
    sigaddset(&defaults, signal);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, args[0], &setup.actions, &setup.attr, args.data(), environ);
  if (rc != 0) return util::fail(util::ErrorKind::io, util::errno_message("cannot start the job's runner", rc));
  return pid;
}

} // namespace sagerun::runner
