#include "cli/remote_follow.hpp"

#include <algorithm>
#include <cstdio>

#include "jobs/remote_backend.hpp"

namespace sagerun::cli {
namespace {

// The most pages read from one stream per poll, so a chatty job still gets its status polled.
constexpr int k_pages_per_poll = 50;

// pump() with a warning (once) instead of an error: the job is followed even when its logs
// cannot be read.
bool pump_logs(jobs::LogFollower& follower, bool& warned) {
  auto printed = follower.pump();
  if (printed) return *printed > 0;
  if (!warned) {
    std::fprintf(stderr, "sagerun: warning: cannot read the job's logs (following its status only): %s\n",
                 printed.error().message.c_str());
    warned = true;
  }
  return false;
}

} // namespace

bool TransitionPrinter::print(const nlohmann::json& description) {
  bool printed = false;
  const auto transitions = description.find("SecondaryStatusTransitions");
  if (transitions != description.end() && transitions->is_array() && !transitions->empty()) {
    for (size_t i = 0; i < transitions->size(); ++i) {
      const auto& transition = (*transitions)[i];
      if (!transition.is_object()) continue;
      std::string text = aws::string_member(transition, "Status");
      if (const auto message = aws::string_member(transition, "StatusMessage"); !message.empty()) {
        text += " - " + message;
      }
      if (i < m_printed.size() && m_printed[i] == text) continue;
      if (i >= m_printed.size()) m_printed.resize(i + 1);
      m_printed[i] = text;
      std::fprintf(stderr, "sagerun: %s %s\n", format_api_time(transition.value("StartTime", nlohmann::json())).c_str(),
                   text.c_str());
      printed = true;
    }
    return printed;
  }
  const auto secondary = aws::string_member(description, "SecondaryStatus");
  if (secondary.empty() || secondary == m_last_secondary) return false;
  m_last_secondary = secondary;
  std::fprintf(stderr, "sagerun: %s %s\n",
               format_api_time(description.value("LastModifiedTime", nlohmann::json())).c_str(), secondary.c_str());
  return true;
}

Expected<FollowResult> follow_job(RemoteContext& context, const std::string& job_name, const FollowOptions& options,
                                  const util::EnvMap& env) {
  auto created = Poller::create(env);
  if (!created) return std::unexpected(created.error());
  Poller& poller = *created;
  TransitionPrinter transitions;
  std::optional<jobs::LogFollower> follower;
  bool warned = false;
  while (true) {
    // The status before the logs: whatever was logged before the job ended is then read.
    auto description = context.sagemaker->describe_training_job(job_name);
    if (!description) return std::unexpected(description.error());
    bool news = options.transitions && transitions.print(*description);
    if (options.logs) {
      if (!follower) {
        follower.emplace(*context.logs, job_name, jobs::instance_count(*description), options.format);
      }
      news = pump_logs(*follower, warned) || news;
    }
    if (jobs::has_ended(*description)) {
      // CloudWatch takes a few seconds to show the last lines; a compatible server has them.
      if (options.logs && !context.endpoints.custom && poller.sleep()) pump_logs(*follower, warned);
      return FollowResult{std::move(*description), false};
    }
    if (news) poller.news();
    if (!poller.sleep()) return FollowResult{std::move(*description), true};
  }
}

} // namespace sagerun::cli
