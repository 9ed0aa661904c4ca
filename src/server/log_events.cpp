#include "server/log_events.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>

#include "util/fd.hpp"

namespace sagerun::server {
namespace {

constexpr size_t k_chunk = 1 << 20;

} // namespace

void EventIndex::refresh() {
  std::lock_guard lock(m_mutex);
  const util::UniqueFd fd(::open(m_file.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return;
  struct stat info{};
  if (::fstat(fd.get(), &info) != 0) return;
  const auto size = static_cast<uint64_t>(info.st_size);
  std::string buffer;
  size_t chunk = k_chunk;
  while (m_indexed < size) {
    const auto want = static_cast<size_t>(std::min<uint64_t>(size - m_indexed, chunk));
    buffer.resize(want);
    const ssize_t got = ::pread(fd.get(), buffer.data(), want, static_cast<off_t>(m_indexed));
    if (got <= 0) return;
    buffer.resize(static_cast<size_t>(got));
    size_t start = 0;
    for (size_t newline = buffer.find('\n'); newline != std::string::npos; newline = buffer.find('\n', start)) {
      const std::string_view line(buffer.data() + start, newline - start);
      Line entry;
      const size_t tab = line.find('\t');
      int64_t timestamp = 0;
      const bool stamped = tab != std::string_view::npos &&
                           std::from_chars(line.data(), line.data() + tab, timestamp).ptr == line.data() + tab;
      const size_t text_start = stamped ? tab + 1 : 0;
      entry.text_offset = m_indexed + start + text_start;
      entry.text_length = static_cast<uint32_t>(std::min<size_t>(line.size() - text_start, UINT32_MAX));
      entry.timestamp = stamped ? timestamp : (m_lines.empty() ? 0 : m_lines.back().timestamp);
      m_lines.push_back(entry);
      start = newline + 1;
    }
    if (start == 0) {
      // No whole line in the chunk: the rest is a line being written, or a line longer than it.
      if (want == size - m_indexed) return;
      chunk *= 2;
      continue;
    }
    m_indexed += start;
  }
}

size_t EventIndex::size() const {
  std::lock_guard lock(m_mutex);
  return m_lines.size();
}

void EventIndex::scan(size_t from, Direction direction, const Visit& visit) const {
  std::lock_guard lock(m_mutex);
  if (direction == Direction::forward) {
    for (size_t i = from; i < m_lines.size(); ++i) {
      if (!visit(i, m_lines[i].timestamp, m_lines[i].text_length)) return;
    }
    return;
  }
  for (size_t i = std::min(from, m_lines.size()); i > 0; --i) {
    if (!visit(i - 1, m_lines[i - 1].timestamp, m_lines[i - 1].text_length)) return;
  }
}

std::vector<std::string> EventIndex::messages(size_t first, size_t last) const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> out;
  last = std::min(last, m_lines.size());
  if (first >= last) return out;
  const uint64_t begin = m_lines[first].text_offset;
  const uint64_t end = m_lines[last - 1].text_offset + m_lines[last - 1].text_length;
  std::string buffer(static_cast<size_t>(end - begin), '\0');
  size_t done = 0;
  const util::UniqueFd fd(::open(m_file.c_str(), O_RDONLY | O_CLOEXEC));
  while (fd.valid() && done < buffer.size()) {
    const ssize_t got = ::pread(fd.get(), buffer.data() + done, buffer.size() - done, static_cast<off_t>(begin + done));
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  out.reserve(last - first);
  for (size_t i = first; i < last; ++i) {
    const auto offset = static_cast<size_t>(m_lines[i].text_offset - begin);
    if (offset >= done) {
      out.emplace_back();
      continue;
    }
    out.emplace_back(buffer.substr(offset, std::min<size_t>(m_lines[i].text_length, done - offset)));
  }
  return out;
}

int64_t EventIndex::modified_ms() const {
  struct stat info{};
  if (::stat(m_file.c_str(), &info) != 0) return 0;
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
}

std::vector<std::string> read_messages(const EventIndex& events, const std::vector<size_t>& indices) {
  std::vector<std::string> out;
  out.reserve(indices.size());
  size_t i = 0;
  while (i < indices.size()) {
    size_t j = i + 1;
    while (j < indices.size() && indices[j] == indices[j - 1] + 1)
      ++j;
    for (auto& message : events.messages(indices[i], indices[j - 1] + 1)) {
      if (message.size() > k_max_message) message.resize(k_max_message);
      out.push_back(std::move(message));
    }
    i = j;
  }
  return out;
}

} // namespace sagerun::server
