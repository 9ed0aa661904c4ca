#pragma once
// DescribeTrainingJob's answers for the jobs whose answer changes only when their status is
// written (ended, or waiting for capacity): a repeated Describe is answered after one read of
// the stored status, with nothing parsed or built. A job that wants a runner is never kept, so
// its reader still notices a runner that died. Bounded; safe to share between threads.

#include <cstddef>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "store/index.hpp"

namespace sagerun::server {

class DescribeCache {
public:
  explicit DescribeCache(size_t capacity = 4096) : m_capacity(capacity) {}

  // The answer kept for exactly this version of the job, if any.
  std::optional<std::string> find(const store::StatusVersion& version) const;
  void keep(const store::StatusVersion& version, const std::string& answer);
  // Drops the answer of a deleted job (by its sequence).
  void forget(int64_t sequence);

private:
  struct Entry {
    std::string status_json;
    std::string answer;
  };
  mutable std::mutex m_mutex;
  std::unordered_map<int64_t, Entry> m_entries; // by job sequence
  size_t m_capacity;
};

} // namespace sagerun::server
