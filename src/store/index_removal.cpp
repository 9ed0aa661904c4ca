// The index's part of deleting jobs (Index::remove_ended, ended_before): the row goes in one
// statement, with its request and tags by foreign key, and only while the job shows ended.
#include "store/index.hpp"

namespace sagerun::store {

Expected<std::optional<int64_t>> Index::remove_ended(const std::string& name) {
  std::lock_guard lock(m_mutex);
  auto remove = m_db.prepare("DELETE FROM jobs WHERE name = ?1 AND status IN ('Completed', 'Failed', 'Stopped') "
                             "RETURNING sequence");
  if (!remove) return std::unexpected(remove.error());
  remove->bind(1, name);
  auto step = remove->step();
  if (!step) return std::unexpected(step.error());
  if (!*step) return std::optional<int64_t>();
  const int64_t sequence = remove->integer(0);
  // The delete is done by the first step, but commits only when the statement ends.
  if (auto done = remove->run(); !done) return std::unexpected(done.error());
  return std::optional<int64_t>(sequence);
}

Expected<std::vector<std::string>> Index::ended_before(double cutoff) {
  std::lock_guard lock(m_mutex);
  auto select = m_db.prepare("SELECT name FROM jobs WHERE status IN ('Completed', 'Failed', 'Stopped') AND "
                             "coalesce(end_time, creation_time) < ?1 ORDER BY coalesce(end_time, creation_time), name");
  if (!select) return std::unexpected(select.error());
  select->bind(1, cutoff);
  return select->first_column_texts();
}

} // namespace sagerun::store
