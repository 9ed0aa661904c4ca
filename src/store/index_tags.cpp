// The index's tags table (Index::tags, add_tags, delete_tags) and the schema upgrade that made it.
#include <nlohmann/json.hpp>

#include "job/arn.hpp"
#include "job/service_error.hpp"
#include "store/index.hpp"

namespace sagerun::store {
namespace {

// The schema version this code writes (PRAGMA user_version): 1 added the tags table.
constexpr int64_t k_schema_version = 1;

} // namespace

Expected<void> Index::upgrade() {
  std::lock_guard lock(m_mutex);
  auto read_version = m_db.prepare("PRAGMA user_version");
  if (!read_version) return std::unexpected(read_version.error());
  auto step = read_version->step();
  if (!step) return std::unexpected(step.error());
  if (*step && read_version->integer(0) >= k_schema_version) return {};
  read_version->reset();
  // Read again inside the transaction: another process may have upgraded the index meanwhile.
  auto transaction = sqlite::Transaction::begin(m_db);
  if (!transaction) return std::unexpected(transaction.error());
  step = read_version->step();
  if (!step) return std::unexpected(step.error());
  const int64_t version = *step ? read_version->integer(0) : 0;
  read_version->reset();
  if (version >= k_schema_version) return {};
  // Version 1: the tags given at creation were kept in the requests only.
  auto requests = m_db.prepare("SELECT sequence, request FROM requests WHERE instr(request, '\"Tags\"') > 0 "
                               "ORDER BY sequence");
  if (!requests) return std::unexpected(requests.error());
  for (;;) {
    auto row = requests->step();
    if (!row) return std::unexpected(row.error());
    if (!*row) break;
    const auto request = nlohmann::json::parse(requests->text(1), nullptr, false);
    if (!request.is_object() || !request.contains("Tags")) continue;
    if (auto copied = insert_tags(requests->integer(0), job::read_tags(request["Tags"])); !copied) return copied;
  }
  if (auto set = m_db.exec("PRAGMA user_version = " + std::to_string(k_schema_version)); !set) return set;
  return transaction->commit();
}

Expected<void> Index::insert_tags(int64_t sequence, const std::vector<job::Tag>& tags) {
  if (tags.empty()) return {};
  auto upsert = m_db.prepare("INSERT INTO tags (sequence, key, value) VALUES (?1, ?2, ?3) "
                             "ON CONFLICT (sequence, key) DO UPDATE SET value = excluded.value");
  if (!upsert) return std::unexpected(upsert.error());
  for (const auto& tag : tags) {
    upsert->bind(1, sequence).bind(2, tag.key).bind(3, tag.value);
    if (auto done = upsert->run(); !done) return done;
  }
  return {};
}

Expected<int64_t> Index::tagged_job(const std::string& arn) {
  const auto name = job::training_job_name_in(arn);
  if (!name) return std::unexpected(job::tagged_resource_not_found(arn));
  // By name (indexed, regardless of case), then the whole ARN: a job of another region or account
  // is another job.
  auto select = m_db.prepare("SELECT sequence, arn FROM jobs WHERE name = ?1");
  if (!select) return std::unexpected(select.error());
  select->bind(1, *name);
  auto found = select->step();
  if (!found) return std::unexpected(found.error());
  if (!*found || !job::same_training_job(select->text(1), arn))
    return std::unexpected(job::tagged_resource_not_found(arn));
  return select->integer(0);
}

Expected<std::vector<job::Tag>> Index::read_tags(int64_t sequence) {
  auto select = m_db.prepare("SELECT key, value FROM tags WHERE sequence = ?1 ORDER BY rowid");
  if (!select) return std::unexpected(select.error());
  select->bind(1, sequence);
  std::vector<job::Tag> tags;
  for (;;) {
    auto step = select->step();
    if (!step) return std::unexpected(step.error());
    if (!*step) break;
    tags.push_back({select->text(0), select->text(1)});
  }
  return tags;
}

Expected<std::vector<job::Tag>> Index::tags(const std::string& arn) {
  std::lock_guard lock(m_mutex);
  auto sequence = tagged_job(arn);
  if (!sequence) return std::unexpected(sequence.error());
  return read_tags(*sequence);
}

Expected<std::vector<job::Tag>> Index::add_tags(const std::string& arn, const std::vector<job::Tag>& tags) {
  std::lock_guard lock(m_mutex);
  auto transaction = sqlite::Transaction::begin(m_db);
  if (!transaction) return std::unexpected(transaction.error());
  auto sequence = tagged_job(arn);
  if (!sequence) return std::unexpected(sequence.error());
  if (auto added = insert_tags(*sequence, tags); !added) return std::unexpected(added.error());
  auto now = read_tags(*sequence);
  if (!now) return std::unexpected(now.error());
  if (now->size() > job::k_max_tags) {
    return std::unexpected(job::too_many_tags(arn, now->size(), job::k_max_tags));
  }
  if (auto committed = transaction->commit(); !committed) return std::unexpected(committed.error());
  return now;
}

Expected<void> Index::delete_tags(const std::string& arn, const std::vector<std::string>& keys) {
  std::lock_guard lock(m_mutex);
  auto transaction = sqlite::Transaction::begin(m_db);
  if (!transaction) return std::unexpected(transaction.error());
  auto sequence = tagged_job(arn);
  if (!sequence) return std::unexpected(sequence.error());
  auto remove = m_db.prepare("DELETE FROM tags WHERE sequence = ?1 AND key = ?2");
  if (!remove) return std::unexpected(remove.error());
  for (const auto& key : keys) {
    remove->bind(1, *sequence).bind(2, key);
    if (auto done = remove->run(); !done) return done;
  }
  return transaction->commit();
}

} // namespace sagerun::store
