#include "store/log_events.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <optional>

#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::store {
namespace {

namespace fs = std::filesystem;

constexpr size_t k_chunk = 1 << 20;
constexpr char k_mark = 'm';
constexpr char k_end = 'e';

void put_varint(std::string& out, uint64_t value) {
  while (value >= 0x80) {
    out.push_back(static_cast<char>((value & 0x7F) | 0x80));
    value >>= 7;
  }
  out.push_back(static_cast<char>(value));
}

// Nullopt when the bytes end inside the number (a mark being written).
std::optional<uint64_t> take_varint(std::string_view& in) {
  uint64_t value = 0;
  for (size_t i = 0, shift = 0; i < in.size() && shift < 64; ++i, shift += 7) {
    const auto byte = static_cast<unsigned char>(in[i]);
    value |= static_cast<uint64_t>(byte & 0x7F) << shift;
    if ((byte & 0x80) == 0) {
      in.remove_prefix(i + 1);
      return value;
    }
  }
  return std::nullopt;
}

uint64_t zigzag(int64_t value) { return (static_cast<uint64_t>(value) << 1) ^ static_cast<uint64_t>(value >> 63); }
int64_t unzigzag(uint64_t value) { return static_cast<int64_t>(value >> 1) ^ -static_cast<int64_t>(value & 1); }

std::string read_at(int fd, uint64_t offset, size_t want) {
  std::string buffer(want, '\0');
  size_t done = 0;
  while (done < want) {
    const ssize_t got = ::pread(fd, buffer.data() + done, want - done, static_cast<off_t>(offset + done));
    if (got < 0 && errno == EINTR) continue;
    if (got <= 0) break;
    done += static_cast<size_t>(got);
  }
  buffer.resize(done);
  return buffer;
}

int64_t modified_ms_of(const std::filesystem::path& file) {
  struct stat info{};
  if (::stat(file.c_str(), &info) != 0) return 0;
  return static_cast<int64_t>(info.st_mtim.tv_sec) * 1000 + info.st_mtim.tv_nsec / 1000000;
}

} // namespace

std::string_view visible_text(std::string_view line) {
  while (line.ends_with('\r'))
    line.remove_suffix(1);
  if (const auto redraw = line.rfind('\r'); redraw != std::string_view::npos) line.remove_prefix(redraw + 1);
  return line;
}

Expected<LogTimesWriter> LogTimesWriter::open(const std::filesystem::path& file, uint64_t log_size) {
  LogTimesWriter writer;
  // A fresh log starts a fresh times file; a log appended to continues the one it has.
  const int truncate = log_size == 0 ? O_TRUNC : 0;
  writer.m_fd.reset(::open(file.c_str(), O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC | truncate, 0644));
  if (!writer.m_fd.valid())
    return util::fail(util::ErrorKind::io, util::errno_message("cannot open " + file.string(), errno));
  struct stat info{};
  if (log_size > 0 && ::fstat(writer.m_fd.get(), &info) == 0 && info.st_size > 0) {
    const std::string bytes = read_at(writer.m_fd.get(), 0, static_cast<size_t>(info.st_size));
    std::string_view rest(bytes);
    while (rest.size() > 1) {
      rest.remove_prefix(1);
      const auto offset = take_varint(rest);
      const auto ms = offset ? take_varint(rest) : std::nullopt;
      if (!ms) break;
      writer.m_offset += *offset;
      writer.m_ms += unzigzag(*ms);
      writer.m_any = true;
    }
  }
  return writer;
}

void LogTimesWriter::append(char tag, uint64_t offset, int64_t epoch_ms) {
  std::string record(1, tag);
  put_varint(record, offset - m_offset);
  put_varint(record, zigzag(epoch_ms - m_ms));
  m_offset = offset;
  m_ms = epoch_ms;
  m_any = true;
  util::write_all(m_fd.get(), record); // one write: a reader sees a mark whole or not yet
}

void LogTimesWriter::mark(uint64_t offset, int64_t epoch_ms) {
  if (m_fd.valid() && (!m_any || epoch_ms != m_ms)) append(k_mark, offset, epoch_ms);
}

void LogTimesWriter::end(uint64_t offset, int64_t epoch_ms) {
  if (m_fd.valid()) append(k_end, offset, epoch_ms);
}

// A log of an older store: its lines with their times in "<epoch ms>\t<text>\n" lines beside
// it (logs/algo-N.events), or only there. Made into the log and its times, once.
static fs::path events_file_of(const fs::path& log) {
  auto file = log;
  file.replace_extension(".events");
  return file;
}

static void upgrade_events_file(const std::filesystem::path& log, const std::filesystem::path& times) {
  const auto events_file = events_file_of(log);
  auto text = util::read_file(events_file);
  if (!text) return;
  std::vector<std::pair<int64_t, std::string_view>> events;
  for (std::string_view rest(*text); !rest.empty();) {
    const auto newline = rest.find('\n');
    std::string_view line = rest.substr(0, newline);
    rest.remove_prefix(newline == std::string_view::npos ? rest.size() : newline + 1);
    int64_t ms = 0;
    const auto tab = line.find('\t');
    if (tab != std::string_view::npos && std::from_chars(line.data(), line.data() + tab, ms).ptr == line.data() + tab)
      line.remove_prefix(tab + 1);
    events.emplace_back(ms, line);
  }
  std::string log_text;
  if (auto kept = util::read_file(log)) {
    log_text = std::move(*kept);
  } else {
    for (const auto& [ms, line] : events)
      log_text.append(line).push_back('\n');
    if (!util::write_file_atomic(log, log_text)) return;
  }
  const auto part = times.string() + ".upgrade";
  auto writer = LogTimesWriter::open(part, 0);
  if (!writer) return;
  // Line i of the log was event i.
  size_t offset = 0;
  for (const auto& [ms, line] : events) {
    if (offset >= log_text.size()) break;
    writer->mark(offset, ms);
    const auto newline = log_text.find('\n', offset);
    offset = newline == std::string::npos ? log_text.size() : newline + 1;
  }
  writer->end(log_text.size(), events.empty() ? 0 : events.back().first);
  std::error_code ignored;
  fs::rename(part, times, ignored);
  if (!ignored) fs::remove(events_file, ignored);
}

bool LogEvents::present(const fs::path& log_file) {
  return util::is_file(log_file) || util::is_file(events_file_of(log_file));
}

void LogEvents::read_marks() {
  const util::UniqueFd fd(::open(m_times.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return;
  struct stat info{};
  if (::fstat(fd.get(), &info) != 0 || static_cast<uint64_t>(info.st_size) <= m_times_read) return;
  const std::string bytes = read_at(fd.get(), m_times_read, static_cast<size_t>(info.st_size - m_times_read));
  std::string_view rest(bytes);
  while (!rest.empty()) {
    std::string_view record = rest;
    const char tag = record.front();
    record.remove_prefix(1);
    const auto offset = take_varint(record);
    const auto ms = offset ? take_varint(record) : std::nullopt;
    if (!ms || (tag != k_mark && tag != k_end)) break; // being written (or not ours): next time
    m_last = Mark{m_last.offset + *offset, m_last.epoch_ms + unzigzag(*ms)};
    if (tag == k_end) {
      m_end = m_last.offset;
    } else {
      m_end.reset(); // the log was appended to after an end
      m_marks.push_back(m_last);
    }
    m_times_read += rest.size() - record.size();
    rest = record;
  }
}

// The mark in force at `offset` (offsets are asked for in ascending order).
int64_t LogEvents::time_at(uint64_t offset) {
  if (m_marks.empty()) return modified_ms_of(m_log); // a log without times (an older store)
  while (m_mark_at + 1 < m_marks.size() && m_marks[m_mark_at + 1].offset <= offset)
    ++m_mark_at;
  return m_marks[m_mark_at].epoch_ms;
}

void LogEvents::add_line(uint64_t offset, std::string_view line) {
  const uint64_t end = offset + line.size();
  for (std::string_view rest = line;;) {
    const std::string_view piece = rest.substr(0, k_max_message);
    const std::string_view shown = visible_text(piece);
    const auto shown_offset = offset + static_cast<uint64_t>(shown.data() - line.data());
    m_lines.push_back(Line{shown_offset, static_cast<uint32_t>(shown.size()), time_at(end)});
    rest.remove_prefix(piece.size());
    if (rest.empty()) break;
  }
}

void LogEvents::refresh() {
  std::lock_guard lock(m_mutex);
  if (m_times_read == 0 && !util::is_file(m_times)) upgrade_events_file(m_log, m_times);
  read_marks();
  const util::UniqueFd fd(::open(m_log.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return;
  struct stat info{};
  if (::fstat(fd.get(), &info) != 0) return;
  const auto size = static_cast<uint64_t>(info.st_size);
  size_t chunk = k_chunk;
  while (m_indexed < size) {
    const auto want = static_cast<size_t>(std::min<uint64_t>(size - m_indexed, chunk));
    const std::string buffer = read_at(fd.get(), m_indexed, want);
    if (buffer.empty()) return;
    size_t start = 0;
    for (size_t newline = buffer.find('\n'); newline != std::string::npos; newline = buffer.find('\n', start)) {
      add_line(m_indexed + start, std::string_view(buffer).substr(start, newline - start));
      start = newline + 1;
    }
    if (start == 0) {
      // No whole line: the rest is a line being written, a line longer than the chunk, or the
      // output's last line, which has no newline.
      if (want < size - m_indexed) {
        chunk *= 2;
        continue;
      }
      if (m_end && *m_end == m_indexed + buffer.size()) {
        add_line(m_indexed, buffer);
        m_indexed += buffer.size();
      }
      return;
    }
    m_indexed += start;
  }
}

size_t LogEvents::size() const {
  std::lock_guard lock(m_mutex);
  return m_lines.size();
}

void LogEvents::scan(size_t from, Direction direction, const Visit& visit) const {
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

std::vector<std::string> LogEvents::messages(size_t first, size_t last) const {
  std::lock_guard lock(m_mutex);
  std::vector<std::string> out;
  last = std::min(last, m_lines.size());
  if (first >= last) return out;
  const uint64_t begin = m_lines[first].text_offset;
  const uint64_t end = m_lines[last - 1].text_offset + m_lines[last - 1].text_length;
  const util::UniqueFd fd(::open(m_log.c_str(), O_RDONLY | O_CLOEXEC));
  const std::string buffer = fd.valid() ? read_at(fd.get(), begin, static_cast<size_t>(end - begin)) : std::string();
  out.reserve(last - first);
  for (size_t i = first; i < last; ++i) {
    const auto offset = static_cast<size_t>(m_lines[i].text_offset - begin);
    if (offset >= buffer.size()) {
      out.emplace_back();
      continue;
    }
    out.emplace_back(buffer.substr(offset, std::min<size_t>(m_lines[i].text_length, buffer.size() - offset)));
  }
  return out;
}

int64_t LogEvents::modified_ms() const { return modified_ms_of(m_log); }

std::vector<std::string> read_messages(const LogEvents& events, const std::vector<size_t>& indices) {
  std::vector<std::string> out;
  out.reserve(indices.size());
  size_t i = 0;
  while (i < indices.size()) {
    size_t j = i + 1;
    while (j < indices.size() && indices[j] == indices[j - 1] + 1)
      ++j;
    for (auto& message : events.messages(indices[i], indices[j - 1] + 1))
      out.push_back(std::move(message));
    i = j;
  }
  return out;
}

} // namespace sagerun::store
