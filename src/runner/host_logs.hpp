#pragma once
// Where a host's output goes: its log file byte for byte, with the times it arrived beside it
// (store/log_events.hpp: what CloudWatch Logs events are served from), the terminal (as is for
// one host, each line prefixed with the host's name for several, as the SageMaker SDK shows
// them), and the metric extractor line by line, with the host's metric series
// (store/metric_series.hpp) beside the log.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

#include "runner/metrics.hpp"
#include "store/log_events.hpp"
#include "store/metric_series.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"
#include "util/ring_buffer.hpp"

namespace sagerun::runner {

enum class Echo { none, raw, prefixed };

// A host's files in the job folder.
struct HostLogFiles {
  std::filesystem::path log;     // the output, byte for byte
  std::filesystem::path times;   // when it arrived; empty: not kept
  std::filesystem::path metrics; // the metric points; empty, or a job without metrics: not kept
};

class HostLog {
public:
  // `echo_fd`: where Echo goes (stdout; stderr when stdout carries a result, --output json).
  static Expected<HostLog> open(const HostLogFiles& files, std::string host, Echo echo, MetricExtractor* metrics,
                                int echo_fd = 1);

  void write(std::string_view bytes, double now);
  // The last partial line, at the end of the host's output.
  void finish(double now);
  // The last bytes of the output, kept in memory: the failure reason of a host that could not
  // write its own (a full disk), whatever became of the log file.
  std::string tail() const { return m_tail.contents(); }

private:
  void feed_lines(std::string_view bytes, double now);
  void emit_line(std::string_view line, double now);

  util::UniqueFd m_file;
  uint64_t m_written = 0; // the log file's size
  std::optional<store::LogTimesWriter> m_times;
  std::string m_host;
  std::string m_prefix;
  Echo m_echo = Echo::none;
  int m_echo_fd = 1;
  MetricExtractor* m_metrics = nullptr;
  std::optional<store::MetricWriter> m_series; // this host's
  std::string m_partial;                       // bytes after the last newline (bounded)
  util::RingBuffer m_tail{4096};
};

} // namespace sagerun::runner
