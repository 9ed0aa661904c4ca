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
#include "jobs/backend.hpp"

namespace sagerun::cli {

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
  jobs::LogFormat format = jobs::LogFormat::text;
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

} // namespace sagerun::cli
