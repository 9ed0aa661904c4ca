#include "runner/light_container.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>

namespace sagerun::runner {
namespace {

// The folders of this machine's root that are not bound as they are.
bool made_anew(const std::string& name) { return name == "proc" || name == "opt"; }

int write_file(const char* path, const std::string& text) {
  const int fd = ::open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  const bool ok = ::write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
  const int error = ok ? 0 : errno;
  ::close(fd);
  return error;
}

} // namespace

int light_container_namespaces() { return CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWPID; }

// Root needs no user namespace to mount (and may be refused one where it may still mount).
int names_only_namespaces() { return (::getuid() == 0 ? 0 : CLONE_NEWUSER) | CLONE_NEWNS | CLONE_NEWUTS; }

// The namespaces' id maps: this user as itself.
LightContainerPlan::Step LightContainerPlan::id_maps() {
  return {Step::Kind::id_maps, "", std::to_string(::getuid()) + " " + std::to_string(::getuid()) + " 1\n",
          std::to_string(::getgid()) + " " + std::to_string(::getgid()) + " 1\n"};
}

// The id maps, mounts kept from this machine, a tmpfs at `root`.
std::vector<LightContainerPlan::Step> LightContainerPlan::first_steps(const std::string& root) {
  return {id_maps(), {Step::Kind::private_root, "/", "", ""}, {Step::Kind::tmpfs, root, "", ""}};
}

LightContainerPlan LightContainerPlan::names_only(const fs::path& hosts_file, const std::string& hostname) {
  LightContainerPlan plan;
  if ((names_only_namespaces() & CLONE_NEWUSER) != 0) plan.m_steps.push_back(id_maps());
  plan.m_steps.push_back({Step::Kind::private_root, "/", "", ""});
  plan.m_steps.push_back({Step::Kind::bind, "/etc/hosts", hosts_file.string(), ""});
  plan.m_steps.push_back({Step::Kind::hostname, "", hostname, ""});
  return plan;
}

LightContainerPlan LightContainerPlan::probe(const fs::path& scratch) {
  LightContainerPlan plan;
  const std::string root = scratch.string();
  plan.m_steps = first_steps(root);
  plan.m_steps.push_back({Step::Kind::mkdir, root + "/proc", "", ""});
  plan.m_steps.push_back({Step::Kind::proc, root + "/proc", "", ""});
  return plan;
}

Expected<LightContainerPlan> LightContainerPlan::make(const LightContainerSpec& spec) {
  LightContainerPlan plan;
  auto& steps = plan.m_steps;
  steps = first_steps(spec.new_root.string());
  const std::string root = spec.new_root.string();

  // This machine's folders, each where it was; /opt anew (its entries, then ml); a /proc of its own.
  const auto mirror = [&](const fs::path& from, const std::string& to, bool skip_made_anew) -> Expected<void> {
    std::error_code ec;
    for (fs::directory_iterator it(from, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (skip_made_anew && made_anew(name)) continue;
      if (!skip_made_anew && name == "ml") continue; // /opt/ml is the host's tree
      const std::string target = to + "/" + name;
      const auto status = it->symlink_status(ec);
      if (ec) break;
      if (fs::is_symlink(status)) {
        steps.push_back({Step::Kind::symlink, target, fs::read_symlink(it->path(), ec).string(), ""});
      } else if (fs::is_directory(status)) {
        steps.push_back({Step::Kind::mkdir, target, "", ""});
        steps.push_back({Step::Kind::bind, target, it->path().string(), ""});
      } else {
        steps.push_back({Step::Kind::touch, target, "", ""});
        steps.push_back({Step::Kind::bind, target, it->path().string(), ""});
      }
    }
    if (ec) return util::fail(util::ErrorKind::io, "listing " + from.string() + ": " + ec.message());
    return {};
  };
  if (auto listed = mirror("/", root, true); !listed) return std::unexpected(listed.error());
  steps.push_back({Step::Kind::mkdir, root + "/opt", "", ""});
  if (std::error_code ec; fs::is_directory("/opt", ec)) {
    if (auto listed = mirror("/opt", root + "/opt", false); !listed) return std::unexpected(listed.error());
  }
  steps.push_back({Step::Kind::mkdir, root + "/opt/ml", "", ""});
  steps.push_back({Step::Kind::bind, root + "/opt/ml", spec.tree.string(), ""});
  steps.push_back({Step::Kind::mkdir, root + "/proc", "", ""});
  steps.push_back({Step::Kind::proc, root + "/proc", "", ""});
  if (!spec.checkpoint_dir.empty()) {
    std::string at = root;
    for (const auto& part : fs::path(spec.checkpoint_path).relative_path()) {
      at += "/" + part.string();
      steps.push_back({Step::Kind::mkdir, at, "", ""});
    }
    steps.push_back({Step::Kind::bind, at, spec.checkpoint_dir.string(), ""});
  }
  steps.push_back({Step::Kind::bind, root + "/etc/hosts", spec.hosts_file.string(), ""});
  // Last: a covered folder may hold what was bound above (the tree lies in the store).
  for (const auto& hidden : spec.hidden) {
    std::error_code ec;
    const auto status = fs::symlink_status(hidden, ec);
    if (ec || !fs::exists(status)) continue;
    const std::string target = root + fs::path(hidden).lexically_normal().string();
    steps.push_back({fs::is_directory(status) ? Step::Kind::tmpfs : Step::Kind::mask_file, target, "", ""});
  }
  steps.push_back({Step::Kind::pivot, root, "", ""});
  steps.push_back({Step::Kind::hostname, "", spec.hostname, ""});
  return plan;
}

int LightContainerPlan::enter() const noexcept {
  for (const auto& step : m_steps) {
    const char* target = step.target.c_str();
    int error = 0;
    switch (step.kind) {
    case Step::Kind::id_maps:
      (void)write_file("/proc/self/setgroups", "deny");
      error = write_file("/proc/self/uid_map", step.source);
      if (error == 0) error = write_file("/proc/self/gid_map", step.extra);
      break;
    case Step::Kind::private_root:
      if (::mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) != 0) error = errno;
      break;
    case Step::Kind::tmpfs:
      if (::mount("tmpfs", target, "tmpfs", MS_NOSUID | MS_NODEV, "mode=0755") != 0) error = errno;
      break;
    case Step::Kind::mkdir:
      if (::mkdir(target, 0755) != 0 && errno != EEXIST) error = errno;
      break;
    case Step::Kind::touch: {
      const int fd = ::open(target, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
      if (fd < 0) {
        error = errno;
      } else {
        ::close(fd);
      }
      break;
    }
    case Step::Kind::bind:
      if (::mount(step.source.c_str(), target, nullptr, MS_BIND | MS_REC, nullptr) != 0) error = errno;
      break;
    case Step::Kind::symlink:
      if (::symlink(step.source.c_str(), target) != 0) error = errno;
      break;
    case Step::Kind::proc:
      if (::mount("proc", target, "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, nullptr) != 0) error = errno;
      break;
    case Step::Kind::mask_file:
      if (::mount("/dev/null", target, nullptr, MS_BIND, nullptr) != 0) error = errno;
      break;
    case Step::Kind::pivot:
      if (::chdir(target) != 0 || ::syscall(SYS_pivot_root, ".", ".") != 0 || ::umount2(".", MNT_DETACH) != 0 ||
          ::chdir("/") != 0) {
        error = errno;
      }
      break;
    case Step::Kind::hostname:
      if (::sethostname(step.source.c_str(), step.source.size()) != 0) error = errno;
      break;
    }
    if (error != 0) return error;
  }
  return 0;
}

} // namespace sagerun::runner
