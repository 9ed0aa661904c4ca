#include "server/http_front.hpp"

#include <openssl/rand.h>
#include <sys/resource.h>

#include <atomic>
#include <cstdio>
#include <thread>
#include <vector>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>

#include "server/cloudwatch_protocols.hpp"
#include "server/json_text.hpp"

namespace sagerun::server {
namespace {

namespace beast = boost::beast;
namespace http = beast::http;
namespace net = boost::asio;
using tcp = net::ip::tcp;

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

ApiError wrong_scope(std::string_view service) {
  return {403, "InvalidSignatureException",
          "Credential should be scoped to correct service: '" + std::string(service) + "'. "};
}

HttpAnswer error_answer(const ApiError& error) {
  HttpAnswer answer;
  answer.status = error.http_status;
  answer.error_type = error.type;
  answer.body = error_body(error);
  return answer;
}

// A connection that is never answered on may hold a file descriptor each: let the server hold as
// many as the hard limit allows.
void raise_descriptor_limit() {
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur < limit.rlim_max) {
    limit.rlim_cur = limit.rlim_max;
    ::setrlimit(RLIMIT_NOFILE, &limit);
  }
}

using RequestParser = http::request_parser<http::string_body>;

void configure(RequestParser& parser, const HttpLimits& limits) {
  parser.header_limit(static_cast<uint32_t>(limits.header_bytes));
  parser.body_limit(limits.body_bytes);
}

IncomingRequest to_incoming(const http::request<http::string_body>& request) {
  IncomingRequest incoming;
  incoming.method = std::string(request.method_string());
  incoming.target = std::string(request.target());
  for (const auto& field : request)
    incoming.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  incoming.body = request.body();
  return incoming;
}

HttpAnswer refusal(int status, const std::string& why) {
  const std::string type = status == 413 ? "RequestEntityTooLarge" : "BadRequest";
  return error_answer({status, type, "sagerun server: " + why});
}

// The answer to a request the parser refused (a Content-Length over the limit is refused from
// the headers alone; a chunked body as its bytes arrive).
HttpAnswer refusal_for(const beast::error_code& error, const HttpLimits& limits) {
  if (error == http::error::body_limit)
    return refusal(413, "the request body is over " + std::to_string(limits.body_bytes >> 20) + " MiB");
  if (error == http::error::header_limit)
    return refusal(431, "the request's headers are over " + std::to_string(limits.header_bytes >> 10) + " KiB");
  return refusal(400, "the request is not HTTP/1.1 that can be read (" + error.message() + ")");
}

// The client went away (or the server is stopping): there is nobody to answer.
bool hung_up(const beast::error_code& error) {
  return error == http::error::end_of_stream || error == net::error::eof || error == net::error::connection_reset ||
         error == net::error::operation_aborted;
}

} // namespace

HttpAnswer answer_bytes(const ApiDispatch& dispatch, std::string_view bytes, const HttpLimits& limits) {
  RequestParser parser;
  configure(parser, limits);
  parser.eager(true);
  beast::error_code error;
  size_t used = 0;
  while (!error && !parser.is_done() && used < bytes.size())
    used += parser.put(net::buffer(bytes.data() + used, bytes.size() - used), error);
  if (error) return refusal_for(error, limits);
  if (!parser.is_done()) return refusal(400, "the request is not HTTP/1.1 that can be read (it is incomplete)");
  return dispatch.answer(to_incoming(parser.get()));
}

HttpAnswer ApiDispatch::answer(const IncomingRequest& request) const {
  try {
    return dispatch(request);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sagerun: server: internal error answering a request: %s\n", e.what());
  } catch (...) {
    std::fprintf(stderr, "sagerun: server: internal error answering a request\n");
  }
  return error_answer({500, "InternalFailure", "sagerun server: internal error; the server's log says more"});
}

bool is_page_request(const IncomingRequest& request) {
  if (aws::find_header(request.headers, "X-Amz-Target") || aws::find_header(request.headers, "Authorization"))
    return false;
  if (request.method == "GET") return true;
  return request.method == "POST" && request.target.starts_with("/api/");
}

HttpAnswer ApiDispatch::dispatch(const IncomingRequest& request) const {
  if (m_pages && is_page_request(request)) return m_pages->answer(request);
  const std::string target = aws::find_header(request.headers, "X-Amz-Target").value_or("");
  std::string_view operation = target;
  if (operation.starts_with(k_cloudwatch_target_prefix)) {
    operation.remove_prefix(k_cloudwatch_target_prefix.size());
    return cloudwatch_json(request, operation);
  }
  if (target.empty() &&
      is_query_call(request.method, request.target, aws::find_header(request.headers, "Content-Type").value_or(""))) {
    return cloudwatch_query(request);
  }
  auto caller = m_verifier.verify(request, std::chrono::system_clock::now());
  if (!caller) return error_answer(caller.error());

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
    return error_answer({400, "UnknownOperationException",
                         "sagerun server does not serve '" + target + "' (" + request.method +
                             "); it serves SageMaker Create/Describe/List/StopTrainingJob, CloudWatch Logs "
                             "DescribeLogStreams, GetLogEvents, FilterLogEvents and CloudWatch ListMetrics, "
                             "GetMetricStatistics, GetMetricData (JSON 1.0, or the query protocol's form)"});
  }
  if (caller->service != service) return error_answer(wrong_scope(service));
  const auto body =
      request.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) return error_answer({400, "SerializationException", "The request body is not a JSON object"});
  auto result = service == "sagemaker" ? m_sagemaker.call(operation, body) : m_logs.call(operation, body);
  if (!result) return error_answer(result.error());
  HttpAnswer answer;
  answer.body = std::move(*result);
  return answer;
}

HttpAnswer ApiDispatch::cloudwatch_json(const IncomingRequest& request, std::string_view operation) const {
  auto caller = m_verifier.verify(request, std::chrono::system_clock::now());
  if (!caller) return json10_error(caller.error(), ErrorSource::front);
  if (request.method != "POST" || !CloudWatchApi::serves(operation)) {
    return json10_error({400, "UnknownOperationException",
                         "sagerun server does not serve CloudWatch's '" + std::string(operation) + "' (" +
                             request.method + "); it serves POST ListMetrics, GetMetricStatistics, GetMetricData"},
                        ErrorSource::front);
  }
  if (caller->service != "monitoring") return json10_error(wrong_scope("monitoring"), ErrorSource::front);
  const auto body =
      request.body.empty() ? nlohmann::json::object() : nlohmann::json::parse(request.body, nullptr, false);
  if (!body.is_object()) {
    return json10_error({400, "SerializationException", "The request body is not a JSON object"}, ErrorSource::front);
  }
  auto result = m_cloudwatch.call(operation, body);
  if (!result) return json10_error(result.error(), ErrorSource::operation);
  return json10_result(*result);
}

HttpAnswer ApiDispatch::cloudwatch_query(const IncomingRequest& request) const {
  const std::string id = request_id();
  auto caller = m_verifier.verify(request, std::chrono::system_clock::now());
  if (!caller) return query_error_answer(caller.error(), id);
  auto form = query_call_form(request.method, request.target, request.body);
  if (!form) return query_error_answer(form.error(), id);
  const std::string* action = form_value(*form, "Action");
  if (action == nullptr) {
    return query_error_answer({400, "MissingAction", "The request must contain the parameter Action."}, id);
  }
  if (!CloudWatchApi::serves(*action)) {
    return query_error_answer({400, "InvalidAction",
                               "The action " + *action +
                                   " is not valid for this web service: sagerun server answers the query protocol "
                                   "for CloudWatch's ListMetrics, GetMetricStatistics and GetMetricData"},
                              id);
  }
  const std::string* version = form_value(*form, "Version");
  if (version != nullptr && *version != k_cloudwatch_version) {
    return query_error_answer({400, "InvalidParameterValue",
                               "The parameter Version is '" + *version + "'; CloudWatch's API is version " +
                                   std::string(k_cloudwatch_version)},
                              id);
  }
  if (caller->service != "monitoring") return query_error_answer(wrong_scope("monitoring"), id);
  auto body = form_to_json(*form, k_cloudwatch_form_shape);
  if (!body) return query_error_answer(body.error(), id);
  auto result = m_cloudwatch.call(*action, *body);
  if (!result) return query_error_answer(result.error(), id);
  return query_result(*action, *result, id);
}

namespace {

// One connection: read a request (idle wait, header deadline, body gaps), answer it, again.
class Connection : public std::enable_shared_from_this<Connection> {
public:
  Connection(tcp::socket socket, const ApiDispatch& dispatch, const HttpLimits& limits)
      : m_stream(std::move(socket)), m_dispatch(dispatch), m_limits(limits) {}

  void start() { wait_for_request(); }

private:
  // Between requests only a byte is awaited (an idle connection); its header deadline starts then.
  void wait_for_request() {
    if (m_buffer.size() > 0) return read_header();
    m_stream.expires_after(m_limits.idle);
    m_stream.async_read_some(m_buffer.prepare(4096),
                             [self = shared_from_this()](beast::error_code error, size_t bytes) {
                               if (error) return self->close();
                               self->m_buffer.commit(bytes);
                               self->read_header();
                             });
  }

  void read_header() {
    m_parser.emplace();
    configure(*m_parser, m_limits);
    m_stream.expires_after(m_limits.header_time);
    http::async_read_header(m_stream, m_buffer, *m_parser,
                            [self = shared_from_this()](beast::error_code error, size_t) {
                              if (!self->ended(error)) self->after_header();
                            });
  }

  // After a read: false when it went well; else the connection is refused (what was sent cannot
  // be trusted to frame the next request) or, past a deadline or with the client gone, closed.
  bool ended(const beast::error_code& error) {
    if (!error) return false;
    if (error == beast::error::timeout || hung_up(error)) {
      close();
    } else {
      respond(refusal_for(error, m_limits), false);
    }
    return true;
  }

  void after_header() {
    const auto& request = m_parser->get();
    if (beast::iequals(request[http::field::expect], "100-continue") && !m_parser->is_done()) {
      auto proceed = std::make_shared<http::response<http::empty_body>>(http::status::continue_, request.version());
      m_stream.expires_after(m_limits.write_time);
      http::async_write(m_stream, *proceed, [self = shared_from_this(), proceed](beast::error_code error, size_t) {
        if (error) return self->close();
        self->read_body();
      });
      return;
    }
    read_body();
  }

  void read_body() {
    if (m_parser->is_done()) return answer();
    m_stream.expires_after(m_limits.body_gap); // renewed for every read: the body must keep coming
    http::async_read_some(m_stream, m_buffer, *m_parser, [self = shared_from_this()](beast::error_code error, size_t) {
      if (!self->ended(error)) self->read_body();
    });
  }

  void answer() {
    const auto& request = m_parser->get();
    respond(m_dispatch.answer(to_incoming(request)), request.keep_alive());
  }

  void respond(HttpAnswer answer, bool keep_alive) {
    m_response = {};
    m_response.version(11);
    m_response.result(static_cast<unsigned>(answer.status));
    m_response.set(http::field::content_type, answer.content_type.empty() ? k_content_type : answer.content_type);
    if (!aws::find_header(answer.headers, "x-amzn-RequestId")) m_response.set("x-amzn-RequestId", request_id());
    if (!answer.error_type.empty()) m_response.set("x-amzn-ErrorType", answer.error_type);
    for (const auto& [name, value] : answer.headers)
      m_response.insert(name, value);
    m_response.keep_alive(keep_alive);
    m_response.body() = std::move(answer.body);
    m_response.prepare_payload();
    m_stream.expires_after(m_limits.write_time);
    http::async_write(m_stream, m_response, [self = shared_from_this(), keep_alive](beast::error_code error, size_t) {
      if (error || !keep_alive) return self->close();
      self->m_parser.reset();
      self->wait_for_request();
    });
  }

  void close() {
    beast::error_code ignored;
    const auto shut = m_stream.socket().shutdown(tcp::socket::shutdown_both, ignored); // already gone: fine
    static_cast<void>(shut);
    m_stream.close();
  }

  beast::tcp_stream m_stream;
  const ApiDispatch& m_dispatch;
  const HttpLimits& m_limits;
  beast::flat_buffer m_buffer;
  std::optional<RequestParser> m_parser;
  http::response<http::string_body> m_response;
};

} // namespace

struct HttpFront::State {
  State(const ApiDispatch& dispatch_, int threads_, HttpLimits limits_)
      : dispatch(dispatch_), threads(std::max(threads_, 1)), limits(limits_), io(threads), acceptor(io), retry(io) {}

  void accept() {
    acceptor.async_accept(net::make_strand(io), [this](beast::error_code error, tcp::socket socket) {
      if (error == net::error::operation_aborted || !acceptor.is_open()) return;
      if (error) {
        // Out of descriptors (or another passing failure): wait, rather than spin on it.
        retry.expires_after(std::chrono::milliseconds(50));
        retry.async_wait([this](beast::error_code) { accept(); });
        return;
      }
      beast::error_code ignored;
      // Headers and body in one write, but no Nagle delay behind a client's delayed ACK either.
      const auto nodelay = socket.set_option(tcp::no_delay(true), ignored);
      static_cast<void>(nodelay);
      std::make_shared<Connection>(std::move(socket), dispatch, limits)->start();
      accept();
    });
  }

  const ApiDispatch& dispatch;
  const int threads;
  const HttpLimits limits;
  net::io_context io;
  tcp::acceptor acceptor;
  net::steady_timer retry;
  std::atomic<bool> serving{false};
};

HttpFront::HttpFront(const ApiDispatch& dispatch, int threads, HttpLimits limits)
    : m_state(std::make_unique<State>(dispatch, threads, limits)) {}

HttpFront::~HttpFront() { stop(); }

Expected<int> HttpFront::bind(const std::string& host, int port) {
  beast::error_code error;
  const auto address = net::ip::make_address(host, error);
  const auto fail = [&](const std::string& why) {
    return util::fail(util::ErrorKind::io, "cannot listen on " + host + ":" + std::to_string(port) + " (" + why + ")");
  };
  if (error) return fail("not an IP address: give one such as 127.0.0.1 or 0.0.0.0");
  auto& acceptor = m_state->acceptor;
  const tcp::endpoint endpoint(address, static_cast<unsigned short>(port));
  const bool failed =
      acceptor.open(endpoint.protocol(), error) || acceptor.set_option(net::socket_base::reuse_address(true), error) ||
      acceptor.bind(endpoint, error) || acceptor.listen(net::socket_base::max_listen_connections, error);
  if (failed) {
    beast::error_code ignored;
    const auto closed = acceptor.close(ignored);
    static_cast<void>(closed);
    return fail(error == net::error::address_in_use ? "in use" : error.message());
  }
  raise_descriptor_limit();
  return static_cast<int>(acceptor.local_endpoint().port());
}

void HttpFront::listen() {
  auto& state = *m_state;
  state.accept();
  std::vector<std::thread> helpers;
  for (int i = 1; i < state.threads; ++i)
    helpers.emplace_back([&state] { state.io.run(); });
  state.serving = true;
  state.io.run();
  state.serving = false;
  for (auto& helper : helpers)
    helper.join();
}

void HttpFront::stop() {
  if (!m_state) return;
  m_state->io.stop();
}

bool HttpFront::running() const { return m_state->serving; }

} // namespace sagerun::server
