#include "server/list_cache.hpp"

namespace sagerun::server {

std::optional<std::string> ListCache::find(const std::string& request, const store::IndexVersion& version) const {
  std::lock_guard lock(m_mutex);
  const auto it = m_entries.find(request);
  if (it == m_entries.end() || it->second.version != version) return std::nullopt;
  return it->second.answer;
}

void ListCache::keep(const std::string& request, const store::IndexVersion& version, const std::string& answer) {
  std::lock_guard lock(m_mutex);
  if (m_entries.size() >= m_capacity && !m_entries.contains(request)) m_entries.clear();
  m_entries[request] = Entry{version, answer};
}

} // namespace sagerun::server
