#include "server/describe_cache.hpp"

namespace sagerun::server {

std::optional<std::string> DescribeCache::find(const store::StatusVersion& version) const {
  std::lock_guard lock(m_mutex);
  const auto found = m_entries.find(version.sequence);
  if (found == m_entries.end() || found->second.status_json != version.status_json) return std::nullopt;
  return found->second.answer;
}

void DescribeCache::keep(const store::StatusVersion& version, const std::string& answer) {
  if (version.status_json.empty() || m_capacity == 0) return;
  std::lock_guard lock(m_mutex);
  if (m_entries.size() >= m_capacity && !m_entries.contains(version.sequence)) m_entries.erase(m_entries.begin());
  m_entries[version.sequence] = Entry{version.status_json, answer};
}

void DescribeCache::forget(int64_t sequence) {
  std::lock_guard lock(m_mutex);
  m_entries.erase(sequence);
}

} // namespace sagerun::server
