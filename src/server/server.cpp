#include "server/server.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "dashboard/dashboard.hpp"
#include "jobs/local_jobs.hpp"
#include "jobs/s3_aborter.hpp"
#include "server/cloudwatch_api.hpp"
#include "server/http_front.hpp"
#include "server/logs_api.hpp"
#include "server/sagemaker_api.hpp"
#include "server/scheduler.hpp"
#include "store/store.hpp"
#include "util/files.hpp"
#include "util/text.hpp"

namespace sagerun::server {

struct Server::Parts {
  Parts(std::unique_ptr<store::Store> opened, const ServerOptions& options)
      : store(std::move(opened)),
        aborter(options.env, options.region,
                options.runner.profile.empty() ? std::nullopt : std::optional(options.runner.profile)),
        jobs(*store, &aborter), launcher(make_process_launcher(options.runner)), verifier(options.keys),
        scheduler(jobs, *launcher,
                  SchedulerOptions{.max_instances = options.max_instances,
                                   .machine = options.machine,
                                   .region = options.region,
                                   .account = options.account,
                                   .log = options.log}),
        sagemaker(jobs, scheduler,
                  SageMakerOptions{.uri_policy = options.uri_policy,
                                   .needs_image = options.runner.runtime == "docker",
                                   .runner_env = options.env}),
        logs(*store, LogsOptions{options.region, options.account}), cloudwatch(*store),
        dashboard(jobs, sagemaker, logs, options.dashboard_token),
        dispatch(verifier, sagemaker, logs, cloudwatch, options.dashboard_token.empty() ? nullptr : &dashboard),
        front(dispatch, options.threads, options.http) {}

  std::unique_ptr<store::Store> store;
  jobs::S3UploadAborter aborter;
  jobs::LocalJobs jobs;
  std::unique_ptr<Launcher> launcher;
  Verifier verifier;
  Scheduler scheduler;
  SageMakerApi sagemaker;
  LogsApi logs;
  CloudWatchApi cloudwatch;
  dashboard::Dashboard dashboard;
  ApiDispatch dispatch;
  HttpFront front;
};

namespace {

// One server per store: two would both run the waiting jobs.
Expected<util::UniqueFd> lock_store(const std::filesystem::path& file) {
  util::UniqueFd fd(::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + file.string(), errno));
  if (::flock(fd.get(), LOCK_EX | LOCK_NB) != 0) {
    auto holder = util::read_file(file);
    const std::string pid(holder ? util::trim(*holder) : "");
    return util::fail(util::ErrorKind::invalid_input,
                      "another sagerun server" + (pid.empty() ? "" : " (pid " + pid + ")") + " uses the store " +
                          file.parent_path().string() + "; stop it, or give another --state-dir (or SAGERUN_HOME)");
  }
  const std::string pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd.get(), 0) == 0) (void)::pwrite(fd.get(), pid.data(), pid.size(), 0);
  return fd;
}

} // namespace

Expected<std::unique_ptr<Server>> Server::start(const ServerOptions& options) {
  std::unique_ptr<Server> server(new Server());
  if (auto made = util::make_directories(options.store_root); !made) return std::unexpected(made.error());
  auto lock = lock_store(options.store_root / "server.lock");
  if (!lock) return std::unexpected(lock.error());
  server->m_lock = std::move(*lock);
  auto store = store::Store::open(options.store_root);
  if (!store) return std::unexpected(store.error());
  server->m_parts = std::make_unique<Parts>(std::move(*store), options);
  auto& parts = *server->m_parts;
  auto port = parts.front.bind(options.host, options.port);
  if (!port) return std::unexpected(port.error());
  server->m_port = *port;
  server->m_host = options.host;
  server->m_dashboard_token = options.dashboard_token;
  parts.dashboard.set_port(*port);
  parts.scheduler.start();

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

std::string Server::dashboard_url() const {
  return m_dashboard_token.empty() ? std::string() : endpoint() + "/?token=" + m_dashboard_token;
}

void Server::stop() {
  if (!m_parts) return;
  m_parts->scheduler.stop();
  // Connections cost no thread: the front stops once the requests being answered are.
  m_parts->front.stop();
  if (m_thread.joinable()) m_thread.join();
  m_parts.reset();
}

Server::~Server() { stop(); }

} // namespace sagerun::server
