#include "runner/host_logs.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

namespace sagerun::runner {
namespace {

// A line longer than this is cut for the terminal prefix and the metrics; the log file still
// gets every byte.
constexpr size_t k_max_line = 64 * 1024;

} // namespace

Expected<HostLog> HostLog::open(const std::filesystem::path& file, std::string host, Echo echo,
                                MetricExtractor* metrics, const std::filesystem::path& events_file, int echo_fd) {
  HostLog log;
  log.m_file.reset(::open(file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
  if (!log.m_file.valid()) {
    return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + file.string(), errno));
  }
  if (!events_file.empty()) {
    log.m_events.reset(::open(events_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (!log.m_events.valid()) {
      return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + events_file.string(), errno));
    }
  }
  log.m_prefix = std::move(host) + " | ";
  log.m_echo = echo;
  log.m_echo_fd = echo_fd;
  log.m_metrics = metrics;
  return log;
}

void HostLog::write(std::string_view bytes, double now) {
  m_tail.append(bytes);
  util::write_all(m_file.get(), bytes);
  if (m_echo == Echo::raw) util::write_all(m_echo_fd, bytes);
  if (m_echo == Echo::prefixed || m_metrics != nullptr || m_events.valid()) feed_lines(bytes, now);
  flush_events();
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
  // Progress bars redraw with '\r': the metric and the prefix belong to the last redraw.
  std::string_view visible = line;
  while (visible.ends_with('\r'))
    visible.remove_suffix(1); // CRLF line ends
  if (const auto redraw = visible.rfind('\r'); redraw != std::string_view::npos) visible.remove_prefix(redraw + 1);
  if (m_metrics != nullptr) m_metrics->feed_line(visible, now);
  if (m_events.valid()) {
    m_events_pending.append(std::to_string(static_cast<long long>(now * 1000))).push_back('\t');
    m_events_pending.append(visible).push_back('\n');
  }
  if (m_echo == Echo::prefixed) {
    std::string out;
    out.reserve(m_prefix.size() + line.size() + 1);
    out.append(m_prefix).append(line).push_back('\n');
    util::write_all(m_echo_fd, out);
  }
}

void HostLog::finish(double now) {
  if (m_partial.empty()) return;
  emit_line(m_partial, now);
  m_partial.clear();
  flush_events();
}

void HostLog::flush_events() {
  if (m_events_pending.empty()) return;
  util::write_all(m_events.get(), m_events_pending);
  m_events_pending.clear();
}

} // namespace sagerun::runner
