#include "entrypoint/relay.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

namespace sagerun::entrypoint {
namespace {

constexpr size_t k_chunk = 1 << 20;

bool is_pipe(int fd) {
  struct stat st{};
  return ::fstat(fd, &st) == 0 && S_ISFIFO(st.st_mode);
}

} // namespace

StreamRelay::StreamRelay(int source, int target, size_t tail_bytes)
    : m_source(source), m_target(target), m_target_is_pipe(is_pipe(target)),
      m_null(::open("/dev/null", O_WRONLY | O_CLOEXEC)), m_tail(tail_bytes), m_buffer(1 << 16) {}

bool StreamRelay::pump(Mode mode) {
  if (!m_open) return false;
  if (m_target_is_pipe && m_target_ok) return pump_by_tee(mode);
  if (mode == Mode::drain) ::fcntl(m_source, F_SETFL, O_NONBLOCK);
  return pump_by_copy();
}

bool StreamRelay::pump_by_tee(Mode mode) {
  const ssize_t n = ::tee(m_source, m_target, k_chunk, mode == Mode::drain ? SPLICE_F_NONBLOCK : 0);
  if (n > 0) {
    keep_tail_of(static_cast<size_t>(n));
    return true;
  }
  if (n == 0) { // no writer left and nothing buffered
    m_open = false;
    return false;
  }
  if (errno == EINTR) return true;
  if (errno == EAGAIN) return false;
  if (errno == EPIPE) m_target_ok = false; // nobody reads our output any more: keep the tail only
  m_target_is_pipe = false;                // EINVAL and the like: copy instead
  return pump_by_copy();
}

// The bytes are in the target already; consume them from the source, reading only the part the
// tail can hold and discarding the rest into /dev/null without a copy.
void StreamRelay::keep_tail_of(size_t count) {
  size_t skip = count > m_tail.capacity() ? count - m_tail.capacity() : 0;
  while (skip > 0 && m_null.valid()) {
    const ssize_t n = ::splice(m_source, nullptr, m_null.get(), nullptr, skip, 0);
    if (n <= 0) break;
    skip -= static_cast<size_t>(n);
    count -= static_cast<size_t>(n);
  }
  while (count > 0) {
    const ssize_t n = ::read(m_source, m_buffer.data(), std::min(count, m_buffer.size()));
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    m_tail.append(std::string_view(m_buffer.data(), static_cast<size_t>(n)));
    count -= static_cast<size_t>(n);
  }
}

bool StreamRelay::pump_by_copy() {
  const ssize_t n = ::read(m_source, m_buffer.data(), m_buffer.size());
  if (n > 0) {
    const std::string_view chunk(m_buffer.data(), static_cast<size_t>(n));
    if (m_target_ok) m_target_ok = util::write_all(m_target, chunk);
    m_tail.append(chunk);
    return true;
  }
  if (n < 0 && errno == EINTR) return true;
  if (n < 0 && errno == EAGAIN) return false;
  m_open = false;
  return false;
}

} // namespace sagerun::entrypoint
