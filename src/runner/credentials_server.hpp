#pragma once
// The container-credentials endpoint SageMaker gives a training container, served on the host:
// GET <path> with `Authorization: <token>` returns the job's credentials as ECS/SageMaker do
// ({"AccessKeyId", "SecretAccessKey", "Token", "Expiration", "RoleArn"}). Containers get
// AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN, never the keys.
// Binds 127.0.0.1 on a free port; the path and token are random per job.

#include <memory>
#include <string>
#include <thread>

#include "aws/credentials.hpp"
#include "util/environment.hpp"
#include "util/error.hpp"

namespace httplib {
class Server;
}

namespace sagerun::runner {

class CredentialsServer {
public:
  // `provider` is asked on every request, so refreshed credentials reach the container.
  static Expected<std::unique_ptr<CredentialsServer>> start(aws::CredentialsProvider& provider,
                                                            const std::string& bind_address = "127.0.0.1");
  ~CredentialsServer();
  CredentialsServer(const CredentialsServer&) = delete;
  CredentialsServer& operator=(const CredentialsServer&) = delete;

  // AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN for a container.
  util::EnvMap container_environment() const;
  int port() const { return m_port; }

private:
  CredentialsServer() = default;
  std::unique_ptr<httplib::Server> m_server;
  std::thread m_thread;
  int m_port = 0;
  std::string m_path;
  std::string m_token;
  std::string m_host; // for the URI: the bind address, loopback when bound to any
};

} // namespace sagerun::runner
