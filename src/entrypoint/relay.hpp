#pragma once
// Passes a child's output stream from a pipe to one of our descriptors byte for byte, keeping
// the last bytes for the failure file. When the target is itself a pipe (docker, a log agent, a
// shell pipeline), the bytes are duplicated with tee(2) without copying them through user space,
// and only the part the tail can hold is read.

#include <string>
#include <vector>

#include "util/fd.hpp"
#include "util/ring_buffer.hpp"

namespace sagerun::entrypoint {

class StreamRelay {
public:
  StreamRelay(int source, int target, size_t tail_bytes);

  // Moves what is available (blocking until something is, unless draining). False once the
  // source is closed, or empty when draining.
  enum class Mode { wait, drain };
  bool pump(Mode mode = Mode::wait);
  bool open() const { return m_open; }
  std::string tail() const { return m_tail.contents(); }

private:
  bool pump_by_tee(Mode mode);
  bool pump_by_copy();
  void keep_tail_of(size_t count);

  int m_source;
  int m_target;
  bool m_target_is_pipe = false;
  bool m_target_ok = true;
  bool m_open = true;
  util::UniqueFd m_null;
  util::RingBuffer m_tail;
  std::vector<char> m_buffer;
};

} // namespace sagerun::entrypoint
