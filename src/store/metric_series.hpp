#pragma once
// A job's metrics over time, as SageMaker publishes them to CloudWatch: every value a host's
// output gave a MetricDefinition, with the time its line arrived, one file per host
// (metrics/algo-N.points, job_folder.hpp), written by the runner as the lines arrive and read by
// anyone at any moment (the API server, the dashboard, `sagerun metrics`). Beside it, the host's
// instance metrics (metrics/algo-N.instance.points: CPU, memory, disk, GPU, sampled by the
// runner's instance_metrics), in the same format; readers get both, the job's first.
//
// The file, little-endian:
//   "sagerun metrics 1\n"                       the format and its version
//   u16 count, then count × (u16 length, bytes) the MetricDefinitions' names, in their order;
//                                               a point's metric is an index into them
//   points, 17 bytes each: u8 metric, i64 epoch milliseconds, f64 value (IEEE 754)
// The header is written at once, each point with one write(2); a write that fails is cut off
// again, so the points stay whole and aligned. A reader takes the whole points there are: a
// last point being written (or torn by a crash) is left for later, never misread.

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include "store/job_folder.hpp"
#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::store {

struct MetricPoint {
  double timestamp = 0; // seconds since the epoch (millisecond precision)
  double value = 0;
};

// A job's own metric (MetricDefinitions over its output) or one the runner sampled of its host.
enum class SeriesKind { job, instance };

struct MetricSeries {
  std::string metric;
  int host_index = 0;
  std::vector<MetricPoint> points; // in time order
  SeriesKind kind = SeriesKind::job;
};

// Every series of the job, by host then metric (the job's own in MetricDefinitions order, then
// the instance metrics); empty when none yet. A host without files (not started) has none.
Expected<std::vector<MetricSeries>> read_metric_series(const JobFolder& folder, int instances);

// One host's series (its metrics with at least one point): the job's own in MetricDefinitions
// order, then its instance metrics.
Expected<std::vector<MetricSeries>> read_host_metric_series(const JobFolder& folder, int host_index);

// The runner's side, one per host.
class MetricWriter {
public:
  // Starts the file afresh with the metrics' names (the job's MetricDefinitions, in order; at
  // most 255). Fails naming the file when it cannot be written.
  static Expected<MetricWriter> create(const std::filesystem::path& file, const std::vector<std::string>& names);

  // Appends a point of metric `metric` (an index into the names). False when it could not be
  // written (a full disk): that point is lost, the file stays whole.
  bool append(size_t metric, int64_t epoch_ms, double value);
  // The points that could not be written, and the file.
  size_t lost() const { return m_lost; }
  const std::filesystem::path& file() const { return m_file; }

private:
  std::filesystem::path m_file;
  util::UniqueFd m_fd;
  uint64_t m_size = 0; // the bytes written whole
  size_t m_metrics = 0;
  size_t m_lost = 0;
  bool m_broken = false; // a failed write could not be cut off: writing more would misalign
};

// The bytes of one point record (for tests that tear one).
inline constexpr size_t k_metric_point_bytes = 17;

} // namespace sagerun::store
