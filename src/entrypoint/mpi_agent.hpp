#pragma once
// mpirun's way to the job's other hosts, in place of ssh (no keys, no sshd): mpirun runs
// `train --mpi-agent HOST COMMAND…` as its remote shell (plm_rsh_agent); the agent connects to
// HOST's train, which runs COMMAND (Open MPI's daemon line) in that host through /bin/sh -c, as
// sshd would, relays its output back and ends with its exit code. When mpirun is done, the first
// host tells every other host the job's end, and they exit with it.
//
// A host serves only on its own address (algo-N's), and only connections that prove they belong
// to the job with its launch token: SAGERUN_LAUNCH_TOKEN (the local runner makes one per job), else
// the job's ARN or name (on SageMaker the job's hosts alone share its network). The token travels
// in the environment, never in argv.

#include <chrono>
#include <string>
#include <vector>

#include "entrypoint/supervisor.hpp"
#include "util/environment.hpp"

namespace sagerun::entrypoint {

inline constexpr int k_agent_port = 7778;

// The job's launch token, from the environment.
std::string launch_token(const util::EnvMap& env);

// `train --mpi-agent [OPTIONS] HOST COMMAND…`: ssh's calling convention (options before the host
// are ignored; COMMAND's words are joined with spaces). Returns the remote command's exit code,
// 255 when the host cannot be reached (as ssh).
int run_agent(const std::vector<std::string>& args, const util::EnvMap& env);

struct ServeResult {
  int job_exit = 0;    // what the first host announced (its mpirun's exit code)
  int stop_signal = 0; // a stop signal that ended the serving, 0 when none
};

// An MPI host other than the first: serves launches on `address` until the first host
// announces the end or a stop signal arrives (then every launched process is stopped, SIGTERM
// then SIGKILL after the grace period). `env`: the environment launched commands get.
Expected<ServeResult> serve_launches(const std::string& address, const util::EnvMap& env, Supervisor& supervisor);

// The first host, once mpirun ended: tells each of `hosts` the job's exit code.
void announce_end(const std::vector<std::string>& hosts, const util::EnvMap& env, int exit_code);

} // namespace sagerun::entrypoint
