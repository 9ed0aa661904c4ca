#pragma once
// ListTrainingJobs' answers kept while the index is unchanged: a page is the same text until a
// commit (a job created, a status written, by any process) moves the index's version on, so a
// repeated listing — a dashboard refreshing, a notebook polling — costs one version read. The
// caller checks for dead runners first (that may write, and so move the version). Bounded; safe
// to share between threads.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/index.hpp"

namespace sagerun::server {

class ListCache {
public:
  explicit ListCache(size_t capacity = 1024) : m_capacity(capacity) {}

  // `request`: the request's canonical text (its JSON with sorted keys).
  std::optional<std::string> find(const std::string& request, const store::IndexVersion& version) const;
  // `version`: read before the page was: a commit in between makes the answer look older than
  // it is, never newer, so it is only recomputed.
  void keep(const std::string& request, const store::IndexVersion& version, const std::string& answer);

private:
  struct Entry {
    store::IndexVersion version;
    std::string answer;
  };
  mutable std::mutex m_mutex;
  std::unordered_map<std::string, Entry> m_entries;
  size_t m_capacity;
};

} // namespace sagerun::server
