#pragma once
// The one writer of a job's status: whoever holds the job's lock — its runner while it lives,
// then the reconciler that finds it gone (a JobLock in hand is the proof). Writes go to the
// index; when the disk is full, the final status releases the job's reserve and is written
// again, so a job that filled the disk still ends with its real reason recorded.

#include "job/status.hpp"
#include "store/index.hpp"
#include "store/job_folder.hpp"
#include "store/runner_lock.hpp"
#include "util/error.hpp"

namespace sagerun::store {

class StatusWriter {
public:
  StatusWriter(Index& index, JobFolder folder, const JobLock& lock)
      : m_index(index), m_folder(std::move(folder)), m_lock(lock) {}

  Expected<void> write(const job::TrainingJobStatus& status);
  const JobFolder& folder() const { return m_folder; }

private:
  Index& m_index;
  JobFolder m_folder;
  const JobLock& m_lock;
};

} // namespace sagerun::store
