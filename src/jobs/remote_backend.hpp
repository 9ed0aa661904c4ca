#pragma once
// The CLI's Backend over a SageMaker API (SageMaker, or any compatible endpoint such as
// `sagerun server`), with metrics from its CloudWatch (remote_metrics.hpp) and logs from its
// CloudWatch Logs streams: LogFollower reads each stream of
// the job ("<job>/algo-N-<epoch>") from where it last stopped and prints new events in time
// order.

#include <map>
#include <memory>
#include <string>

#include "aws/cloudwatch_client.hpp"
#include "aws/logs_client.hpp"
#include "aws/sagemaker_client.hpp"
#include "jobs/backend.hpp"

namespace sagerun::jobs {

class LogFollower final : public LogReader {
public:
  LogFollower(aws::LogsClient& logs, std::string job_name, int hosts, LogFormat format);

  // The number of events printed. No log group or stream (yet) is not an error.
  Expected<size_t> pump() override;

private:
  struct Stream {
    std::string host;
    std::string token;  // the forward token of the last page read
    bool stuck = false; // the server gave events but no token: reading again would repeat them
  };
  aws::LogsClient& m_logs;
  std::string m_job;
  bool m_prefixed;
  LogFormat m_format;
  std::map<std::string, Stream> m_streams; // by stream name
};

// "algo-1" out of "<job>/algo-1-1700000000".
std::string host_of_stream(const std::string& stream, const std::string& job_name);

// `metrics_period`: the seconds per metric value `metrics` asks CloudWatch for (remote_metrics.hpp).
std::unique_ptr<Backend> make_remote_backend(aws::SageMakerClient& sagemaker, aws::LogsClient& logs,
                                             aws::CloudWatchClient& cloudwatch, int64_t metrics_period);

} // namespace sagerun::jobs
