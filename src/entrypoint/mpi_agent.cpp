#include "entrypoint/mpi_agent.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <optional>
#include <thread>

#include "util/fd.hpp"
#include "util/log.hpp"
#include "util/spawn.hpp"

namespace sagerun::entrypoint {
namespace {

using Clock = std::chrono::steady_clock;
using namespace std::chrono_literals;
namespace log = util::log;

// Frames: a type byte, a 4-byte big-endian length, the payload.
// Agent → host: 'T' token, then 'C' a command to run or 'E' the job's exit code.
// Host → agent: 'O' output, then 'X' the command's exit code.
constexpr uint32_t k_max_frame = 1 << 20;

bool send_frame(int fd, char type, std::string_view payload) {
  const auto length = static_cast<uint32_t>(payload.size());
  const char header[5] = {type, static_cast<char>(length >> 24), static_cast<char>(length >> 16),
                          static_cast<char>(length >> 8), static_cast<char>(length)};
  return util::write_all(fd, std::string_view(header, 5)) && util::write_all(fd, payload);
}

bool read_exact(int fd, char* data, size_t size) {
  while (size > 0) {
    const ssize_t got = ::read(fd, data, size);
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) return false;
    data += got;
    size -= static_cast<size_t>(got);
  }
  return true;
}

std::optional<std::pair<char, std::string>> read_frame(int fd) {
  char header[5];
  if (!read_exact(fd, header, 5)) return std::nullopt;
  const uint32_t length = (static_cast<uint32_t>(static_cast<unsigned char>(header[1])) << 24) |
                          (static_cast<uint32_t>(static_cast<unsigned char>(header[2])) << 16) |
                          (static_cast<uint32_t>(static_cast<unsigned char>(header[3])) << 8) |
                          static_cast<uint32_t>(static_cast<unsigned char>(header[4]));
  if (length > k_max_frame) return std::nullopt;
  std::string payload(length, '\0');
  if (!read_exact(fd, payload.data(), length)) return std::nullopt;
  return std::pair{header[0], std::move(payload)};
}

bool same_secret(std::string_view a, std::string_view b) {
  unsigned char differ = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i)
    differ |= static_cast<unsigned char>(a[i] ^ b[i]);
  return differ == 0 && !a.empty();
}

std::optional<sockaddr_in> resolve(const std::string& host, int port) {
  addrinfo hints{};
  hints.ai_family = AF_INET;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), nullptr, &hints, &found) != 0 || found == nullptr) return std::nullopt;
  sockaddr_in address = *reinterpret_cast<const sockaddr_in*>(found->ai_addr);
  ::freeaddrinfo(found);
  address.sin_port = htons(static_cast<uint16_t>(port));
  return address;
}

// A connection to `host`'s agent port, retried until `patience` has passed (it may not serve yet).
util::UniqueFd connect_to(const std::string& host, std::chrono::milliseconds patience) {
  const auto deadline = Clock::now() + patience;
  for (;;) {
    if (const auto address = resolve(host, k_agent_port)) {
      util::UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
      if (fd.valid() && ::connect(fd.get(), reinterpret_cast<const sockaddr*>(&*address), sizeof *address) == 0)
        return fd;
    }
    if (Clock::now() >= deadline) return {};
    std::this_thread::sleep_for(100ms);
  }
}

void set_receive_timeout(int fd, std::chrono::seconds timeout) {
  timeval value{static_cast<time_t>(timeout.count()), 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &value, sizeof value);
}

int exit_status(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

// A command one agent asked for, running in its own session.
struct Launched {
  util::UniqueFd connection;
  util::UniqueFd output;
  pid_t pid = -1;
  std::optional<int> exit_code;
};

Expected<Launched> launch(util::UniqueFd connection, const std::string& command, const util::EnvMap& env) {
  util::Pipe pipe;
  if (!util::make_pipe(pipe)) return util::fail(util::ErrorKind::io, util::errno_message("pipe", errno));
  const std::vector<std::string> argv{"/bin/sh", "-c", command};
  const auto args = util::argv_pointers(argv);
  const util::EnvBlock envp(env);
  util::SpawnSetup setup;
  posix_spawn_file_actions_addopen(&setup.actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&setup.actions, pipe.write_end.get(), STDOUT_FILENO);
  posix_spawn_file_actions_adddup2(&setup.actions, pipe.write_end.get(), STDERR_FILENO);
  sigset_t none;
  sigemptyset(&none);
  posix_spawnattr_setsigmask(&setup.attr, &none);
  posix_spawnattr_setflags(&setup.attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK);
  pid_t pid = -1;
  const int rc = ::posix_spawn(&pid, "/bin/sh", &setup.actions, &setup.attr, args.data(), envp.data());
  if (rc != 0) return util::fail(util::ErrorKind::io, util::errno_message("cannot start /bin/sh", rc));
  ::fcntl(pipe.read_end.get(), F_SETFL, O_NONBLOCK);
  return Launched{std::move(connection), std::move(pipe.read_end), pid, std::nullopt};
}

// Every launched command's session gets `sig`.
void signal_all(const std::vector<Launched>& launched, int sig) {
  for (const auto& one : launched)
    if (!one.exit_code) ::kill(-one.pid, sig);
}

// Reaps whatever ended (this process may be its namespace's process 1), recording launches' codes.
void reap(std::vector<Launched>& launched) {
  int status = 0;
  for (pid_t pid; (pid = ::waitpid(-1, &status, WNOHANG)) > 0;) {
    for (auto& one : launched)
      if (one.pid == pid) one.exit_code = exit_status(status);
  }
}

} // namespace

std::string launch_token(const util::EnvMap& env) {
  for (const char* name : {"SAGERUN_LAUNCH_TOKEN", "TRAINING_JOB_ARN", "TRAINING_JOB_NAME"}) {
    if (auto value = util::lookup_nonempty(env, name)) return *value;
  }
  return "";
}

int run_agent(const std::vector<std::string>& args, const util::EnvMap& env) {
  size_t at = 0;
  while (at < args.size() && args[at].starts_with("-"))
    ++at;
  if (at + 1 >= args.size()) {
    log::error("--mpi-agent needs a host and a command (train --mpi-agent HOST COMMAND...)");
    return 255;
  }
  const std::string& host = args[at];
  std::string command;
  for (size_t i = at + 1; i < args.size(); ++i)
    command += (command.empty() ? "" : " ") + args[i];
  const auto fd = connect_to(host, 60s);
  if (!fd.valid()) {
    log::error("the launch agent of " + host + " does not answer on port " + std::to_string(k_agent_port));
    return 255;
  }
  if (!send_frame(fd.get(), 'T', launch_token(env)) || !send_frame(fd.get(), 'C', command)) return 255;
  while (auto frame = read_frame(fd.get())) {
    if (frame->first == 'O') {
      util::write_all(STDOUT_FILENO, frame->second);
    } else if (frame->first == 'X') {
      return std::atoi(frame->second.c_str());
    }
  }
  log::error("the launch agent of " + host + " went away before its command ended");
  return 255;
}

Expected<ServeResult> serve_launches(const std::string& address, const util::EnvMap& env, Supervisor& supervisor) {
  const auto where = resolve(address, k_agent_port);
  if (!where) return util::fail(util::ErrorKind::io, "cannot resolve " + address + " for the launch agent");
  util::UniqueFd listener(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
  const int yes = 1;
  ::setsockopt(listener.get(), SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
  if (!listener.valid() || ::bind(listener.get(), reinterpret_cast<const sockaddr*>(&*where), sizeof *where) != 0 ||
      ::listen(listener.get(), 16) != 0) {
    return util::fail(util::ErrorKind::io,
                      util::errno_message(
                          "the launch agent cannot listen on " + address + ":" + std::to_string(k_agent_port), errno));
  }
  log::info("serving the first host's MPI launches on " + address + ":" + std::to_string(k_agent_port));
  const std::string token = launch_token(env);
  std::vector<Launched> launched;
  std::optional<int> job_exit;
  ServeResult result;
  for (;;) {
    reap(launched);
    for (auto& one : launched) {
      if (one.exit_code && !one.output.valid() && one.connection.valid()) {
        send_frame(one.connection.get(), 'X', std::to_string(*one.exit_code));
        one.connection.reset();
      }
    }
    const bool busy = std::any_of(launched.begin(), launched.end(), [](const Launched& l) { return !l.exit_code; });
    if (job_exit && !busy) break;
    std::vector<pollfd> fds{{listener.get(), POLLIN, 0}, {supervisor.signal_fd(), POLLIN, 0}};
    for (const auto& one : launched) {
      if (one.output.valid()) fds.push_back({one.output.get(), POLLIN, 0});
      if (one.connection.valid() && !one.exit_code) fds.push_back({one.connection.get(), POLLIN, 0});
    }
    ::poll(fds.data(), fds.size(), 100);
    if (const int sig = supervisor.take_stop()) {
      result.stop_signal = sig;
      break;
    }
    if (fds[0].revents & POLLIN) {
      util::UniqueFd connection(::accept4(listener.get(), nullptr, nullptr, SOCK_CLOEXEC));
      if (connection.valid()) {
        set_receive_timeout(connection.get(), 10s);
        const auto proof = read_frame(connection.get());
        if (!proof || proof->first != 'T' || !same_secret(proof->second, token)) {
          log::warn("refused a launch connection without the job's token");
          continue;
        }
        const auto ask = read_frame(connection.get());
        if (ask && ask->first == 'E') {
          job_exit = std::atoi(ask->second.c_str());
        } else if (ask && ask->first == 'C') {
          log::debug("launching for the first host: " + ask->second);
          auto started = launch(std::move(connection), ask->second, env);
          if (!started) return std::unexpected(started.error());
          launched.push_back(std::move(*started));
        }
      }
    }
    for (auto& one : launched) {
      if (one.output.valid()) {
        char buffer[65536];
        const ssize_t got = ::read(one.output.get(), buffer, sizeof buffer);
        if (got > 0) {
          if (one.connection.valid() && !send_frame(one.connection.get(), 'O', std::string_view(buffer, got)))
            one.connection.reset();
        } else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
          one.output.reset();
        }
      }
      if (one.connection.valid() && !one.exit_code) {
        pollfd probe{one.connection.get(), POLLIN, 0};
        if (::poll(&probe, 1, 0) > 0) {
          char ignored[256];
          if (::recv(one.connection.get(), ignored, sizeof ignored, MSG_DONTWAIT) == 0) {
            ::kill(-one.pid, SIGTERM); // its agent went away (mpirun ended it): so does the command
            one.connection.reset();
          }
        }
      }
    }
  }
  // Stopped, or the job ended with launches still running: every one ends, with a grace period.
  signal_all(launched, SIGTERM);
  const auto deadline = Clock::now() + supervisor.grace();
  while (Clock::now() < deadline &&
         std::any_of(launched.begin(), launched.end(), [](const Launched& l) { return !l.exit_code; })) {
    reap(launched);
    std::this_thread::sleep_for(20ms);
  }
  signal_all(launched, SIGKILL);
  reap(launched);
  result.job_exit = job_exit.value_or(1);
  return result;
}

void announce_end(const std::vector<std::string>& hosts, const util::EnvMap& env, int exit_code) {
  const std::string token = launch_token(env);
  for (const auto& host : hosts) {
    const auto fd = connect_to(host, 5s);
    if (!fd.valid() || !send_frame(fd.get(), 'T', token) || !send_frame(fd.get(), 'E', std::to_string(exit_code)))
      log::warn("could not tell " + host + " that the job ended; the runner will stop it");
  }
}

} // namespace sagerun::entrypoint
