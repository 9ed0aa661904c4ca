#pragma once
// What the commands that talk to SageMaker (submit, and describe/list/logs/stop in remote mode)
// share: the flags, where the SageMaker and CloudWatch Logs APIs are, the clients, polling and
// Ctrl-C while following a job.

#include <chrono>
#include <csignal>
#include <memory>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "aws/cloudwatch_client.hpp"
#include "aws/curl/session.hpp"
#include "aws/logs_client.hpp"
#include "aws/sagemaker_client.hpp"
#include "cli/aws_context.hpp"
#include "util/environment.hpp"

namespace sagerun::cli {

// Whether an endpoint variable (AWS_ENDPOINT_URL_SAGEMAKER, …) is set and not switched off by
// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true.
bool endpoint_variable_set(const util::EnvMap& env, const std::string& name);

struct RemoteEndpoints {
  std::string region;
  std::string sagemaker; // scheme://host[:port]
  std::string logs;
  std::string cloudwatch;
  bool custom = false; // the SageMaker endpoint is a compatible server, not AWS's own
};

// No network. SageMaker: --endpoint-url → AWS_ENDPOINT_URL_SAGEMAKER → AWS_ENDPOINT_URL → AWS.
// CloudWatch Logs: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS → the SageMaker endpoint when it is a
// compatible server (which serves its jobs' logs too) → AWS's. CloudWatch (metrics) the same way,
// with AWS_ENDPOINT_URL_CLOUDWATCH. A custom endpoint does without a
// region (us-east-1 is signed); AWS's needs one.
Expected<RemoteEndpoints> resolve_remote_endpoints(const AwsFlags& flags, const util::EnvMap& env);

struct RemoteContext {
  RemoteEndpoints endpoints;
  std::unique_ptr<aws::Session> session;
  std::unique_ptr<aws::SageMakerClient> sagemaker;
  std::unique_ptr<aws::LogsClient> logs;
  std::unique_ptr<aws::CloudWatchClient> cloudwatch;
};

Expected<std::unique_ptr<RemoteContext>> make_remote_context(const AwsFlags& flags, const util::EnvMap& env);

// The flags that reach the same API again, for messages ("sagerun stop NAME --endpoint-url …").
std::string remote_flags_hint(const AwsFlags& flags, const util::EnvMap& env, const RemoteEndpoints& endpoints);

// A JSON 1.1 timestamp (seconds since the epoch, or an ISO 8601 string) as "YYYY-MM-DD HH:MM:SS"
// UTC; "-" when missing.
std::string format_api_time(const nlohmann::json& value);

// Ctrl-C (SIGINT) and SIGTERM while installed only set a flag, so following a job can stop
// cleanly. The previous handlers come back on destruction.
class InterruptGuard {
public:
  InterruptGuard();
  ~InterruptGuard();
  InterruptGuard(const InterruptGuard&) = delete;
  InterruptGuard& operator=(const InterruptGuard&) = delete;
  static bool interrupted();
  static int signal_number(); // the signal that came, 0 when none

private:
  struct sigaction m_old_int{};
  struct sigaction m_old_term{};
};

// Intervals between polls of an API: from 1 s, growing by half while nothing changes, up to 5 s;
// back to 1 s on news. This machine's jobs are polled every 100 ms. SAGERUN_POLL_SECONDS
// (fractions allowed) fixes the interval (tests).
enum class Pace { remote, local };
class Poller {
public:
  // An error names a SAGERUN_POLL_SECONDS that is not a number of seconds.
  static Expected<Poller> create(const util::EnvMap& env, Pace pace = Pace::remote);
  void news() { m_current = m_min; }
  // Sleeps the current interval, then lengthens it; false when interrupted.
  bool sleep();
  std::chrono::milliseconds interval() const { return m_current; }

private:
  Poller() = default;
  std::chrono::milliseconds m_min{1000};
  std::chrono::milliseconds m_max{5000};
  std::chrono::milliseconds m_current{1000};
};

} // namespace sagerun::cli
