#include "store/name_index.hpp"

#include <algorithm>

#include "util/text.hpp"

namespace sagerun::store {

Expected<void> NameIndex::catch_up(sqlite::Database& db) {
  // The first time, every name from the names' own index (a few bytes a job, where the table's
  // rows hold whole statuses); then the rows past the last one taken, by key. Sequences only grow
  // (one writer at a time, never reused), so none is missed.
  auto select = m_sequences.empty() ? db.prepare("SELECT sequence, name FROM jobs ORDER BY name")
                                    : db.prepare("SELECT sequence, name FROM jobs WHERE sequence > ?1");
  if (!select) return std::unexpected(select.error());
  if (!m_sequences.empty()) select->bind(1, m_last_sequence);
  for (;;) {
    auto step = select->step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    m_sequences.push_back(select->integer(0));
    m_last_sequence = std::max(m_last_sequence, m_sequences.back());
    m_starts.push_back(static_cast<uint32_t>(m_names.size()));
    m_names += util::ascii_lower(select->text(1));
    m_names += '\n';
  }
  return {};
}

std::optional<std::vector<int64_t>> NameIndex::matching(std::string_view lowered, size_t limit) const {
  std::vector<int64_t> found;
  const std::string_view names(m_names);
  for (size_t at = names.find(lowered); at != std::string_view::npos;) {
    // The name holding the match; the search goes on after it (one match per name).
    const auto next = std::upper_bound(m_starts.begin(), m_starts.end(), static_cast<uint32_t>(at));
    if (found.size() == limit) return std::nullopt;
    found.push_back(m_sequences[static_cast<size_t>(next - m_starts.begin()) - 1]);
    if (next == m_starts.end()) break;
    at = names.find(lowered, *next);
  }
  return found;
}

} // namespace sagerun::store
