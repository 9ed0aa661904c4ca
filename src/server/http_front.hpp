#pragma once
// The HTTP side of the server: one port for both services, told apart by X-Amz-Target
// ("SageMaker.<Operation>", "Logs_20140328.<Operation>"). Every request is SigV4-verified
// first; the credential scope's service must be the target's ("sagemaker" or "logs").
// Responses are JSON 1.1 (application/x-amz-json-1.1) with an x-amzn-RequestId.

#include <memory>
#include <string>

#include "server/auth.hpp"
#include "server/logs_api.hpp"
#include "server/sagemaker_api.hpp"
#include "util/error.hpp"

namespace httplib {
class Server;
struct Request;
struct Response;
} // namespace httplib

namespace sagerun::server {

class HttpFront {
public:
  HttpFront(const Verifier& verifier, SageMakerApi& sagemaker, LogsApi& logs, int threads);
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds host:port (port 0: a free one) and returns the port.
  Expected<int> bind(const std::string& host, int port);
  // Serves until stop(); blocks.
  void listen();
  void stop();
  bool running() const;

private:
  void handle(const httplib::Request& request, httplib::Response& response);

  const Verifier& m_verifier;
  SageMakerApi& m_sagemaker;
  LogsApi& m_logs;
  std::unique_ptr<httplib::Server> m_http;
};

} // namespace sagerun::server
