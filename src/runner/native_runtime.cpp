// The native runtime: each host is the train entrypoint as a child process with its own tree.
// Several hosts each get a private view of /etc/hosts and their own host name (a user, mount
// and UTS namespace, as unprivileged containers do), so algo-N resolve for the script exactly
// as in SageMaker, without touching the machine's /etc/hosts.
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "runner/runtime.hpp"
#include "store/job_folder.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/log.hpp"

namespace sagerun::runner {
namespace {

std::string hosts_file_text(int count) {
  std::string text = "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  for (int i = 0; i < count; ++i)
    text += host_address(i) + "\t" + store::host_name(i) + "\n";
  return text;
}

bool write_proc_file(const char* path, const char* text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  const auto length = std::strlen(text);
  const bool ok = ::write(fd, text, length) == static_cast<ssize_t>(length);
  ::close(fd);
  return ok;
}

class NativeRuntime : public Runtime {
public:
  explicit NativeRuntime(NativeOptions options) : m_options(std::move(options)) {}

  TreeMount mount() const override { return TreeMount::native; }

  Expected<ChildProcess> start(const HostLaunch& host) override {
    util::EnvMap env = m_options.base_env;
    for (const auto& [key, value] : host.env)
      env[key] = value;
    env["SAGEMAKER_BASE_DIR"] = host.tree.string();
    std::vector<std::string> argv{m_options.train_binary};
    if (m_options.train_is_subcommand) argv.emplace_back("train");
    if (host.count == 1) return ChildProcess::spawn_tied(argv, env);

    const fs::path hosts_file = host.tree.parent_path() / (store::host_name(host.index) + ".hosts");
    if (auto written = util::write_file_atomic(hosts_file, hosts_file_text(host.count)); !written) {
      return std::unexpected(written.error());
    }
    return spawn_isolated(argv, env, hosts_file.string(), store::host_name(host.index));
  }

  void kill(const HostLaunch& /*host*/, ChildProcess& process) override { process.signal(SIGKILL); }

private:
  // posix_spawn cannot enter namespaces, so this one host start forks. Everything the child
  // needs is prepared before fork; after it, only system calls run.
  static Expected<ChildProcess> spawn_isolated(const std::vector<std::string>& argv, const util::EnvMap& env,
                                               const std::string& hosts_file, const std::string& hostname) {
    const std::string uid_map = std::to_string(::getuid()) + " " + std::to_string(::getuid()) + " 1\n";
    const std::string gid_map = std::to_string(::getgid()) + " " + std::to_string(::getgid()) + " 1\n";
    return ChildProcess::spawn_tied(argv, env, [&]() -> int {
      if (::unshare(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS) != 0) {
        // Already privileged (root) — a user namespace is not needed, but may be refused.
        if (::unshare(CLONE_NEWNS | CLONE_NEWUTS) != 0) return errno;
      } else {
        write_proc_file("/proc/self/setgroups", "deny");
        if (!write_proc_file("/proc/self/uid_map", uid_map.c_str())) return errno;
        if (!write_proc_file("/proc/self/gid_map", gid_map.c_str())) return errno;
      }
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) return errno;
      if (::mount(hosts_file.c_str(), "/etc/hosts", nullptr, MS_BIND, nullptr) != 0) return errno;
      if (::sethostname(hostname.c_str(), hostname.size()) != 0) return errno;
      return 0;
    });
  }

  NativeOptions m_options;
};

} // namespace

std::string host_address(int host_index) { return "127.0.100." + std::to_string(host_index + 1); }

bool is_gpu_instance_type(const std::string& instance_type) {
  return instance_type.starts_with("ml.p") || instance_type.starts_with("ml.g");
}

std::unique_ptr<Runtime> make_native_runtime(NativeOptions options) {
  return std::make_unique<NativeRuntime>(std::move(options));
}

} // namespace sagerun::runner
