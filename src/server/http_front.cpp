#include "server/http_front.hpp"

#include <openssl/rand.h>

#include <atomic>
#include <cstdio>

#include <httplib.h>

#include "server/json_text.hpp"

namespace sagerun::server {
namespace {

constexpr const char* k_content_type = "application/x-amz-json-1.1";
constexpr std::string_view k_sagemaker_prefix = "SageMaker.";
constexpr std::string_view k_logs_prefix = "Logs_20140328.";

// UUID-shaped request ids: a random prefix per process and a counter.
std::string request_id() {
  static const uint64_t prefix = [] {
    uint64_t value = 0;
    if (RAND_bytes(reinterpret_cast<unsigned char*>(&value), sizeof value) != 1) value = 0x5a6e72756e;
    return value;
  }();
  static std::atomic<uint64_t> counter{0};
  const uint64_t n = counter.fetch_add(1, std::memory_order_relaxed);
  char text[40];
  std::snprintf(text, sizeof text, "%08x-%04x-4%03x-8%03x-%012llx", static_cast<unsigned>(prefix >> 32),
                static_cast<unsigned>((prefix >> 16) & 0xffff), static_cast<unsigned>(prefix & 0xfff),
                static_cast<unsigned>((n >> 48) & 0xfff), static_cast<unsigned long long>(n & 0xffffffffffffULL));
  return text;
}

void reply(httplib::Response& response, int status, const std::string& body) {
  response.status = status;
  response.set_header("x-amzn-RequestId", request_id());
  response.set_content(body, k_content_type);
}

void reply_error(httplib::Response& response, const ApiError& error) {
  response.set_header("x-amzn-ErrorType", error.type);
  reply(response, error.http_status, error_body(error));
}

} // namespace

HttpFront::HttpFront(const Verifier& verifier, SageMakerApi& sagemaker, LogsApi& logs, int threads)
    : m_verifier(verifier), m_sagemaker(sagemaker), m_logs(logs), m_http(std::make_unique<httplib::Server>()) {
  const auto pool = static_cast<size_t>(std::max(threads, 1));
  m_http->new_task_queue = [pool] { return new httplib::ThreadPool(pool); };
  // Clients (the CLI, boto3, load generators) keep their connections: do not close them every
  // few requests.
  m_http->set_keep_alive_max_count(1000000);
  // Headers and body go out in separate writes: without TCP_NODELAY, Nagle's algorithm and the
  // client's delayed ACK hold every response back ~40 ms.
  m_http->set_tcp_nodelay(true);
  m_http->set_keep_alive_timeout(30);
  m_http->set_payload_max_length(16 * 1024 * 1024);
  auto handler = [this](const httplib::Request& request, httplib::Response& response) { handle(request, response); };
  m_http->Post(".*", handler);
  m_http->Get(".*", handler);
  m_http->Put(".*", handler);
  m_http->Delete(".*", handler);
  m_http->Patch(".*", handler);
  m_http->set_exception_handler(
      [](const httplib::Request&, httplib::Response& response, const std::exception_ptr& error) {
        std::string what = "unexpected error";
        try {
          if (error) std::rethrow_exception(error);
        } catch (const std::exception& e) {
          what = e.what();
        } catch (...) {
          what = "unexpected error (not a std::exception)";
        }
        reply_error(response, {500, "InternalFailure", "sagerun server: " + what});
      });
}

HttpFront::~HttpFront() { stop(); }

Expected<int> HttpFront::bind(const std::string& host, int port) {
  const int bound = port == 0 ? m_http->bind_to_any_port(host) : (m_http->bind_to_port(host, port) ? port : -1);
  if (bound <= 0) {
    return util::fail(util::ErrorKind::io, "cannot listen on " + host + ":" + std::to_string(port) +
                                               " (in use, or not an address of this machine)");
  }
  return bound;
}

void HttpFront::listen() { m_http->listen_after_bind(); }

void HttpFront::stop() {
  if (m_http) m_http->stop();
}

bool HttpFront::running() const { return m_http->is_running(); }

void HttpFront::handle(const httplib::Request& request, httplib::Response& response) {
  IncomingRequest incoming;
  incoming.method = request.method;
  incoming.target = request.target.empty() ? request.path : request.target;
  incoming.headers.reserve(request.headers.size());
  for (const auto& [name, value] : request.headers)
    incoming.headers.emplace_back(name, value);
  incoming.body = request.body;
  auto caller = m_verifier.verify(incoming, std::chrono::system_clock::now());
  if (!caller) return reply_error(response, caller.error());

  const std::string target = request.get_header_value("X-Amz-Target");
  std::string_view operation = target;
  std::string_view service;
  if (operation.starts_with(k_sagemaker_prefix)) {
    operation.remove_prefix(k_sagemaker_prefix.size());
    service = "sagemaker";
  } else if (operation.starts_with(k_logs_prefix)) {
    operation.remove_prefix(k_logs_prefix.size());
    service = "logs";
  }
  const bool served = request.method == "POST" && ((service == "sagemaker" && SageMakerApi::serves(operation)) ||
                                                   (service == "logs" && LogsApi::serves(operation)));
  if (!served) {
    return reply_error(response, {400, "UnknownOperationException",
                                  "sagerun server does not serve '" + target + "' (" + request.method +
                                      "); it serves SageMaker Create/Describe/List/StopTrainingJob and CloudWatch "
                                      "Logs DescribeLogStreams, GetLogEvents, FilterLogEvents"});
  }
  if (caller->service != service) {
    return reply_error(response, {403, "InvalidSignatureException",
                                  "Credential should be scoped to correct service: '" + std::string(service) + "'. "});
  }
  const auto body =
      request.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) {
    return reply_error(response, {400, "SerializationException", "The request body is not a JSON object"});
  }
  auto result = service == "sagemaker" ? m_sagemaker.call(operation, body) : m_logs.call(operation, body);
  if (!result) return reply_error(response, result.error());
  reply(response, 200, *result);
}

} // namespace sagerun::server
