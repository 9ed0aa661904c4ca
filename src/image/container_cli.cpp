#include "image/container_cli.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>

#include "util/fd.hpp"
#include "util/spawn.hpp"

namespace sagerun::image {
namespace {

// A closed reader must end in EPIPE, not in SIGPIPE killing sagerun, while the input is written.
class IgnoreSigpipe {
public:
  IgnoreSigpipe() {
    struct sigaction ignore{};
    ignore.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignore, &m_previous);
  }
  ~IgnoreSigpipe() { ::sigaction(SIGPIPE, &m_previous, nullptr); }
  IgnoreSigpipe(const IgnoreSigpipe&) = delete;
  IgnoreSigpipe& operator=(const IgnoreSigpipe&) = delete;

private:
  struct sigaction m_previous{};
};

int wait_for(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) return 128;
  }
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 128;
}

} // namespace

std::string describe_command(const std::string& program, const std::vector<std::string>& args) {
  std::string text = std::filesystem::path(program).filename().string();
  // The verb ("push", "image inspect"), never the values: they may be long, and are in the log above.
  for (const auto& arg : args) {
    if (arg.starts_with("-")) break;
    text += " " + arg;
    if (arg != "image") break;
  }
  return text;
}

ContainerCli::ContainerCli(std::string program, util::EnvMap env)
    : m_program(std::move(program)), m_env(std::move(env)) {}

bool ContainerCli::is_podman() const {
  return std::filesystem::path(m_program).filename().string().starts_with("podman");
}

Expected<ClientResult> ContainerCli::run(const std::vector<std::string>& args, Output output,
                                         std::optional<std::string_view> input) const {
  // Written whole before the output is read: more than a pipe holds could deadlock.
  constexpr size_t k_max_input = 60 * 1024;
  if (input && input->size() > k_max_input) {
    return util::fail(util::ErrorKind::internal, "input for " + m_program + " is larger than a pipe's buffer");
  }
  std::vector<std::string> argv{m_program};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<char*> pointers;
  pointers.reserve(argv.size() + 1);
  for (auto& arg : argv)
    pointers.push_back(arg.data());
  pointers.push_back(nullptr);
  const util::EnvBlock block(m_env);

  util::Pipe stdin_pipe, stdout_pipe;
  if ((input && !util::make_pipe(stdin_pipe)) || (output == Output::capture && !util::make_pipe(stdout_pipe))) {
    return util::fail(util::ErrorKind::io, util::errno_message("pipe", errno));
  }
  util::SpawnSetup setup;
  // Our process group (Ctrl-C at the terminal reaches the client too), signals as at exec.
  sigset_t empty, defaults;
  sigemptyset(&empty);
  sigfillset(&defaults);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
  posix_spawnattr_setsigmask(&setup.attr, &empty);
  posix_spawnattr_setsigdefault(&setup.attr, &defaults);
  if (input) {
    posix_spawn_file_actions_adddup2(&setup.actions, stdin_pipe.read_end.get(), STDIN_FILENO);
  } else {
    posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  }
  const int stdout_target = output == Output::capture ? stdout_pipe.write_end.get() : STDERR_FILENO;
  posix_spawn_file_actions_adddup2(&setup.actions, stdout_target, STDOUT_FILENO);
  pid_t pid = 0;
  const int rc = ::posix_spawnp(&pid, pointers[0], &setup.actions, &setup.attr, pointers.data(), block.data());
  if (rc != 0) {
    return util::fail(util::ErrorKind::not_found,
                      util::errno_message("cannot start " + m_program, rc) +
                          " (install it, or name the client with --docker docker|podman|PATH)");
  }
  stdin_pipe.read_end.reset();
  stdout_pipe.write_end.reset();
  if (input) {
    const IgnoreSigpipe guard;
    // A client that exits without reading (a bad flag) is reported by its exit code below.
    (void)util::write_all(stdin_pipe.write_end.get(), *input);
    stdin_pipe.write_end.reset();
  }
  ClientResult result;
  if (output == Output::capture) {
    char buffer[8192];
    for (;;) {
      const ssize_t got = ::read(stdout_pipe.read_end.get(), buffer, sizeof buffer);
      if (got > 0) {
        result.output.append(buffer, static_cast<size_t>(got));
      } else if (got == 0 || errno != EINTR) {
        break;
      }
    }
  }
  result.exit_code = wait_for(pid);
  return result;
}

Expected<std::string> ContainerCli::check(const std::vector<std::string>& args, Output output,
                                          const std::string& what_to_do, std::optional<std::string_view> input) const {
  auto result = run(args, output, input);
  if (!result) return std::unexpected(result.error());
  if (result->exit_code != 0) {
    std::string message = "`" + describe_command(m_program, args) + "` failed (exit " +
                          std::to_string(result->exit_code) + "; its messages are above)";
    if (!what_to_do.empty()) message += ": " + what_to_do;
    return util::fail(util::ErrorKind::io, message);
  }
  return std::move(result->output);
}

} // namespace sagerun::image
