#pragma once
// A job host's log as CloudWatch Logs events: the runner's events file
// (logs/algo-N.events, "<epoch ms>\t<line>\n", appended while the job runs) indexed line by
// line, so a page of events is one read however long the log grows. Only whole lines are
// indexed; a line being written shows up on the next refresh.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <string>
#include <vector>

namespace sagerun::server {

// What CloudWatch Logs returns at most per page: 10,000 events or 1 MiB, each event counting
// its message and 26 bytes; a message is at most 256 KiB.
inline constexpr size_t k_max_page_bytes = 1048576;
inline constexpr size_t k_event_overhead = 26;
inline constexpr size_t k_max_message = 256 * 1024;

class EventIndex {
public:
  explicit EventIndex(std::filesystem::path file) : m_file(std::move(file)) {}

  enum class Direction { forward, backward };
  // Called per event with its index, timestamp and message length; returning false ends the scan.
  using Visit = std::function<bool(size_t index, int64_t timestamp, uint32_t length)>;

  // Indexes the lines appended since the last refresh. Thread-safe, as are the readers below.
  // The file is opened per call: a server with many jobs holds no descriptor for each.
  void refresh();
  size_t size() const;
  // Visits events from `from` on (forward) or from `from` - 1 down (backward).
  void scan(size_t from, Direction direction, const Visit& visit) const;
  // The messages of events [first, last), read at once.
  std::vector<std::string> messages(size_t first, size_t last) const;
  // The file's modification time, in milliseconds (the last ingestion); 0 when unknown.
  int64_t modified_ms() const;

private:
  struct Line {
    uint64_t text_offset = 0;
    uint32_t text_length = 0;
    int64_t timestamp = 0;
  };

  std::filesystem::path m_file;
  mutable std::mutex m_mutex;
  uint64_t m_indexed = 0; // bytes of the file indexed so far
  std::vector<Line> m_lines;
};

// The messages of the given (ascending) event indices, one read per run of consecutive ones,
// each cut to k_max_message.
std::vector<std::string> read_messages(const EventIndex& events, const std::vector<size_t>& indices);

} // namespace sagerun::server
