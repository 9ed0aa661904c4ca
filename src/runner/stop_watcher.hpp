#pragma once
// Stop requests reaching a job's runner (SIGTERM from `sagerun stop` or the server, Ctrl-C),
// taken at any time, whatever the runner is doing: a thread reads the signalfd, records the
// first request at once (`on_first`: the job's status goes to Stopping), and makes event_fd()
// readable for the supervision loop. A second request means "no more grace".

#include <atomic>
#include <functional>
#include <thread>

#include "util/fd.hpp"

namespace sagerun::runner {

class StopWatcher {
public:
  // `signal_fd` < 0: no signals are watched (tests); request() still works.
  StopWatcher(int signal_fd, std::function<void()> on_first);
  ~StopWatcher();
  StopWatcher(const StopWatcher&) = delete;
  StopWatcher& operator=(const StopWatcher&) = delete;

  // Readable once a request came; poll it, then call stops().
  int event_fd() const { return m_event.get(); }
  int stops() const { return m_stops.load(); }
  bool requested() const { return stops() > 0; }
  // A request from inside the process (tests, and the same path as a signal).
  void request();

private:
  void watch(int signal_fd);

  std::function<void()> m_on_first;
  std::atomic<int> m_stops{0};
  util::UniqueFd m_event; // eventfd: the supervision loop's wake-up
  util::UniqueFd m_quit;  // eventfd: ends the thread
  std::thread m_thread;
};

} // namespace sagerun::runner
