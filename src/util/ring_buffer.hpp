#pragma once
// The last N bytes of a stream in fixed memory: the stderr tail of a failed script.

#include <cstddef>
#include <string>
#include <string_view>

namespace sagerun::util {

class RingBuffer {
public:
  explicit RingBuffer(size_t capacity);

  void append(std::string_view data);
  // The retained bytes, oldest first.
  std::string contents() const;
  size_t size() const { return m_size; }
  size_t capacity() const { return m_buffer.size(); }
  // True once bytes have been dropped to make room.
  bool truncated() const { return m_truncated; }

private:
  std::string m_buffer;
  size_t m_start = 0;
  size_t m_size = 0;
  bool m_truncated = false;
};

// The last whole lines of `text` that fit in `budget` bytes, never cutting a UTF-8 sequence.
std::string last_lines(std::string_view text, size_t budget);

} // namespace sagerun::util
