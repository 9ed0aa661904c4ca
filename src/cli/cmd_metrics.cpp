// sagerun metrics JOB: the job's metrics over time, as its hosts' output gave them
// (MetricDefinitions): for each host and metric, every value with the time its line arrived;
// then, always, each host's instance metrics (CPUUtilization, MemoryUtilization, DiskUtilization,
// GPU ones where given), as SageMaker's CloudWatch lists both under the host.
// Text for people; --output json: {"TrainingJobName", "Metrics": [{"Host", "MetricName",
// "Timestamps", "Values"}]}, timestamps as epoch seconds. This machine's jobs (their series), or
// with --remote / --endpoint-url / AWS_ENDPOINT_URL_SAGEMAKER the job's CloudWatch metrics (the
// average per second from a compatible server, per minute from CloudWatch itself).
#include <charconv>
#include <chrono>
#include <cstdio>

#include "cli/command_table.hpp"
#include "cli/jobs_access.hpp"
#include "store/job_folder.hpp"
#include "util/utc_time.hpp"

namespace sagerun::cli {
namespace {

// The shortest text that reads back as the same double.
std::string format_value(double value) {
  char text[32];
  const auto [end, ec] = std::to_chars(text, text + sizeof text, value);
  return ec == std::errc() ? std::string(text, end) : std::to_string(value);
}

void print_text(const std::vector<store::MetricSeries>& series) {
  std::string out;
  for (const auto& one : series) {
    out += store::host_name(one.host_index) + "  " + one.metric + "  (" + std::to_string(one.points.size()) +
           (one.points.size() == 1 ? " value)\n" : " values)\n");
    for (const auto& point : one.points)
      out += "  " + util::utc_text(point.timestamp, util::UtcStyle::human) + "  " + format_value(point.value) + "\n";
  }
  std::fwrite(out.data(), 1, out.size(), stdout);
}

nlohmann::json as_json(const std::string& job, const std::vector<store::MetricSeries>& series) {
  nlohmann::json metrics = nlohmann::json::array();
  for (const auto& one : series) {
    nlohmann::json timestamps = nlohmann::json::array();
    nlohmann::json values = nlohmann::json::array();
    for (const auto& point : one.points) {
      timestamps.push_back(point.timestamp);
      values.push_back(point.value);
    }
    metrics.push_back({{"Host", store::host_name(one.host_index)},
                       {"MetricName", one.metric},
                       {"Timestamps", std::move(timestamps)},
                       {"Values", std::move(values)}});
  }
  return {{"TrainingJobName", job}, {"Metrics", std::move(metrics)}};
}

} // namespace

int cmd_metrics(Invocation& invocation) {
  std::string name;
  invocation.app().add_option("JOB", name, "the training job's name")->required();
  if (auto done = invocation.parse()) return *done;
  auto access = open_jobs(invocation);
  if (!access) return report(access.error());
  auto description = access->backend->describe(name);
  if (!description) return report(not_found_here(description.error(), *access, name));
  auto series = access->backend->metrics(*description);
  if (!series) return report(series.error());
  const std::string job = description->value("TrainingJobName", name);
  if (invocation.flags().output == Output::json) {
    print_json(as_json(job, *series));
    return k_exit_ok;
  }
  if (series->empty()) {
    const auto& definitions = description->value("AlgorithmSpecification", nlohmann::json::object());
    const bool defined = definitions.contains("MetricDefinitions");
    std::fprintf(stderr, "sagerun: job %s has %s\n", job.c_str(),
                 defined ? "no metric values yet (none of its output lines matched a MetricDefinitions regex)"
                         : "no MetricDefinitions: give --metric NAME=REGEX to `sagerun local` (or "
                           "AlgorithmSpecification.MetricDefinitions in the request)");
    return k_exit_ok;
  }
  print_text(*series);
  return k_exit_ok;
}

} // namespace sagerun::cli
