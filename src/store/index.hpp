#pragma once
// The store's index: one SQLite database per store (<root>/jobs.db, WAL) with a row per job —
// local and server jobs alike — holding its request (as validated when it came in) and its
// status in DescribeTrainingJob's terms. Listings run on ordered indexes, so a page costs
// O(page), whatever the number of jobs, filters included but for NameContains: that one reads
// the names in memory (name_index.hpp), then the page's rows. Several processes share it (runners, the CLI, the
// server); within one, calls are serialised.
//
// Who writes what: insert() the job's creator; write_status() only through StatusWriter, by the
// holder of the job's lock; request_stop() anyone (a stop is asked, not written); a job's tags
// anyone (AddTags, DeleteTags), each change one transaction; remove_ended() only through
// store::remove_ended_job (job_removal.hpp), under the job's lock.
//
// The index's schema has a version (PRAGMA user_version); an index of an older version is brought
// up to date, once, by whichever process opens it first (version 1: the tags table, filled from
// the Tags of the requests already stored).

#include <cstdint>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "job/status.hpp"
#include "job/tags.hpp"
#include "store/name_index.hpp"
#include "store/sqlite.hpp"
#include "util/error.hpp"

namespace sagerun::store {

// Who started the job, and so who runs it once it may start: `sagerun local`, or the server of
// this store (which also runs the jobs that waited for capacity).
enum class Origin { local, server };

struct JobRow {
  int64_t sequence = 0; // creation order, given by the index
  std::string name;
  Origin origin = Origin::local;
  int instances = 1;
  bool stop_requested = false;
  nlohmann::json request; // CreateTrainingJob, as validated when the job was created
  job::TrainingJobStatus status;
  std::string status_json; // `status` as stored (with `sequence`, its StatusVersion); empty until stored
};

// One row of ListTrainingJobs.
struct JobSummary {
  std::string name;
  std::string arn;
  job::JobStatus status = job::JobStatus::in_progress;
  job::SecondaryStatus secondary_status = job::SecondaryStatus::starting;
  double creation_time = 0;
  double last_modified_time = 0;
  std::optional<double> end_time;
};

// What the logs API needs to name a job's log streams.
struct LogSource {
  std::string name;
  double creation_time = 0;
  int instances = 1;
};

// A job that ran (its hosts started): what the metrics API lists.
struct MetricSource {
  int64_t sequence = 0; // creation order
  std::string name;
  int instances = 1;
};

enum class SortBy { creation_time, name, status };
enum class SortOrder { ascending, descending };

// ListTrainingJobs' filters, order and paging. NameContains is case-insensitive, as the service
// does it, in every front end.
struct ListQuery {
  std::optional<std::string> name_contains;
  std::optional<job::JobStatus> status_equals;
  std::optional<double> creation_after, creation_before; // strict bounds, epoch seconds
  std::optional<double> modified_after, modified_before;
  SortBy sort_by = SortBy::creation_time;
  SortOrder sort_order = SortOrder::descending;
  int max_results = 10;
  std::string next_token; // from the previous page; empty for the first
};

// Which state of the whole index a connection sees: it changes with every commit, by this
// connection or any other (another process's runner included). Two reads at the same version
// give the same answers.
struct IndexVersion {
  int64_t data_version = 0;  // commits by other connections
  int64_t total_changes = 0; // rows changed by this one
  bool operator==(const IndexVersion&) const = default;
};

struct ListPage {
  std::vector<JobSummary> jobs;
  std::string next_token; // empty on the last page
};

// Which version of a job's status the index holds: the status as stored, unparsed. Two reads
// that give the same version give the same DescribeTrainingJob answer (the request never changes).
struct StatusVersion {
  int64_t sequence = 0;
  std::string status_json;
  bool operator==(const StatusVersion&) const = default;
};

class Index {
public:
  static Expected<std::unique_ptr<Index>> open(const std::filesystem::path& file);

  // Adds a job; ResourceInUse (error code) when a job of that name exists, in any case.
  Expected<void> insert(JobRow& row);
  // Adds many jobs in one transaction (a store carried over, a benchmark's seed): all or none.
  Expected<void> insert_all(std::vector<JobRow>& rows);
  std::optional<JobRow> find(const std::string& name);
  std::optional<StatusVersion> status_version(const std::string& name);
  Expected<ListPage> list(const ListQuery& query);
  std::optional<IndexVersion> version();
  // Jobs not yet ended, in creation order (for reconciliation and the scheduler).
  Expected<std::vector<JobRow>> active();
  // The names of the jobs a runner should be running now (active, not waiting for capacity), in
  // creation order: what a listing checks for dead runners, read without parsing a status.
  Expected<std::vector<std::string>> running();
  Expected<void> request_stop(const std::string& name);
  // The jobs whose names start with `prefix` (case as given), by name.
  Expected<std::vector<LogSource>> log_sources(const std::string& prefix);
  // Up to `limit` jobs that ran (TrainingStartTime set) created after `after_sequence`, in
  // creation order, read from a partial index of those jobs alone: a page costs O(page) however
  // many jobs never ran.
  Expected<std::vector<MetricSource>> metric_sources(int64_t after_sequence, size_t limit);
  Expected<void> remove(const std::string& name);
  // Deletes the row of an ended job (Completed, Failed, Stopped) in one statement — its request
  // and tags go with it (foreign keys) — and returns its sequence; nullopt when the store has no
  // ended job of that name, so a job that has not ended is never deleted (index_removal.cpp).
  Expected<std::optional<int64_t>> remove_ended(const std::string& name);
  // The names of the ended jobs whose end time (their creation time where they never ran) is
  // before `cutoff` (epoch seconds), the oldest first: what `sagerun prune` deletes.
  Expected<std::vector<std::string>> ended_before(double cutoff);

  // Through StatusWriter only: the lock holder's record.
  Expected<void> write_status(const std::string& name, const job::TrainingJobStatus& status);

  // Tags, of the job an ARN names (the TrainingJobArn it was given, its name in any case);
  // an ARN that names no job of the store is a ValidationException naming it. A job's tags keep
  // the order they were first given in; they are removed with the job.
  Expected<std::vector<job::Tag>> tags(const std::string& arn);
  // Adds `tags`, a key the job has already getting the new value in its place; the job's tags
  // after. More than job::k_max_tags in all is a ValidationException, and nothing changes.
  Expected<std::vector<job::Tag>> add_tags(const std::string& arn, const std::vector<job::Tag>& tags);
  // Removes the keys the job has; the others are no error.
  Expected<void> delete_tags(const std::string& arn, const std::vector<std::string>& keys);

  sqlite::Database& database() { return m_db; }

private:
  explicit Index(sqlite::Database db) : m_db(std::move(db)) {}
  // Brings an index of an older schema version up to date (index_tags.cpp for version 1).
  Expected<void> upgrade();
  // Within a transaction, under m_mutex.
  Expected<void> insert_row(JobRow& row);
  Expected<void> insert_tags(int64_t sequence, const std::vector<job::Tag>& tags);
  // Under m_mutex: the sequence of the job `arn` names.
  Expected<int64_t> tagged_job(const std::string& arn);
  Expected<std::vector<job::Tag>> read_tags(int64_t sequence);
  Expected<JobRow> read_row(sqlite::Statement& select, bool with_request);
  Expected<std::vector<JobRow>> select_rows(const std::string& sql, bool with_request);
  // Under m_mutex: the sequences of the jobs whose names contain `lowered`, as a JSON array, when
  // there are few; nullopt when SQLite should test every name itself.
  Expected<std::optional<std::string>> rare_matches(const std::string& lowered);

  std::mutex m_mutex;
  sqlite::Database m_db;
  NameIndex m_names; // filled on the first NameContains
};

std::string_view to_string(Origin origin);

} // namespace sagerun::store
