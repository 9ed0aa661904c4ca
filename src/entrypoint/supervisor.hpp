#pragma once
// The init duties of PID 1, as tini does them: signals are blocked and read from a signalfd,
// forwarded to the script's own process group; SIGTERM starts a grace period that ends in
// SIGKILL; every child is reaped (as PID 1, or as a child subreaper); nothing of the group
// outlives a run. The script's stdout is inherited untouched; its stderr is relayed byte for byte
// while the last bytes are kept for the failure file.

#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "util/environment.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::entrypoint {

struct Command {
  std::vector<std::string> argv; // argv[0] is looked up in PATH when it has no '/'
  std::filesystem::path cwd;
  util::EnvMap env;
  // inherit: stdout untouched, stderr relayed; merged: both relayed to stdout (installers).
  enum class Output { inherit, merged } output = Output::inherit;
};

struct RunResult {
  int exit_code = 0;   // the script's code, or 128 + signal
  int term_signal = 0; // the signal that ended it, 0 when it exited
  int stop_signal = 0; // SIGTERM received and forwarded during the run, 0 when none
  bool grace_expired = false;
  int spawn_errno = 0;      // exec failed with this errno (exit_code 126/127)
  int leftovers_killed = 0; // processes still alive after the main child ended
  std::string tail;         // the last bytes of the relayed stream
};

class Supervisor {
public:
  // Blocks the handled signals in this process, so construct it before starting threads.
  static Expected<Supervisor> create(std::chrono::seconds grace);
  Supervisor(Supervisor&&) = default;
  Supervisor& operator=(Supervisor&&) = default;
  ~Supervisor();

  Expected<RunResult> run(const Command& command);

  // Sleeps up to `duration`, returning early with the signal number when a stop signal
  // (SIGTERM, SIGINT, SIGHUP, SIGQUIT) arrives; 0 otherwise.
  int sleep_unless_stopped(std::chrono::milliseconds duration);

  // For a poll loop of the caller's own: the descriptor signals arrive on, and the stop signal
  // read from it (0 when none; SIGCHLD is left to the caller's waitpid).
  int signal_fd() const { return m_signal_fd.get(); }
  int take_stop();

  // A stop signal that arrived while no child was running (0 when none).
  int pending_stop() const { return m_pending_stop; }
  std::chrono::seconds grace() const { return m_grace; }

  static constexpr size_t k_tail_bytes = 16 * 1024;

private:
  Supervisor(util::UniqueFd signal_fd, std::chrono::seconds grace);
  int read_signal(); // next signal from the signalfd, 0 when none is pending

  util::UniqueFd m_signal_fd;
  std::chrono::seconds m_grace;
  int m_pending_stop = 0;
};

// Kills every remaining child and descendant reparented to this process, and reaps them all.
// Returns how many were killed.
int kill_and_reap_remaining(int process_group);

} // namespace sagerun::entrypoint
