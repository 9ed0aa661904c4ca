#pragma once
// The store's job names, lower-cased, in one contiguous buffer: what NameContains searches when
// it is rare. SQLite can only test `instr(lower(name), …)` row by row, a whole table per page
// when few names match; a search of this buffer finds every match of 100,000 names in well
// under a millisecond, and the page is then read by sequence. Names never change and sequences
// are never reused, so the buffer only grows: it takes in the jobs added since it last looked
// (by any process), and a job removed since stays in it, to be skipped where its row is read.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/sqlite.hpp"
#include "util/error.hpp"

namespace sagerun::store {

class NameIndex {
public:
  // Takes in the rows of `db` added since the last call (every row on the first).
  Expected<void> catch_up(sqlite::Database& db);
  // The sequences of the jobs whose lower-cased name contains `lowered` (lower-case, no '\n'), in
  // no particular order; nullopt once there are more than `limit` of them.
  std::optional<std::vector<int64_t>> matching(std::string_view lowered, size_t limit) const;
  size_t size() const { return m_sequences.size(); }

private:
  std::string m_names;            // "name\n" per job, lower-cased
  std::vector<uint32_t> m_starts; // where each name starts in m_names
  std::vector<int64_t> m_sequences;
  int64_t m_last_sequence = 0;
};

} // namespace sagerun::store
