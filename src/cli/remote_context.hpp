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

#include "aws/credentials.hpp"
#include "aws/http.hpp"
#include "aws/logs_client.hpp"
#include "aws/sagemaker_client.hpp"
#include "cli/aws_context.hpp"
#include "util/environment.hpp"

namespace sagerun::cli {

struct RemoteFlags {
  AwsFlags aws;
  bool remote = false; // --remote: SageMaker itself, through the credentials chain
};

// --endpoint-url, --region, --profile, and --remote unless `with_remote` is no (submit is remote
// anyway).
enum class RemoteSwitch { no, yes };
void add_remote_flags(CLI::App& app, RemoteFlags& flags, RemoteSwitch with_remote = RemoteSwitch::yes);

// Whether describe/list/logs/stop talk to an API rather than the local jobs: --remote,
// --endpoint-url, or AWS_ENDPOINT_URL_SAGEMAKER in the environment. (AWS_ENDPOINT_URL alone does
// not count: it often points at a local S3 server for local jobs.)
bool wants_remote(const RemoteFlags& flags, const util::EnvMap& env);

struct RemoteEndpoints {
  std::string region;
  std::string sagemaker; // scheme://host[:port]
  std::string logs;
  bool custom = false; // the SageMaker endpoint is a compatible server, not AWS's own
};

// No network. SageMaker: --endpoint-url → AWS_ENDPOINT_URL_SAGEMAKER → AWS_ENDPOINT_URL → AWS.
// CloudWatch Logs: AWS_ENDPOINT_URL_CLOUDWATCH_LOGS → the SageMaker endpoint when it is a
// compatible server (which serves its jobs' logs too) → AWS's. A custom endpoint does without a
// region (us-east-1 is signed); AWS's needs one.
Expected<RemoteEndpoints> resolve_remote_endpoints(const AwsFlags& flags, const util::EnvMap& env);

struct RemoteContext {
  RemoteEndpoints endpoints;
  std::unique_ptr<aws::HttpClient> http;
  std::unique_ptr<aws::CredentialsProvider> credentials;
  std::unique_ptr<aws::SageMakerClient> sagemaker;
  std::unique_ptr<aws::LogsClient> logs;
};

Expected<std::unique_ptr<RemoteContext>> make_remote_context(const AwsFlags& flags, const util::EnvMap& env);

// The flags that reach the same API again, for messages ("sagerun stop NAME --endpoint-url …").
std::string remote_flags_hint(const RemoteFlags& flags, const RemoteEndpoints& endpoints);

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

// Intervals between polls: from 1 s, growing by half while nothing changes, up to 5 s; back to
// 1 s on news. SAGERUN_POLL_SECONDS (fractions allowed) fixes the interval (tests).
class Poller {
public:
  explicit Poller(const util::EnvMap& env);
  void news() { m_current = m_min; }
  // Sleeps the current interval, then lengthens it; false when interrupted.
  bool sleep();
  std::chrono::milliseconds interval() const { return m_current; }

private:
  std::chrono::milliseconds m_min{1000};
  std::chrono::milliseconds m_max{5000};
  std::chrono::milliseconds m_current{1000};
};

// `sagerun`'s exit code after Ctrl-C, as shells report it.
inline constexpr int k_exit_interrupted = 130;

} // namespace sagerun::cli
