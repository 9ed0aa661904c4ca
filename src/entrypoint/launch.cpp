#include "entrypoint/launch.hpp"

#include <algorithm>
#include <sstream>

#include "contract/sm_environment.hpp"

namespace sagerun::entrypoint {
namespace {

void set_default(util::EnvMap& env, const std::string& name, const std::string& value) {
  if (!util::lookup(env, name)) env[name] = value;
}

// torchrun (torch.distributed.run) run through runpy, after mending a defect of PyTorch before
// 2.0 on Python 3.11 and later (Debian 12's python3-torch): its redirect setting "0" parses to
// None there, so every torchrun fails at start. A constant of ours: no user data in it.
constexpr const char* k_torchrun = R"(import runpy, sys
try:
    from torch.distributed.elastic.multiprocessing import api
    if api.Std.from_str("0") is None:
        def from_str(cls, text):
            if ":" in text:
                return {int(i): cls(int(v)) for i, v in (pair.split(":") for pair in text.split(","))}
            return cls(int(text))
        api.Std.from_str = classmethod(from_str)
except ImportError:
    pass
sys.argv[0] = "torchrun"
runpy.run_module("torch.distributed.run", run_name="__main__"))";

// torchrun: each host runs its share, the first host's rendezvous on the master port (given on
// one host too: torchrun's default, 29500, would be every job's).
Step torchrun_step(const contract::Distribution& distribution, const contract::ResourceConfig& resource,
                   const Step& script, const std::string& python, const util::EnvMap& env) {
  Step step{{python, "-c", k_torchrun, "--nnodes", std::to_string(distribution.hosts.size()), "--nproc_per_node",
             std::to_string(distribution.processes_per_host), "--node_rank",
             std::to_string(distribution.rank_of(resource.current_host)), "--master_addr",
             util::lookup(env, "MASTER_ADDR").value_or(distribution.hosts.front()), "--master_port",
             util::lookup(env, "MASTER_PORT").value_or(std::to_string(contract::k_master_port))},
            script.cwd};
  if (!script.argv.empty() && script.argv.front() == python) {
    step.argv.insert(step.argv.end(), script.argv.begin() + 1, script.argv.end()); // "train.py" or "-m pkg"
  } else {
    step.argv.emplace_back("--no_python");
    step.argv.insert(step.argv.end(), script.argv.begin(), script.argv.end());
  }
  return step;
}

// The variables mpirun hands every rank (-x NAME: the value stays in the environment, not in argv).
bool exported_to_ranks(const std::string& name) {
  static const std::vector<std::string> exact = {"PATH",
                                                 "LD_LIBRARY_PATH",
                                                 "LD_PRELOAD",
                                                 "PYTHONPATH",
                                                 "PYTHONUNBUFFERED",
                                                 "MASTER_ADDR",
                                                 "MASTER_PORT",
                                                 "TRAINING_JOB_NAME",
                                                 "TRAINING_JOB_ARN",
                                                 "CURRENT_HOST",
                                                 "HOME",
                                                 "LANG"};
  static const std::vector<std::string> prefixes = {"SM_", "NCCL_", "SAGEMAKER_", "AWS_", "GLOO_"};
  if (std::find(exact.begin(), exact.end(), name) != exact.end()) return true;
  return std::any_of(prefixes.begin(), prefixes.end(), [&](const std::string& p) { return name.starts_with(p); });
}

Step mpirun_step(const contract::Distribution& distribution, const contract::ResourceConfig& resource,
                 const Step& script, const std::string& python, const std::vector<std::string>& agent,
                 const util::EnvMap& env) {
  std::string hosts;
  for (const auto& host : distribution.hosts)
    hosts += (hosts.empty() ? "" : ",") + host + ":" + std::to_string(distribution.processes_per_host);
  std::string agent_command;
  for (const auto& word : agent)
    agent_command += (agent_command.empty() ? "" : " ") + word;
  const std::string& interface = resource.network_interface_name;
  Step step{{"mpirun",
             "--host",
             hosts,
             "-np",
             std::to_string(distribution.processes),
             "--allow-run-as-root",
             "--tag-output",
             "-mca",
             "btl_tcp_if_include",
             interface,
             "-mca",
             "oob_tcp_if_include",
             interface,
             "-mca",
             "plm_rsh_no_tree_spawn",
             "1",
             "-mca",
             "pml",
             "ob1",
             "-mca",
             "btl",
             "^openib",
             "-mca",
             "orte_abort_on_non_zero_status",
             "1",
             "-mca",
             "btl_vader_single_copy_mechanism",
             "none",
             "-mca",
             "plm_rsh_agent",
             agent_command},
            script.cwd};
  for (const auto& [name, value] : env) {
    if (exported_to_ranks(name)) step.argv.insert(step.argv.end(), {"-x", name});
  }
  std::istringstream custom(distribution.custom_mpi_options);
  for (std::string word; custom >> word;)
    step.argv.push_back(word);
  if (!script.argv.empty() && script.argv.front() == python && script.argv.size() > 1 && script.argv[1] != "-m") {
    step.argv.insert(step.argv.end(), {python, "-m", "mpi4py"}); // an uncaught exception aborts every rank
    step.argv.insert(step.argv.end(), script.argv.begin() + 1, script.argv.end());
  } else {
    step.argv.insert(step.argv.end(), script.argv.begin(), script.argv.end());
  }
  return step;
}

} // namespace

std::string failure_tail(contract::Launcher launcher, const std::string& tail) {
  if (launcher != contract::Launcher::torchrun) return tail;
  const auto failed = tail.find("ChildFailedError");
  const auto own = tail.rfind("Traceback (most recent call last):", failed);
  const auto cause = tail.find("Root Cause", failed);
  if (failed == std::string::npos || own == std::string::npos || cause == std::string::npos) return tail;
  return tail.substr(cause) + "\n" + tail.substr(0, own);
}

Launch plan_launch(const contract::Distribution& distribution, const contract::ResourceConfig& resource,
                   const Step& script, const std::string& python, const std::vector<std::string>& agent,
                   util::EnvMap& env) {
  if (distribution.launcher == contract::Launcher::script || !distribution.includes(resource.current_host))
    return {Role::run, script};
  set_default(env, "NCCL_SOCKET_IFNAME", resource.network_interface_name);
  set_default(env, "GLOO_SOCKET_IFNAME", resource.network_interface_name);
  if (distribution.launcher == contract::Launcher::torchrun)
    return {Role::run, torchrun_step(distribution, resource, script, python, env)};
  if (distribution.rank_of(resource.current_host) != 0) return {Role::serve_mpi, {}};
  return {Role::run, mpirun_step(distribution, resource, script, python, agent, env)};
}

} // namespace sagerun::entrypoint
