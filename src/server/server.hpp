#pragma once
// `sagerun server` assembled: the store (the one `sagerun local` uses too: store/store.hpp) with
// the server's lock on it, the jobs service, the scheduler, the APIs (SageMaker, CloudWatch Logs,
// CloudWatch metrics), the dashboard and the HTTP front. start() returns once the port listens
// and the store's jobs are taken over; stop() ends serving and watching, leaving running jobs to
// their runners. One server per store
// (<store>/server.lock): two would both run the waiting jobs.

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aws/credentials_types.hpp"
#include "job/request.hpp"
#include "runner/host_resources.hpp"
#include "server/http_front.hpp"
#include "server/launcher.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080; // 0: a free port
  std::filesystem::path store_root;
  int max_instances = 1;
  runner::MachineResources machine;   // what the scheduler shares between jobs
  std::vector<aws::Credentials> keys; // the access keys requests may be signed with
  std::string region = "us-east-1";
  std::string account = "000000000000";
  RunnerCommand runner;
  util::EnvMap env; // the server's environment: its runners' settings, its S3 access for clean-up
  job::UriPolicy uri_policy = job::UriPolicy::sagemaker;
  int threads = 4; // threads answering requests (connections cost none while they wait)
  HttpLimits http; // deadlines and sizes per connection
  bool log = true;
  std::string dashboard_token; // the dashboard's access token; empty: no dashboard
};

class Server {
public:
  static Expected<std::unique_ptr<Server>> start(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return m_port; }
  std::string endpoint() const;
  // The dashboard's address with its access token, to open once; empty when it is off.
  std::string dashboard_url() const;
  // Stops serving (at once, whatever the clients hold: open connections are closed) and watching.
  void stop();

private:
  struct Parts;
  Server() = default;
  std::unique_ptr<Parts> m_parts;
  util::UniqueFd m_lock;
  std::thread m_thread;
  int m_port = 0;
  std::string m_host;
  std::string m_dashboard_token;
};

} // namespace sagerun::server
