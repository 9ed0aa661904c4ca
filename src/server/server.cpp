#include "server/server.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "server/http_front.hpp"
#include "server/job_table.hpp"
#include "server/logs_api.hpp"
#include "server/sagemaker_api.hpp"
#include "server/scheduler.hpp"
#include "util/files.hpp"

namespace sagerun::server {

struct Server::Parts {
  Parts(Store store, const ServerOptions& options)
      : table(std::move(store)), launcher(make_process_launcher(options.runner)), verifier(options.keys),
        scheduler(table, *launcher,
                  SchedulerOptions{.state_dir = options.state_dir,
                                   .max_instances = options.max_instances,
                                   .region = options.region,
                                   .account = options.account,
                                   .log = options.log}),
        sagemaker(
            table, scheduler,
            SageMakerOptions{.uri_policy = options.uri_policy, .needs_image = options.runner.runtime == "docker"}),
        logs(table, LogsOptions{options.state_dir, options.region, options.account}),
        front(verifier, sagemaker, logs, options.threads) {}

  JobTable table;
  std::unique_ptr<Launcher> launcher;
  Verifier verifier;
  Scheduler scheduler;
  SageMakerApi sagemaker;
  LogsApi logs;
  HttpFront front;
};

namespace {

// One server per state dir: two would both run the queued jobs.
Expected<util::UniqueFd> lock_state_dir(const std::filesystem::path& dir) {
  const auto file = dir / "server.lock";
  util::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + file.string(), errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    auto holder = util::read_file(file);
    std::string pid = holder ? *holder : "";
    while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' '))
      pid.pop_back();
    return util::fail(util::ErrorKind::invalid_input,
                      "another sagerun server" + (pid.empty() ? "" : " (pid " + pid + ")") + " uses the state dir " +
                          dir.string() + "; stop it or give another --state-dir");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) (void)::pwrite(fd.get(), pid.data(), pid.size(), 0);
  return fd;
}

} // namespace

Expected<std::unique_ptr<Server>> Server::start(const ServerOptions& options) {
  if (auto made = util::make_directories(options.state_dir / "jobs"); !made) return std::unexpected(made.error());
  std::unique_ptr<Server> server(new Server());
  auto lock = lock_state_dir(options.state_dir);
  if (!lock) return std::unexpected(lock.error());
  server->m_lock = std::move(*lock);
  auto store = Store::open(options.state_dir / "sagerun.db");
  if (!store) return std::unexpected(store.error());
  server->m_parts = std::make_unique<Parts>(std::move(*store), options);
  auto& parts = *server->m_parts;
  auto records = parts.table.load();
  if (!records) return std::unexpected(records.error());
  auto port = parts.front.bind(options.host, options.port);
  if (!port) return std::unexpected(port.error());
  server->m_port = *port;
  server->m_host = options.host;
  parts.scheduler.start(*records);

  // stop() does nothing until the listen loop runs: wait for it, so a stop right after start ends it.
  auto ended = std::make_shared<std::atomic<bool>>(false);
  server->m_thread = std::thread([&front = parts.front, ended] {
    front.listen();
    *ended = true;
  });
  while (!parts.front.running() && !*ended)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  if (*ended) {
    server->m_thread.join();
    return util::fail(util::ErrorKind::io, "the HTTP server stopped as it started");
  }
  return server;
}

std::string Server::endpoint() const {
  const bool ipv6 = m_host.find(':') != std::string::npos;
  const std::string host = m_host == "0.0.0.0" ? "127.0.0.1" : (m_host == "::" ? "::1" : m_host);
  return "http://" + (ipv6 ? "[" + host + "]" : host) + ":" + std::to_string(m_port);
}

void Server::stop() {
  if (!m_parts) return;
  m_parts->front.stop();
  if (m_thread.joinable()) m_thread.join();
  m_parts->scheduler.stop();
}

Server::~Server() {
  stop();
  m_parts.reset();
}

} // namespace sagerun::server
