#include "store/metric_series.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cerrno>
#include <string_view>

#include "util/files.hpp"

namespace sagerun::store {
namespace {

namespace fs = std::filesystem;

constexpr std::string_view k_points_magic = "sagerun metrics 1\n";
constexpr size_t k_max_point_metrics = 255; // a point names its metric in one byte

void put_little_endian(std::string& out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i)
    out.push_back(static_cast<char>((value >> (8 * i)) & 0xFF));
}

uint64_t get_little_endian(const char* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i)
    value |= static_cast<uint64_t>(static_cast<unsigned char>(in[i])) << (8 * i);
  return value;
}

// The names, and where the points start; nullopt while the header is not whole (being written).
struct PointsHeader {
  std::vector<std::string> names;
  size_t points_at = 0;
};

Expected<std::optional<PointsHeader>> parse_points_header(std::string_view bytes, const fs::path& file) {
  if (bytes.size() < k_points_magic.size()) {
    if (k_points_magic.starts_with(bytes)) return std::nullopt;
  } else if (bytes.starts_with(k_points_magic)) {
    PointsHeader header;
    size_t at = k_points_magic.size();
    if (bytes.size() < at + 2) return std::nullopt;
    const auto count = get_little_endian(bytes.data() + at, 2);
    at += 2;
    for (uint64_t i = 0; i < count; ++i) {
      if (bytes.size() < at + 2) return std::nullopt;
      const auto length = static_cast<size_t>(get_little_endian(bytes.data() + at, 2));
      at += 2;
      if (bytes.size() < at + length) return std::nullopt;
      header.names.emplace_back(bytes.substr(at, length));
      at += length;
    }
    header.points_at = at;
    return header;
  }
  return util::fail(util::ErrorKind::invalid_input,
                    file.string() + " is not a metrics file this sagerun reads (it lacks the line '" +
                        std::string(k_points_magic.substr(0, k_points_magic.size() - 1)) +
                        "'); a newer sagerun wrote it?");
}

// Appends the series of one points file with at least one point to `out`.
Expected<void> read_points_file(const fs::path& file, int host_index, SeriesKind kind, std::vector<MetricSeries>& out) {
  auto bytes = util::read_file(file);
  if (!bytes) {
    if (!util::is_file(file)) return {}; // not started, or no MetricDefinitions
    return std::unexpected(bytes.error());
  }
  auto header = parse_points_header(*bytes, file);
  if (!header) return std::unexpected(header.error());
  if (!*header) return {};
  const auto& names = (*header)->names;
  std::vector<MetricSeries> series(names.size());
  for (size_t i = 0; i < names.size(); ++i)
    series[i] = MetricSeries{names[i], host_index, {}, kind};
  const std::string_view points = std::string_view(*bytes).substr((*header)->points_at);
  const size_t whole = points.size() / k_metric_point_bytes; // a part after them is being written
  for (size_t i = 0; i < whole; ++i) {
    const char* record = points.data() + i * k_metric_point_bytes;
    const auto metric = static_cast<unsigned char>(record[0]);
    if (metric >= series.size()) break; // not a point of this header: nothing after it is trusted
    const auto ms = static_cast<int64_t>(get_little_endian(record + 1, 8));
    const auto value = std::bit_cast<double>(get_little_endian(record + 9, 8));
    series[metric].points.push_back({static_cast<double>(ms) / 1000.0, value});
  }
  for (auto& one : series) {
    if (one.points.empty()) continue;
    // Arrival order, which a clock set back would break.
    if (!std::ranges::is_sorted(one.points, {}, &MetricPoint::timestamp))
      std::ranges::stable_sort(one.points, {}, &MetricPoint::timestamp);
    out.push_back(std::move(one));
  }
  return {};
}

} // namespace

Expected<std::vector<MetricSeries>> read_host_metric_series(const JobFolder& folder, int host_index) {
  std::vector<MetricSeries> out;
  if (auto read = read_points_file(folder.metrics_file(host_index), host_index, SeriesKind::job, out); !read)
    return std::unexpected(read.error());
  if (auto read = read_points_file(folder.instance_metrics_file(host_index), host_index, SeriesKind::instance, out);
      !read) {
    return std::unexpected(read.error());
  }
  return out;
}

Expected<std::vector<MetricSeries>> read_metric_series(const JobFolder& folder, int instances) {
  std::vector<MetricSeries> out;
  for (int host = 0; host < instances; ++host) {
    auto series = read_host_metric_series(folder, host);
    if (!series) return std::unexpected(series.error());
    for (auto& one : *series)
      out.push_back(std::move(one));
  }
  return out;
}

Expected<MetricWriter> MetricWriter::create(const fs::path& file, const std::vector<std::string>& names) {
  if (names.size() > k_max_point_metrics) {
    return util::fail(util::ErrorKind::invalid_input,
                      "MetricDefinitions: at most " + std::to_string(k_max_point_metrics) +
                          " metrics are kept per job, not " + std::to_string(names.size()));
  }
  if (auto made = util::make_directories(file.parent_path()); !made) return std::unexpected(made.error());
  MetricWriter writer;
  writer.m_fd.reset(::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_CLOEXEC, 0644));
  if (!writer.m_fd.valid())
    return util::fail(util::ErrorKind::io, util::errno_message("cannot create " + file.string(), errno));
  std::string header(k_points_magic);
  put_little_endian(header, names.size(), 2);
  for (const auto& name : names) {
    const auto length = std::min<size_t>(name.size(), 0xFFFF);
    put_little_endian(header, length, 2);
    header.append(name, 0, length);
  }
  if (!util::write_all(writer.m_fd.get(), header))
    return util::fail(util::ErrorKind::io, util::errno_message("cannot write " + file.string(), errno));
  writer.m_file = file;
  writer.m_size = header.size();
  writer.m_metrics = names.size();
  return writer;
}

bool MetricWriter::append(size_t metric, int64_t epoch_ms, double value) {
  if (!m_fd.valid() || m_broken || metric >= m_metrics) {
    ++m_lost;
    return false;
  }
  std::string record;
  record.reserve(k_metric_point_bytes);
  record.push_back(static_cast<char>(metric));
  put_little_endian(record, static_cast<uint64_t>(epoch_ms), 8);
  put_little_endian(record, std::bit_cast<uint64_t>(value), 8);
  if (util::write_all(m_fd.get(), record)) {
    m_size += record.size();
    return true;
  }
  // Part of it may be there: cut it off, or the points after it would be read askew.
  if (::ftruncate(m_fd.get(), static_cast<off_t>(m_size)) != 0) m_broken = true;
  ++m_lost;
  return false;
}

} // namespace sagerun::store
