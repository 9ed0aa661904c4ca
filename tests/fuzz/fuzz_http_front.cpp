// libFuzzer target: the API server's front as a client reaches it — HTTP/1.1 parsing with the
// server's limits (headers, chunked bodies), SigV4 verification and operation dispatch over a
// real store, and the dashboard's pages. The first byte picks how the rest is used:
//   bits 00: raw bytes, parsed as one request (nearly all stop at the parser or at the signature);
//   bits 10: a dashboard request with its cookie (GET, or a POST from its own origin), the rest
//         its target, so its routes, query values and job names are reached;
//   odd:  a signed request: the next byte picks the operation, the rest is its JSON body (or, for
//         CloudWatch's query protocol, its form), so the operations' parameter checks, the form
//         parser and tokens are reached with whatever the fuzzer makes.
// Whatever comes in, the answer is an HTTP status with a body (a redirect's may be empty), never
// a crash or a 500.
#include <unistd.h>

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "aws/crypto.hpp"
#include "aws/sigv4.hpp"
#include "dashboard/dashboard.hpp"
#include "jobs/local_jobs.hpp"
#include "server/http_front.hpp"
#include "server/scheduler.hpp"
#include "store/store.hpp"

namespace {

using namespace sagerun;

// Nothing is started: created jobs wait in the store, as with a full server.
class IdleLauncher : public server::Launcher {
public:
  Expected<pid_t> start(const store::Store&, const std::string&, const store::JobLock&) override {
    return util::fail(util::ErrorKind::unsupported, "the fuzzer starts no runners");
  }
  std::optional<Ended> reap(pid_t) override { return std::nullopt; }
};

const aws::Credentials k_key{"AKIDFUZZ", "fuzz-secret", ""};
constexpr const char* k_token = "fuzz-dashboard-token";

struct Front {
  Front()
      : root(std::filesystem::temp_directory_path() / ("sagerun-fuzz-front-" + std::to_string(::getpid()))),
        store(open_store(root)), jobs(*store, nullptr), verifier({k_key}),
        scheduler(jobs, launcher, scheduler_options()), sagemaker(jobs, scheduler, sagemaker_options()),
        logs(*store, server::LogsOptions{}), cloudwatch(*store), dashboard(jobs, sagemaker, logs, k_token),
        dispatch(verifier, sagemaker, logs, cloudwatch, &dashboard) {
    dashboard.set_port(8080);
  }
  ~Front() {
    std::error_code ignored;
    std::filesystem::remove_all(root, ignored);
  }

  static server::SchedulerOptions scheduler_options() {
    server::SchedulerOptions options;
    options.max_instances = 4;
    options.log = false;
    return options;
  }
  static server::SageMakerOptions sagemaker_options() {
    server::SageMakerOptions options;
    options.uri_policy = job::UriPolicy::local; // file:// locations too
    return options;
  }

  static std::unique_ptr<store::Store> open_store(const std::filesystem::path& root) {
    std::filesystem::remove_all(root);
    auto opened = store::Store::open(root);
    if (!opened) std::abort();
    return std::move(*opened);
  }

  std::filesystem::path root;
  std::unique_ptr<store::Store> store;
  jobs::LocalJobs jobs;
  IdleLauncher launcher;
  server::Verifier verifier;
  server::Scheduler scheduler;
  server::SageMakerApi sagemaker;
  server::LogsApi logs;
  server::CloudWatchApi cloudwatch;
  dashboard::Dashboard dashboard;
  server::ApiDispatch dispatch;
};

// "" is the query protocol: the body is a form.
constexpr std::array<const char*, 14> k_targets = {
    "SageMaker.CreateTrainingJob",
    "SageMaker.DescribeTrainingJob",
    "SageMaker.ListTrainingJobs",
    "SageMaker.StopTrainingJob",
    "Logs_20140328.DescribeLogStreams",
    "Logs_20140328.GetLogEvents",
    "Logs_20140328.FilterLogEvents",
    "SageMaker.AddTags",
    "SageMaker.ListTags",
    "SageMaker.DeleteTags",
    "GraniteServiceVersion20100801.ListMetrics",
    "GraniteServiceVersion20100801.GetMetricStatistics",
    "GraniteServiceVersion20100801.GetMetricData",
    "",
};

std::string signed_request(uint8_t pick, std::string body) {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:8080/";
  const std::string target = k_targets[pick % k_targets.size()];
  if (target.empty()) {
    request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  } else {
    request.headers = {
        {"Content-Type", target.starts_with("Granite") ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1"},
        {"X-Amz-Target", target}};
  }
  request.body = std::move(body);
  const std::string service = target.starts_with("Logs")                        ? "logs"
                              : target.empty() || target.starts_with("Granite") ? "monitoring"
                                                                                : "sagemaker";
  aws::sign_request(request, k_key, {"us-east-1", service, std::chrono::system_clock::now()},
                    aws::sha256_hex(request.body), aws::PayloadSigning::plain);
  std::string raw = "POST / HTTP/1.1\r\n";
  for (const auto& [name, value] : request.headers)
    raw += name + ": " + value + "\r\n";
  raw += "Content-Length: " + std::to_string(request.body.size()) + "\r\n\r\n" + request.body;
  return raw;
}

// A browser's request of the dashboard, with its cookie: the next byte picks GET or a POST from its
// own origin, the rest is the request target (path and query).
std::string page_request(uint8_t pick, std::string_view target) {
  std::string raw = std::string((pick & 1) != 0 ? "POST " : "GET ") + std::string(target) +
                    " HTTP/1.1\r\nHost: 127.0.0.1:8080\r\nCookie: sagerun_dashboard=" + k_token + "\r\n";
  if ((pick & 1) != 0) raw += "Origin: http://127.0.0.1:8080\r\nContent-Length: 0\r\n";
  return raw + "\r\n";
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static Front front;
  if (size < 2) return 0;
  const std::string_view rest(reinterpret_cast<const char*>(data) + 2, size - 2);
  const std::string bytes = (data[0] & 1) != 0   ? signed_request(data[1], std::string(rest))
                            : (data[0] & 2) != 0 ? page_request(data[1], rest)
                                                 : std::string(reinterpret_cast<const char*>(data) + 1, size - 1);
  server::HttpLimits limits;
  limits.body_bytes = 64 * 1024; // the same checks, at the fuzzer's sizes
  const auto answer = server::answer_bytes(front.dispatch, bytes, limits);
  const bool redirect = answer.status == 303; // the dashboard's token link: its answer is the Location
  if (answer.status >= 500 || answer.status < 200 || (answer.body.empty() && !redirect)) __builtin_trap();
  return 0;
}
