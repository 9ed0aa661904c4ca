#pragma once
// Following a SageMaker training job from outside: its secondary-status transitions (stderr)
// and its CloudWatch log streams (stdout), until it ends or Ctrl-C. Used by `submit --wait`,
// `logs --follow` and `stop` in remote mode.

#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/logs_client.hpp"
#include "cli/remote_context.hpp"

namespace sagerun::cli {

// Prints the events of the job's streams (/aws/sagemaker/TrainingJobs, "<job>/…") that are new
// since the last call, oldest first; with `prefixed`, each line starts "algo-N | ".
class LogFollower {
public:
  enum class Prefix { no, yes };
  LogFollower(aws::LogsClient& logs, std::string job_name, Prefix prefix);

  // The number of events printed. No log group or stream (yet) is not an error.
  Expected<size_t> pump();

private:
  struct Stream {
    std::string host;
    std::string token;  // the forward token of the last page read
    bool stuck = false; // the server gave events but no token: reading again would repeat them
  };
  aws::LogsClient& m_logs;
  std::string m_job;
  Prefix m_prefix;
  std::map<std::string, Stream> m_streams; // by stream name
};

// Prefix::yes when the job has several hosts.
LogFollower::Prefix log_prefix_for(const nlohmann::json& description);

// "algo-1" out of "<job>/algo-1-1700000000".
std::string host_of_stream(const std::string& stream, const std::string& job_name);

// Prints each new or changed SecondaryStatusTransition ("sagerun: 2024-01-01 00:00:00 Training -
// Training image download completed…"), or SecondaryStatus changes when there are none.
class TransitionPrinter {
public:
  // True when anything was printed.
  bool print(const nlohmann::json& description);

private:
  std::vector<std::string> m_printed;
  std::string m_last_secondary;
};

struct FollowOptions {
  bool transitions = true;
  bool logs = true;
};

struct FollowResult {
  nlohmann::json description; // the last DescribeTrainingJob answer
  bool interrupted = false;   // Ctrl-C: the job goes on
};

// Polls DescribeTrainingJob (Poller's intervals) until the job is Completed, Failed or Stopped,
// printing what `options` asks for; the log streams are read to their end once more afterwards.
// Needs an InterruptGuard installed by the caller.
Expected<FollowResult> follow_job(RemoteContext& context, const std::string& job_name, const FollowOptions& options,
                                  const util::EnvMap& env);

// "sagerun: job NAME: Completed (Completed)", the failure reason, the model: as `sagerun local`.
void print_remote_outcome(const nlohmann::json& description);

} // namespace sagerun::cli
