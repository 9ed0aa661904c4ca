#pragma once
// `sagerun server` assembled: the state dir (its lock, the SQLite store, the job folders), the
// scheduler, both APIs and the HTTP front. start() returns once the port listens and the stored
// jobs are reconciled; stop() ends serving and watching, leaving running jobs to their runners.
//   <state dir>/server.lock   held while a server uses the dir (one server per dir)
//   <state dir>/sagerun.db    the jobs (SQLite, WAL)
//   <state dir>/jobs/<name>/  each started job's folder (runner/state.hpp)

#include <filesystem>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "aws/credentials_types.hpp"
#include "job/request.hpp"
#include "server/launcher.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080; // 0: a free port
  std::filesystem::path state_dir;
  int max_instances = 1;
  std::vector<aws::Credentials> keys; // the access keys requests may be signed with
  std::string region = "us-east-1";
  std::string account = "000000000000";
  RunnerCommand runner;
  job::UriPolicy uri_policy = job::UriPolicy::sagemaker;
  int threads = 64; // HTTP worker threads (one per open connection)
  bool log = true;
};

class Server {
public:
  static Expected<std::unique_ptr<Server>> start(const ServerOptions& options);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  int port() const { return m_port; }
  std::string endpoint() const;
  void stop();

private:
  struct Parts;
  Server() = default;
  std::unique_ptr<Parts> m_parts;
  util::UniqueFd m_lock;
  std::thread m_thread;
  int m_port = 0;
  std::string m_host;
};

} // namespace sagerun::server
