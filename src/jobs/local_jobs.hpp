#pragma once
// The jobs of this machine's store, for every front end (`sagerun local|describe|list|stop|rm|logs`,
// the server's API): created once from a validated request, described and listed from the
// index, stopped by asking their runner. Reading a job whose runner is gone reconciles it first
// (reconcile.hpp), so no front end ever shows a dead job as running.
//
// Who writes a job's status: its creator (the first record, under the job's lock), then its
// runner (holding the lock), then a reconciler (taking the lock once the runner is gone). A job
// waiting for capacity (Pending) holds no lock: its server dispatches it, or a stop ends it,
// each under the lock.

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "job/request.hpp"
#include "job/tags.hpp"
#include "jobs/reconcile.hpp"
#include "store/job_removal.hpp"
#include "store/runner_lock.hpp"
#include "store/store.hpp"
#include "util/error.hpp"

namespace sagerun::jobs {

struct NewJob {
  job::TrainingJobRequest request; // validated (job::parse_request)
  store::Origin origin = store::Origin::local;
  std::string region = "us-east-1";
  std::string account = "000000000000";
  // Pending: the job waits for capacity (the server's queue) instead of starting.
  bool waits = false;
  std::string pending_message;
};

struct CreatedJob {
  store::JobRow row;
  std::optional<store::JobLock> lock; // held unless the job waits: run it, or hand it to a runner
};

class LocalJobs {
public:
  LocalJobs(store::Store& store, UploadAborter* aborter) : m_store(store), m_aborter(aborter) {}

  store::Store& store() { return m_store; }

  // CreateTrainingJob: ResourceInUse when the name is taken (in any case).
  Expected<CreatedJob> create(const NewJob& job);
  // The job as it is now (reconciled); ValidationException "Requested resource not found."
  Expected<store::JobRow> find(const std::string& name);
  // DescribeTrainingJob's answer.
  Expected<nlohmann::json> describe(const std::string& name);
  // ListTrainingJobs, after reconciling the jobs whose runners are gone.
  Expected<store::ListPage> list(const store::ListQuery& query);
  // StopTrainingJob: a waiting job ends Stopped at once; a running one is asked (its runner gets
  // SIGTERM) and this returns once it shows Stopping. ValidationException for an ended job.
  Expected<void> stop(const std::string& name);
  // DeleteTrainingJob: the ended job deleted entirely (store/job_removal.hpp), a job whose runner
  // is gone reconciled first; ResourceNotFound, or ResourceInUse for a job that has not ended.
  Expected<store::RemovedJob> remove(const std::string& name);
  // The ended jobs whose end (or creation) is before `cutoff`, epoch seconds, oldest first.
  Expected<std::vector<std::string>> ended_before(double cutoff);
  // ListTags, AddTags (the job's tags after), DeleteTags, of the job `arn` names: any job of the
  // store, its tags as the index keeps them (store::Index::tags).
  Expected<std::vector<job::Tag>> tags(const std::string& arn);
  Expected<std::vector<job::Tag>> add_tags(const std::string& arn, const std::vector<job::Tag>& tags);
  Expected<void> delete_tags(const std::string& arn, const std::vector<std::string>& keys);

  // A runner the caller started has ended (waitpid's status): its job is reconciled now if its
  // runner did not end it.
  void runner_ended(const std::string& name, int wait_status);
  // Every job whose runner is gone (a server starting, a CLI listing).
  void reconcile_all();

private:
  store::Store& m_store;
  UploadAborter* m_aborter;
};

// ListTrainingJobs' and DescribeTrainingJob's answers; list_page_text is list_page_json's text
// (json::dump's), written directly.
std::string list_page_text(const store::ListPage& page);
nlohmann::json list_page_json(const store::ListPage& page);
nlohmann::json describe_json(const store::JobRow& row);

} // namespace sagerun::jobs
