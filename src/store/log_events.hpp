#pragma once
// A host's log as CloudWatch Logs events, kept once: the log file byte for byte
// (logs/algo-N.log) and beside it a small times file (logs/algo-N.times) of marks "from this
// byte of the log on, output arrived at this time", written by the runner as output arrives —
// one mark per read of the host's output whose millisecond differs from the last, and one at the
// end of the output. Each mark is a tag byte, then the byte offset and the epoch milliseconds as
// deltas from the previous mark, in LEB128 (a few bytes each).
//
// The events are the log's lines (a line longer than k_max_message is cut into pieces), each as
// a terminal would show it last (after the last '\r' of a progress bar redrawn in place, without
// CR line ends), stamped with the mark in force where the line ends. The reader indexes whole
// lines as they arrive; a last line without a newline becomes an event once the end is marked.

#include <cstdint>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.hpp"
#include "util/fd.hpp"

namespace sagerun::store {

// CloudWatch Logs' limit on one event's message.
inline constexpr size_t k_max_message = 256 * 1024;

// The part of a line a terminal shows last: after the last '\r', without trailing '\r's.
std::string_view visible_text(std::string_view line);

// The runner's side: appends marks to the times file.
class LogTimesWriter {
public:
  // `log_size`: the bytes the log file holds already (a log appended to).
  static Expected<LogTimesWriter> open(const std::filesystem::path& file, uint64_t log_size);
  // Output from byte `offset` of the log on arrived at `epoch_ms`.
  void mark(uint64_t offset, int64_t epoch_ms);
  // The output ended at byte `offset`.
  void end(uint64_t offset, int64_t epoch_ms);

private:
  void append(char tag, uint64_t offset, int64_t epoch_ms);

  util::UniqueFd m_fd;
  uint64_t m_offset = 0;
  int64_t m_ms = 0;
  bool m_any = false;
};

class LogEvents {
public:
  LogEvents(std::filesystem::path log_file, std::filesystem::path times_file)
      : m_log(std::move(log_file)), m_times(std::move(times_file)) {}

  // Whether a host has a log there (also one of an older store, not yet upgraded).
  static bool present(const std::filesystem::path& log_file);

  enum class Direction { forward, backward };
  // Called per event with its index, timestamp and message length; returning false ends the scan.
  using Visit = std::function<bool(size_t index, int64_t timestamp, uint32_t length)>;

  // Indexes what the files gained since the last refresh. Thread-safe, as are the readers below.
  // The files are opened per call: a server with many jobs holds no descriptor for each.
  void refresh();
  size_t size() const;
  // Visits events from `from` on (forward) or from `from` - 1 down (backward).
  void scan(size_t from, Direction direction, const Visit& visit) const;
  // The messages of events [first, last), read at once.
  std::vector<std::string> messages(size_t first, size_t last) const;
  // The log's modification time, in milliseconds (the last ingestion); 0 when unknown.
  int64_t modified_ms() const;

private:
  struct Line {
    uint64_t text_offset = 0;
    uint32_t text_length = 0;
    int64_t timestamp = 0;
  };
  struct Mark {
    uint64_t offset = 0;
    int64_t epoch_ms = 0;
  };

  void read_marks();
  int64_t time_at(uint64_t offset);
  void add_line(uint64_t offset, std::string_view line);

  std::filesystem::path m_log;
  std::filesystem::path m_times;
  mutable std::mutex m_mutex;
  uint64_t m_times_read = 0; // bytes of the times file parsed
  Mark m_last;               // the sum of the deltas parsed
  std::vector<Mark> m_marks;
  size_t m_mark_at = 0;          // the mark in force at m_indexed
  std::optional<uint64_t> m_end; // where the output ended, once marked
  uint64_t m_indexed = 0;        // bytes of the log indexed so far
  std::vector<Line> m_lines;
};

// The messages of the given (ascending) event indices, one read per run of consecutive ones.
std::vector<std::string> read_messages(const LogEvents& events, const std::vector<size_t>& indices);

} // namespace sagerun::store
