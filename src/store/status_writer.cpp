#include "store/status_writer.hpp"

namespace sagerun::store {

Expected<void> StatusWriter::write(const job::TrainingJobStatus& status) {
  (void)m_lock; // held for as long as this writer lives: the proof that it may write
  auto written = m_index.write_status(m_folder.name(), status);
  if (written || written.error().code != sqlite::k_disk_full) return written;
  // Only the final status spends the reserve: a stage lost on a full disk is no great loss, but
  // the reserve freed early could be eaten by the uploads before the job ends.
  if (!job::has_ended(status.status) || !m_folder.release_reserve()) return written;
  return m_index.write_status(m_folder.name(), status);
}

} // namespace sagerun::store
