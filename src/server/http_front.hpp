#pragma once
// The HTTP side of the server: one port for every service, told apart by X-Amz-Target
// ("SageMaker.<Operation>", "Logs_20140328.<Operation>", "GraniteServiceVersion20100801.<Operation>")
// or, without one, by a query-protocol form (Action=…, CloudWatch's other protocol). Every request
// is SigV4-verified first; the credential scope's service must be the operation's ("sagemaker",
// "logs" or "monitoring"). Answers are in the request's protocol: JSON 1.1
// (application/x-amz-json-1.1) for SageMaker and CloudWatch Logs, JSON 1.0 or query XML for
// CloudWatch (cloudwatch_protocols.hpp), each with an x-amzn-RequestId.
//
// No client can stall it (Boost.Beast over Asio, event-driven: a connection costs a socket and
// its buffer, never a thread while it waits):
//   - request headers must be complete within 10 s of their first byte (else 408, closed), and
//     within 64 KiB (431);
//   - a body must keep arriving: 10 s without a byte closes the connection; a body over 16 MiB is
//     refused (413) when its 16 MiB + 1st byte arrives, chunked or not;
//   - an idle keep-alive connection is closed after 60 s (`--idle-timeout`); a response must be
//     taken within 30 s;
//   - the listen backlog is the system's maximum (SOMAXCONN).
// Requests are answered on `threads` threads, in the order each connection sends them.

#include <chrono>
#include <memory>
#include <string>

#include "server/auth.hpp"
#include "server/cloudwatch_api.hpp"
#include "server/http_answer.hpp"
#include "server/logs_api.hpp"
#include "server/sagemaker_api.hpp"
#include "util/error.hpp"

namespace sagerun::server {

struct HttpLimits {
  std::chrono::milliseconds header_time{std::chrono::seconds(10)}; // from the request's first byte
  std::chrono::milliseconds body_gap{std::chrono::seconds(10)};    // longest wait for a body byte
  std::chrono::milliseconds idle{std::chrono::seconds(60)};        // between requests
  std::chrono::milliseconds write_time{std::chrono::seconds(30)};  // for a response to be taken
  size_t header_bytes = 64 * 1024;
  size_t body_bytes = 16 * 1024 * 1024;
};

// What answers the requests that are not API calls (a browser's: the dashboard). It takes a
// request that names no operation (no X-Amz-Target) and carries no signature: a GET, or
// a POST under /api/. Everything else is an API call, checked and refused as one.
class PageHandler {
public:
  virtual ~PageHandler() = default;
  virtual HttpAnswer answer(const IncomingRequest& request) const = 0;
};

// Whether `request` is a browser's (PageHandler's) rather than an API call.
bool is_page_request(const IncomingRequest& request);

class ApiDispatch {
public:
  ApiDispatch(const Verifier& verifier, SageMakerApi& sagemaker, LogsApi& logs, CloudWatchApi& cloudwatch,
              const PageHandler* pages = nullptr)
      : m_verifier(verifier), m_sagemaker(sagemaker), m_logs(logs), m_cloudwatch(cloudwatch), m_pages(pages) {}
  // Never throws: an unexpected error is a 500 InternalFailure (its text to stderr, not the client).
  HttpAnswer answer(const IncomingRequest& request) const;

private:
  HttpAnswer dispatch(const IncomingRequest& request) const;
  HttpAnswer cloudwatch_json(const IncomingRequest& request, std::string_view operation) const;
  HttpAnswer cloudwatch_query(const IncomingRequest& request) const;

  const Verifier& m_verifier;
  SageMakerApi& m_sagemaker;
  LogsApi& m_logs;
  CloudWatchApi& m_cloudwatch;
  const PageHandler* m_pages;
};

// One request read from `bytes` as a connection reads it (the same parser and limits) and
// answered: for the fuzzer, which has no sockets. An incomplete request is answered 400.
HttpAnswer answer_bytes(const ApiDispatch& dispatch, std::string_view bytes, const HttpLimits& limits = {});

class HttpFront {
public:
  HttpFront(const ApiDispatch& dispatch, int threads, HttpLimits limits = {});
  ~HttpFront();
  HttpFront(const HttpFront&) = delete;
  HttpFront& operator=(const HttpFront&) = delete;

  // Binds host:port (port 0: a free one) and returns the port.
  Expected<int> bind(const std::string& host, int port);
  // Serves until stop(); blocks.
  void listen();
  // Ends serving at once: open connections are closed, requests being answered finish first.
  void stop();
  bool running() const;

private:
  struct State;
  std::unique_ptr<State> m_state;
};

} // namespace sagerun::server
