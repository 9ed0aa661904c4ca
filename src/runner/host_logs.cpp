#include "runner/host_logs.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>

namespace sagerun::runner {
namespace {

// A line longer than this is cut for the terminal prefix and the metrics; the log file still
// gets every byte.
constexpr size_t k_max_line = 64 * 1024;

int64_t epoch_ms(double now) { return static_cast<int64_t>(now * 1000); }

} // namespace

Expected<HostLog> HostLog::open(const HostLogFiles& files, std::string host, Echo echo, MetricExtractor* metrics,
                                int echo_fd) {
  HostLog log;
  log.m_file.reset(::open(files.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log.m_file.valid()) {
    return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + files.log.string(), errno));
  }
  struct stat info{};
  if (::fstat(log.m_file.get(), &info) == 0) log.m_written = static_cast<uint64_t>(info.st_size);
  if (!files.times.empty()) {
    auto times = store::LogTimesWriter::open(files.times, log.m_written);
    if (!times) return std::unexpected(times.error());
    log.m_times.emplace(std::move(*times));
  }
  if (metrics != nullptr && !files.metrics.empty() && !metrics->names().empty()) {
    auto series = store::MetricWriter::create(files.metrics, metrics->names());
    if (!series) return std::unexpected(series.error());
    log.m_series.emplace(std::move(*series));
  }
  log.m_host = std::move(host);
  log.m_prefix = log.m_host + " | ";
  log.m_echo = echo;
  log.m_echo_fd = echo_fd;
  log.m_metrics = metrics;
  return log;
}

void HostLog::write(std::string_view bytes, double now) {
  m_tail.append(bytes);
  if (m_times) m_times->mark(m_written, epoch_ms(now));
  util::write_all(m_file.get(), bytes);
  m_written += bytes.size();
  if (m_echo == Echo::raw) util::write_all(m_echo_fd, bytes);
  if (m_echo == Echo::prefixed || m_metrics != nullptr) feed_lines(bytes, now);
}

void HostLog::feed_lines(std::string_view bytes, double now) {
  while (!bytes.empty()) {
    const auto newline = bytes.find('\n');
    if (newline == std::string_view::npos) {
      m_partial.append(bytes.substr(0, k_max_line - std::min(k_max_line, m_partial.size())));
      if (m_partial.size() >= k_max_line) {
        emit_line(m_partial, now);
        m_partial.clear();
      }
      return;
    }
    if (m_partial.empty()) {
      emit_line(bytes.substr(0, newline), now);
    } else {
      m_partial.append(bytes.substr(0, newline));
      emit_line(m_partial, now);
      m_partial.clear();
    }
    bytes.remove_prefix(newline + 1);
  }
}

void HostLog::emit_line(std::string_view line, double now) {
  // Progress bars redraw with '\r': the metric belongs to the last redraw.
  if (m_metrics != nullptr) m_metrics->feed_line(store::visible_text(line), now, m_series ? &*m_series : nullptr);
  if (m_echo == Echo::prefixed) {
    std::string out;
    out.reserve(m_prefix.size() + line.size() + 1);
    out.append(m_prefix).append(line).push_back('\n');
    util::write_all(m_echo_fd, out);
  }
}

void HostLog::finish(double now) {
  if (m_times) m_times->end(m_written, epoch_ms(now));
  m_times.reset(); // once: later output is not this host's
  if (!m_partial.empty()) {
    emit_line(m_partial, now);
    m_partial.clear();
  }
  if (m_series && m_series->lost() > 0) {
    std::fprintf(stderr, "sagerun: warning: %zu metric values of %s could not be written to %s (is the disk full?)\n",
                 m_series->lost(), m_host.c_str(), m_series->file().c_str());
  }
  m_series.reset();
}

} // namespace sagerun::runner
