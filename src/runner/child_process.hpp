#pragma once
// A child process the runner owns: spawned with posix_spawn (argv only, never a shell) in a
// process group of its own, stdin from /dev/null, stdout and stderr into one pipe the runner
// reads (as a container's log merges both). The guard kills and reaps the group on unwind.

#include <sys/types.h>

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "util/environment.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::runner {

class ChildProcess {
public:
  static Expected<ChildProcess> spawn(const std::vector<std::string>& argv, const util::EnvMap& env,
                                      const std::string& cwd = "");
  // The same through fork: `setup` runs in the child before exec (system calls only: the
  // parent may have threads) and returns 0, or an errno that fails the spawn. With
  // `namespaces` (CLONE_NEW* flags) the child is made in new namespaces of those kinds (with
  // CLONE_NEWPID it is their process 1).
  static Expected<ChildProcess> spawn_with_setup(const std::vector<std::string>& argv, const util::EnvMap& env,
                                                 const std::function<int()>& setup, int namespaces = 0);
  // A host: the child gets SIGTERM if the runner dies (train or the docker client then stop the
  // job's processes), so nothing of a job outlives its runner, even one killed with SIGKILL.
  static Expected<ChildProcess> spawn_tied(const std::vector<std::string>& argv, const util::EnvMap& env,
                                           const std::function<int()>& setup = {}, int namespaces = 0);
  ChildProcess(ChildProcess&& other) noexcept;
  ChildProcess& operator=(ChildProcess&& other) noexcept;
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;
  ~ChildProcess();

  pid_t pid() const { return m_pid; }
  // The read end of the merged stdout/stderr pipe (non-blocking); -1 once closed.
  int output_fd() const { return m_output.get(); }
  void close_output() { m_output.reset(); }

  // Sends `signal` to the child itself (not its group): `train` and `docker run` forward it.
  void signal(int signal) const;
  // Readable once the child has ended (then poll_exit() answers); -1 where the kernel has no
  // pidfds, or once the exit is known.
  int exit_fd() const { return m_exit_fd.get(); }
  // Non-blocking: the exit status once the child has ended (128+N for a signal), else nullopt.
  std::optional<int> poll_exit();
  // Blocks until the child has ended; its exit status.
  int wait_exit();
  bool running() const { return m_pid > 0 && !m_exit; }
  std::optional<int> exit_code() const { return m_exit; }

private:
  ChildProcess() = default;
  ChildProcess(pid_t pid, util::UniqueFd output);
  void ended(int wait_status);
  pid_t m_pid = -1;
  util::UniqueFd m_output;
  util::UniqueFd m_exit_fd;
  std::optional<int> m_exit;
};

// The exit status of a wait() status word: the code, or 128+N for death by signal N.
int exit_status_of(int wait_status);

} // namespace sagerun::runner
