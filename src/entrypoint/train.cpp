#include "entrypoint/train.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <optional>
#include <string_view>

#include "contract/config.hpp"
#include "contract/distribution.hpp"
#include "contract/failure.hpp"
#include "contract/hyperparameters.hpp"
#include "contract/settings.hpp"
#include "contract/sm_environment.hpp"
#include "entrypoint/hosts.hpp"
#include "entrypoint/launch.hpp"
#include "entrypoint/locate.hpp"
#include "entrypoint/mpi_agent.hpp"
#include "entrypoint/prepare.hpp"
#include "entrypoint/python_env.hpp"
#include "entrypoint/supervisor.hpp"
#include "entrypoint/system_info.hpp"
#include "util/files.hpp"
#include "util/log.hpp"
#include "util/signals.hpp"

namespace sagerun::entrypoint {
namespace {

namespace log = util::log;
using namespace std::chrono_literals;

constexpr std::string_view k_usage =
    "usage: train\n"
    "       train --exec PROGRAM ARGS...   (a ContainerEntrypoint: run it, supervised only)\n"
    "       train --mpi-agent HOST COMMAND (mpirun's remote shell to the job's other hosts)\n"
    "\n"
    "The SageMaker training entrypoint. Reads /opt/ml (or $SAGEMAKER_BASE_DIR), finds the training\n"
    "script, installs its requirements, runs it with the hyperparameters as arguments and the SM_*\n"
    "environment, and reports the result in output/success or output/failure.\n"
    "\n"
    "Environment:\n"
    "  SAGEMAKER_BASE_DIR             the /opt/ml tree to use\n"
    "  SAGEMAKER_PROGRAM              the entry script (script mode)\n"
    "  SAGERUN_PYTHON                 the Python interpreter (default: python3)\n"
    "  SAGERUN_INSTALL_REQUIREMENTS   0 to skip requirements.txt\n"
    "  SAGERUN_PYTHON_ENVS            where environments for an externally managed Python are kept\n"
    "  SAGERUN_STOP_GRACE_SECONDS     seconds between SIGTERM and SIGKILL (default 100)\n"
    "  SAGERUN_HOST_WAIT_SECONDS      how long to wait for peers to resolve (default 900)\n"
    "  SAGERUN_DEBUG                  1 for debug lines (or sagemaker_container_log_level <= 10)\n"
    "\n"
    "Exit codes: the script's own, 128+N when it died by signal N; train's own failures:\n"
    "  66 no script found, 69 install failed, 70 internal error, 75 peers did not resolve,\n"
    "  78 bad configuration, 126 entry not executable, 127 interpreter not found.\n";

// Writes the failure file (unless the script wrote its own) and returns `code`.
int finish_failed(const contract::Paths& paths, int code, const std::string& first_line, std::string_view tail = {}) {
  log::error(first_line);
  if (util::is_file(paths.failure_file())) {
    log::info("keeping the failure file the script wrote");
    return code;
  }
  if (auto ok = contract::write_failure_file(paths, contract::compose_failure(first_line, tail)); !ok) {
    log::error("could not write the failure file: " + ok.error().message);
  }
  return code;
}

// The command as a shell would read it, for the log only (it never reaches a shell).
std::string display_command(const std::vector<std::string>& argv, const util::Redactor& redactor) {
  std::string text;
  bool mask_next = false;
  for (const auto& arg : argv) {
    if (!text.empty()) text += ' ';
    if (mask_next) {
      text += "****";
    } else if (!arg.empty() && arg.find_first_of(" \t\n'\"\\$`*?[]{}()<>|&;#~") == std::string::npos) {
      text += arg;
    } else {
      text += '\'';
      for (const char c : arg)
        text += c == '\'' ? std::string("'\\''") : std::string(1, c);
      text += '\'';
    }
    mask_next = !mask_next && arg.starts_with("-") && util::is_secret_name(arg);
  }
  return redactor.apply(std::move(text));
}

std::string describe_end(const RunResult& run, std::chrono::seconds grace) {
  if (run.stop_signal != 0) {
    const std::string stop = "stopped: " + util::signal_name(run.stop_signal);
    if (run.grace_expired)
      return stop + ", grace expired after " + std::to_string(grace.count()) + " s; killed with SIGKILL";
    if (run.term_signal != 0) return stop + "; the script ended by " + util::signal_name(run.term_signal);
    return stop + "; the script exited with code " + std::to_string(run.exit_code);
  }
  if (run.term_signal == 9) return "killed by SIGKILL (9) — often out of memory";
  if (run.term_signal != 0) {
    return "killed by " + util::signal_name(run.term_signal) + " (" + std::to_string(run.term_signal) + ")";
  }
  return "exit code " + std::to_string(run.exit_code);
}

void log_environment(const util::EnvMap& env, const util::Redactor& redactor) {
  if (!log::debug_enabled()) return;
  for (const auto& [key, value] : env)
    log::debug("env " + key + "=" + redactor.apply(util::masked_value(key, value)));
}

class Train {
public:
  Train(util::EnvMap env, contract::TrainSettings settings, Supervisor supervisor, std::vector<std::string> agent)
      : m_env(std::move(env)), m_settings(settings), m_paths(contract::Paths::from_environment(m_env)),
        m_supervisor(std::move(supervisor)), m_agent(std::move(agent)) {}

  int run();
  // `train --exec PROGRAM ARGS…` (a request's ContainerEntrypoint and ContainerArguments): the
  // program runs as it is, supervised (signals, grace, reaping, the failure file), with none of
  // train's discovery, arguments or SM_* variables.
  int exec_program(const std::vector<std::string>& argv);

private:
  // Installs the entry's requirements; `python` becomes the interpreter to run the script with
  // (a cached environment's, when the given one is externally managed).
  int install(const Entry& entry, std::string& python);
  Expected<PythonEnv> open_python_env(const Entry& entry, const std::string& python);
  int run_script(const Entry& entry, const std::string& python, const contract::TrainingConfig& config,
                 const contract::Hyperparameters& hps);
  int report_end(const Expected<RunResult>& result, const std::string& what, const std::string& program);
  // An MPI host other than the first: serves its launches until it announces the job's end.
  int serve_mpi(const contract::ResourceConfig& resource, const util::EnvMap& env);
  int stopped_before_start(int sig) {
    return finish_failed(m_paths, 128 + sig, "stopped: " + util::signal_name(sig) + " before the script started");
  }

  util::EnvMap m_env;
  contract::TrainSettings m_settings;
  util::Redactor m_redactor;
  contract::Paths m_paths;
  Supervisor m_supervisor;
  std::vector<std::string> m_agent; // the argv of this program's launch agent
};

int Train::run() {
  log::info("sagerun train " SAGERUN_VERSION ", base dir " + m_paths.base().string());
  // Results of an earlier run in the same tree must not be mistaken for this run's.
  ::unlink(m_paths.failure_file().c_str());
  ::unlink(m_paths.success_file().c_str());
  for (const auto& dir : {m_paths.model(), m_paths.output_data()}) {
    if (auto ok = util::make_directories(dir); !ok) {
      return finish_failed(m_paths, contract::k_exit_internal, "cannot create " + ok.error().message);
    }
  }

  auto config = contract::read_training_config(m_paths);
  if (!config)
    return finish_failed(m_paths, contract::k_exit_bad_config, "bad configuration: " + config.error().message);
  const auto hps = contract::split_hyperparameters(config->hyperparameters);
  m_redactor.add_secrets_of(m_env);
  for (const auto& [key, value] : hps.user.items()) {
    if (util::is_secret_name(key)) m_redactor.add(util::python_str(value));
  }
  if (const auto level = hps.reserved.find("sagemaker_container_log_level");
      level != hps.reserved.end() && level->is_number() && level->get<double>() <= 10) {
    log::set_debug(true);
  }

  const auto& resource = config->resource;
  if (resource.hosts.size() > 1) {
    const auto limit = m_settings.host_wait;
    const auto waited = wait_for_hosts(resource.hosts, resource.current_host, limit, m_supervisor);
    if (waited.outcome == HostWait::stopped) return stopped_before_start(waited.stop_signal);
    if (waited.outcome == HostWait::timed_out) {
      return finish_failed(m_paths, contract::k_exit_hosts_unresolved,
                           "host " + waited.unresolved + " did not resolve within " + std::to_string(limit.count()) +
                               " s; the job's hosts are " + resource.raw["hosts"].dump());
    }
    log::info("all " + std::to_string(resource.hosts.size()) + " hosts resolve");
  }

  auto entry = locate_script(m_paths, *config, hps, m_env);
  if (!entry) return finish_failed(m_paths, contract::k_exit_no_script, entry.error().message);
  log::info("found the script by rule: " + entry->rule + ": " + (entry->directory / entry->name).string());

  std::string python = util::lookup(m_env, "SAGERUN_PYTHON").value_or("python3");
  if (const int code = install(*entry, python); code != 0) return code;
  if (const int sig = m_supervisor.pending_stop()) return stopped_before_start(sig);
  return run_script(*entry, python, *config, hps);
}

int Train::install(const Entry& entry, std::string& python) {
  const auto enabled = m_settings.install_requirements ? InstallRequirements::yes : InstallRequirements::no;
  auto step = install_step(entry, python, enabled);
  if (!step) return 0;
  std::optional<PythonEnv> environment;
  if (externally_managed(python, m_env)) {
    auto opened = open_python_env(entry, python);
    if (!opened) return finish_failed(m_paths, contract::k_exit_install_failed, opened.error().message);
    environment = std::move(*opened);
    step->argv.front() = environment->python();
    if (environment->complete() && entry.kind != ScriptKind::python_package) {
      log::info("the requirements are installed already in " + environment->folder().string());
      python = environment->python();
      return 0;
    }
  }
  log::info("installing: " + display_command(step->argv, m_redactor) + " (in " + step->cwd.string() + ")");
  auto result = m_supervisor.run(Command{step->argv, step->cwd, m_env, Command::Output::merged});
  if (!result) return finish_failed(m_paths, contract::k_exit_internal, result.error().message);
  if (result->spawn_errno != 0) {
    return finish_failed(m_paths, contract::k_exit_install_failed,
                         "install failed: cannot run " + step->argv.front() + ": " +
                             std::strerror(result->spawn_errno));
  }
  if (result->exit_code != 0) {
    // pip's own verdict ("ERROR: No matching distribution found for …") leads; then how it ended.
    const std::string verdict = pip_error_line(result->tail);
    return finish_failed(m_paths, contract::k_exit_install_failed,
                         "install failed: " + (verdict.empty() ? std::string() : verdict + " (") +
                             display_command(step->argv, m_redactor) + " ended with " +
                             describe_end(*result, m_supervisor.grace()) + (verdict.empty() ? "" : ")"),
                         result->tail);
  }
  if (environment) {
    if (auto marked = environment->mark_complete(); !marked)
      log::warn("could not record the Python environment as complete: " + marked.error().message);
    python = environment->python();
  }
  return 0;
}

// The cached environment for the entry's requirements under `python`, made if need be.
Expected<PythonEnv> Train::open_python_env(const Entry& entry, const std::string& python) {
  const auto real = resolve_python(python, m_env);
  if (!real) return util::fail(util::ErrorKind::not_found, "install failed: cannot find " + python);
  std::string requirements = util::read_file(entry.directory / "requirements.txt").value_or("");
  if (entry.kind == ScriptKind::python_package) requirements += "\n# and the package itself";
  auto environment = PythonEnv::open(python_envs_folder(m_env), python_env_key(*real, requirements));
  if (!environment) return std::unexpected(environment.error());
  if (environment->exists()) return environment;
  const std::vector<std::string> argv{
      real->string(), "-m", "venv", "--without-pip", "--system-site-packages", environment->folder().string()};
  log::info(python +
            " is externally managed (PEP 668): the requirements go into a virtual environment that sees "
            "its packages: " +
            display_command(argv, m_redactor));
  auto made = m_supervisor.run(Command{argv, "/", m_env, Command::Output::merged});
  if (!made) return std::unexpected(made.error());
  if (made->spawn_errno != 0 || made->exit_code != 0 || !environment->exists()) {
    return util::fail(util::ErrorKind::io, "install failed: " + python +
                                               " is externally managed (PEP 668) and a virtual environment "
                                               "could not be made for the requirements: " +
                                               display_command(argv, m_redactor) + " failed: " + made->tail);
  }
  return environment;
}

int Train::run_script(const Entry& entry, const std::string& python, const contract::TrainingConfig& config,
                      const contract::Hyperparameters& hps) {
  const auto args = contract::to_cmd_args(hps.user);
  auto step = run_step(entry, python, args);
  if (!step) return finish_failed(m_paths, contract::k_exit_not_executable, step.error().message);

  const contract::ScriptIdentity identity{entry.kind == ScriptKind::python_package ? entry.module : entry.name,
                                          entry.module_dir};
  const auto system = probe_system(m_env);
  const auto distribution = contract::read_distribution(hps, config.resource, system);
  if (!distribution) return finish_failed(m_paths, contract::k_exit_bad_config, distribution.error().message);
  util::EnvMap env = m_env;
  for (auto& [key, value] : contract::build_sm_environment(m_paths, config, hps, identity, system, m_env)) {
    env[key] = std::move(value);
  }
  contract::add_framework_defaults(env);
  // Like the toolkit, the code's folder comes first on the Python path.
  const auto pythonpath = util::lookup(env, "PYTHONPATH");
  env["PYTHONPATH"] = entry.directory.string() + (pythonpath && !pythonpath->empty() ? ":" + *pythonpath : "");
  const auto launch = plan_launch(*distribution, config.resource, *step, python, m_agent, env);
  log_environment(env, m_redactor);
  if (launch.role == Role::serve_mpi) return serve_mpi(config.resource, env);

  const auto& argv = launch.step.argv;
  log::info("running: " + display_command(argv, m_redactor) + " (in " + launch.step.cwd.string() + ")");
  const bool mpi =
      distribution->launcher == contract::Launcher::mpi && distribution->includes(config.resource.current_host);
  auto result = m_supervisor.run(Command{argv, launch.step.cwd, env, Command::Output::inherit});
  if (result) result->tail = failure_tail(distribution->launcher, result->tail);
  if (mpi) {
    const std::vector<std::string> others(distribution->hosts.begin() + 1, distribution->hosts.end());
    announce_end(others, env, result ? result->exit_code : contract::k_exit_internal);
  }
  return report_end(result, "the script", argv.front());
}

int Train::serve_mpi(const contract::ResourceConfig& resource, const util::EnvMap& env) {
  auto served = serve_launches(resource.current_host, env, m_supervisor);
  if (!served) return finish_failed(m_paths, contract::k_exit_internal, served.error().message);
  if (served->stop_signal != 0) {
    return finish_failed(m_paths, 128 + served->stop_signal,
                         "stopped: " + util::signal_name(served->stop_signal) + " while serving MPI launches");
  }
  if (served->job_exit != 0) {
    // The first host is failing with the rank's own error: it ends first (the platform then stops
    // this host), so that the job's FailureReason is its error, not this host's echo of it.
    m_supervisor.sleep_unless_stopped(std::chrono::seconds(60));
    return finish_failed(m_paths, 1,
                         "the job's mpirun on the first host ended with exit code " + std::to_string(served->job_exit));
  }
  log::info("the job's mpirun on the first host succeeded");
  if (auto ok = contract::write_success_file(m_paths); !ok)
    log::error("could not write output/success: " + ok.error().message);
  return 0;
}

int Train::report_end(const Expected<RunResult>& result, const std::string& what, const std::string& program) {
  if (!result) return finish_failed(m_paths, contract::k_exit_internal, result.error().message);
  if (result->leftovers_killed > 0) log::info("killed processes " + what + " left running");
  if (result->spawn_errno != 0) {
    return finish_failed(m_paths, result->exit_code,
                         "could not start " + what + ": " + program + ": " + std::strerror(result->spawn_errno));
  }
  if (result->exit_code == 0) {
    if (result->stop_signal == 0) {
      log::info(what + " succeeded");
    } else {
      log::info(what + " exited with code 0 after " + util::signal_name(result->stop_signal));
    }
    if (auto ok = contract::write_success_file(m_paths); !ok)
      log::error("could not write output/success: " + ok.error().message);
    return 0;
  }
  return finish_failed(m_paths, result->exit_code, describe_end(*result, m_supervisor.grace()), result->tail);
}

int Train::exec_program(const std::vector<std::string>& argv) {
  log::info("sagerun train " SAGERUN_VERSION ", base dir " + m_paths.base().string() +
            ": running the job's ContainerEntrypoint, supervised only");
  ::unlink(m_paths.failure_file().c_str());
  ::unlink(m_paths.success_file().c_str());
  for (const auto& dir : {m_paths.model(), m_paths.output_data()}) {
    if (auto ok = util::make_directories(dir); !ok) {
      return finish_failed(m_paths, contract::k_exit_internal, "cannot create " + ok.error().message);
    }
  }
  m_redactor.add_secrets_of(m_env);
  log_environment(m_env, m_redactor);
  log::info("running: " + display_command(argv, m_redactor) + " (in " + m_paths.base().string() + ")");
  return report_end(m_supervisor.run(Command{argv, m_paths.base(), m_env, Command::Output::inherit}), "the program",
                    argv.front());
}

} // namespace

int train_main(int argc, char** argv, bool as_subcommand) {
  std::vector<std::string> program;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (arg == "--mpi-agent") return run_agent({argv + i + 1, argv + argc}, util::current_environment());
    if (arg == "--exec") {
      program.assign(argv + i + 1, argv + argc);
      if (program.empty()) {
        log::error("--exec needs a program to run (train --exec PROGRAM ARGS...)");
        return contract::k_exit_bad_config;
      }
      break;
    }
    if (arg == "--help" || arg == "-h") {
      util::write_all(STDOUT_FILENO, k_usage);
      return 0;
    }
    if (arg == "--version") {
      util::write_all(STDOUT_FILENO, "train (sagerun) " SAGERUN_VERSION "\n");
      return 0;
    }
    // SageMaker passes "train" itself as the argument; anything else is ignored with a note.
    if (arg != "train") log::warn("ignoring argument '" + std::string(arg) + "'");
  }
  util::EnvMap env = util::current_environment();
  auto settings = contract::read_train_settings(env);
  if (!settings) {
    return finish_failed(contract::Paths::from_environment(env), contract::k_exit_bad_config,
                         "bad configuration: " + settings.error().message);
  }
  if (settings->debug) log::set_debug(true);
  auto supervisor = Supervisor::create(settings->stop_grace);
  if (!supervisor) {
    log::error(supervisor.error().message);
    return contract::k_exit_internal;
  }
  std::error_code ec;
  std::vector<std::string> agent{std::filesystem::read_symlink("/proc/self/exe", ec).string()};
  if (ec) agent.front() = as_subcommand ? "sagerun" : "train";
  if (as_subcommand) agent.emplace_back("train");
  agent.emplace_back("--mpi-agent");
  Train train(std::move(env), *settings, std::move(*supervisor), std::move(agent));
  return program.empty() ? train.run() : train.exec_program(program);
}

} // namespace sagerun::entrypoint
