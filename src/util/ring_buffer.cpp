#include "util/ring_buffer.hpp"

#include <algorithm>

namespace sagerun::util {

RingBuffer::RingBuffer(size_t capacity) : m_buffer(std::max<size_t>(capacity, 1), '\0') {}

void RingBuffer::append(std::string_view data) {
  const size_t cap = m_buffer.size();
  if (data.size() >= cap) {
    m_truncated = m_truncated || m_size > 0 || data.size() > cap;
    data = data.substr(data.size() - cap);
    std::copy(data.begin(), data.end(), m_buffer.begin());
    m_start = 0;
    m_size = cap;
    return;
  }
  const size_t overflow = m_size + data.size() > cap ? m_size + data.size() - cap : 0;
  if (overflow > 0) {
    m_truncated = true;
    m_start = (m_start + overflow) % cap;
    m_size -= overflow;
  }
  const size_t end = (m_start + m_size) % cap;
  const size_t first = std::min(data.size(), cap - end);
  std::copy_n(data.data(), first, m_buffer.begin() + static_cast<std::ptrdiff_t>(end));
  std::copy_n(data.data() + first, data.size() - first, m_buffer.begin());
  m_size += data.size();
}

std::string RingBuffer::contents() const {
  std::string out;
  out.reserve(m_size);
  const size_t cap = m_buffer.size();
  const size_t first = std::min(m_size, cap - m_start);
  out.append(m_buffer, m_start, first);
  out.append(m_buffer, 0, m_size - first);
  return out;
}

std::string last_lines(std::string_view text, size_t budget) {
  while (!text.empty() && (text.back() == '\n' || text.back() == '\r'))
    text.remove_suffix(1);
  if (text.size() <= budget) return std::string(text);
  // Prefer whole lines: start after the first newline inside the window.
  std::string_view window = text.substr(text.size() - budget);
  if (text[text.size() - budget - 1] == '\n') return std::string(window); // starts on a line
  if (const auto newline = window.find('\n'); newline != std::string_view::npos && newline + 1 < window.size()) {
    return std::string(window.substr(newline + 1));
  }
  // One long line: keep its end, starting on a UTF-8 boundary.
  size_t skip = 0;
  while (skip < window.size() && (static_cast<unsigned char>(window[skip]) & 0xC0) == 0x80)
    ++skip;
  return std::string(window.substr(skip));
}

} // namespace sagerun::util
