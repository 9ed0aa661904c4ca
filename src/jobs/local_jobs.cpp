#include "jobs/local_jobs.hpp"

#include <signal.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <cmath>
#include <thread>

#include "job/arn.hpp"
#include "job/lifecycle.hpp"
#include "job/service_error.hpp"
#include "job/status.hpp"
#include "store/status_writer.hpp"

namespace sagerun::jobs {

Expected<CreatedJob> LocalJobs::create(const NewJob& job) {
  const auto& request = job.request;
  const auto folder = m_store.folder(request.job_name);
  const std::string arn = job::training_job_arn(job.region, job.account, request.job_name);
  const auto taken = [&](util::Error error) {
    if (error.code == "ResourceInUse") error = job::name_in_use(arn);
    return std::unexpected(std::move(error));
  };
  // The folder and its lock first: the job is not in the index (so nobody looks for it) until
  // its creator holds the lock, and a reconciler never takes a job being born for a dead one.
  if (auto made = folder.create(); !made) return taken(made.error());
  auto lock = store::JobLock::acquire(folder.lock_file());
  if (!lock) {
    folder.remove();
    return std::unexpected(lock.error());
  }
  CreatedJob created;
  auto& row = created.row;
  row.name = request.job_name;
  row.origin = job.origin;
  row.instances = request.instance_count;
  row.request = job::to_json(request);
  const double now = job::now_seconds();
  row.status = job::new_status(request.job_name, arn, now,
                               job.waits ? job::SecondaryStatus::pending : job::SecondaryStatus::starting,
                               job.waits ? job.pending_message : std::string());
  if (auto inserted = m_store.index().insert(row); !inserted) {
    folder.remove();
    return taken(inserted.error());
  }
  if (!job.waits) created.lock = std::move(*lock);
  return created;
}

Expected<store::JobRow> LocalJobs::find(const std::string& name) {
  auto row = m_store.index().find(name);
  if (!row) return std::unexpected(job::job_not_found());
  if (wants_runner(*row) && !store::is_locked(m_store.folder(row->name).lock_file())) {
    if (reconcile(m_store, row->name, std::nullopt, m_aborter)) row = m_store.index().find(name);
    if (!row) return std::unexpected(job::job_not_found());
  }
  return std::move(*row);
}

Expected<nlohmann::json> LocalJobs::describe(const std::string& name) {
  auto row = find(name);
  if (!row) return std::unexpected(row.error());
  return describe_json(*row);
}

void LocalJobs::reconcile_all() {
  // By name only: a listing runs this on every call, and the jobs waiting for capacity (any
  // number of them) have no runner to lose. reconcile() reads the job again under its lock.
  auto running = m_store.index().running();
  if (!running) return;
  for (const auto& name : *running) {
    if (!store::is_locked(m_store.folder(name).lock_file())) reconcile(m_store, name, std::nullopt, m_aborter);
  }
}

Expected<store::ListPage> LocalJobs::list(const store::ListQuery& query) {
  reconcile_all();
  return m_store.index().list(query);
}

void LocalJobs::runner_ended(const std::string& name, int wait_status) {
  reconcile(m_store, name, wait_status, m_aborter);
}

Expected<void> LocalJobs::stop(const std::string& name) {
  using Clock = std::chrono::steady_clock;
  const auto give_up = Clock::now() + std::chrono::seconds(5);
  bool asked = false;
  for (;; std::this_thread::sleep_for(std::chrono::milliseconds(10))) {
    auto row = find(name);
    if (!row) return std::unexpected(row.error());
    const auto& status = row->status;
    const auto folder = m_store.folder(row->name);
    if (status.status == job::JobStatus::stopping || (asked && job::has_ended(status.status))) return {};
    if (job::has_ended(status.status)) {
      return std::unexpected(job::validation_error("The request was rejected because the training job is in status " +
                                                   std::string(job::to_string(status.status)) + "."));
    }
    if (Clock::now() >= give_up) {
      return util::fail(util::ErrorKind::io,
                        "job " + row->name + " was asked to stop but its runner has not answered within 5 s");
    }
    if (status.secondary_status == job::SecondaryStatus::pending) {
      // Nobody runs it: whoever takes the lock ends it (else its server is starting it: look again).
      auto lock = store::JobLock::try_acquire(folder.lock_file());
      if (!lock) return std::unexpected(lock.error());
      if (!*lock) continue;
      auto now = m_store.index().find(row->name);
      if (!now || now->status.secondary_status != job::SecondaryStatus::pending) continue;
      auto ended = now->status;
      job::stopped(ended, job::SecondaryStatus::stopped, job::now_seconds());
      return store::StatusWriter(m_store.index(), folder, **lock).write(ended);
    }
    if (asked) continue; // waiting for the runner to show Stopping
    // Asked once, in the index (a runner that dies now still ends Stopped) and by SIGTERM: a
    // second SIGTERM would mean "no more grace".
    if (auto recorded = m_store.index().request_stop(row->name); !recorded) return recorded;
    if (const auto holder = store::recorded_holder(folder.lock_file()); holder && store::is_running(*holder)) {
      ::kill(holder->pid, SIGTERM);
      asked = true;
    } else if (!store::is_locked(folder.lock_file())) {
      reconcile(m_store, row->name, std::nullopt, m_aborter); // gone already: it ends Stopped
      asked = true;
    } // else a runner starting, not yet named in its lock file: look again
  }
}

Expected<store::RemovedJob> LocalJobs::remove(const std::string& name) {
  // A job whose runner is gone ends first (reconciled, as any reader does), then goes as any ended job.
  if (auto row = find(name); !row) return std::unexpected(job::training_job_not_found(name));
  return store::remove_ended_job(m_store, name);
}

Expected<std::vector<std::string>> LocalJobs::ended_before(double cutoff) {
  reconcile_all();
  return m_store.index().ended_before(cutoff);
}

Expected<std::vector<job::Tag>> LocalJobs::tags(const std::string& arn) { return m_store.index().tags(arn); }

Expected<std::vector<job::Tag>> LocalJobs::add_tags(const std::string& arn, const std::vector<job::Tag>& tags) {
  return m_store.index().add_tags(arn, tags);
}

Expected<void> LocalJobs::delete_tags(const std::string& arn, const std::vector<std::string>& keys) {
  return m_store.index().delete_tags(arn, keys);
}

namespace {

// Pieces of ListTrainingJobs' answer written as nlohmann::json would write them, without
// building its tree: a page is the server's most frequent answer after Describe.
void append_string(std::string& out, std::string_view text) {
  const bool plain = std::ranges::all_of(text, [](char c) {
    const auto byte = static_cast<unsigned char>(c);
    return byte >= 0x20 && byte < 0x80 && c != '"' && c != '\\';
  });
  if (!plain) {
    out += nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    return;
  }
  out += '"';
  out += text;
  out += '"';
}

void append_number(std::string& out, double value) {
  // nlohmann writes the shortest text that reads back, with ".0" on whole numbers, in fixed
  // notation up to 1e15; epoch seconds are always in that range, anything else is its to write.
  const double size = std::abs(value);
  if (!std::isfinite(value) || (size != 0 && (size < 1e-3 || size >= 1e15))) {
    out += nlohmann::json(value).dump();
    return;
  }
  char buffer[64];
  const auto written = std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed);
  const std::string_view text(buffer, static_cast<size_t>(written.ptr - buffer));
  out += text;
  if (text.find('.') == std::string_view::npos) out += ".0";
}

void append_field(std::string& out, std::string_view name, std::string_view text) {
  out += ',';
  append_string(out, name);
  out += ':';
  append_string(out, text);
}

} // namespace

std::string list_page_text(const store::ListPage& page) {
  std::string out = "{";
  out.reserve(64 + page.next_token.size() + page.jobs.size() * 320);
  if (!page.next_token.empty()) {
    append_string(out, "NextToken");
    out += ':';
    append_string(out, page.next_token);
    out += ',';
  }
  out += "\"TrainingJobSummaries\":[";
  for (const auto& job : page.jobs) {
    out += out.back() == '[' ? "{" : ",{";
    // Keys in nlohmann's order (sorted), so both writers give the same text.
    append_string(out, "CreationTime");
    out += ':';
    append_number(out, job.creation_time);
    out += ",\"LastModifiedTime\":";
    append_number(out, job.last_modified_time);
    append_field(out, "SecondaryStatus", job::to_string(job.secondary_status));
    if (job.end_time) {
      out += ",\"TrainingEndTime\":";
      append_number(out, *job.end_time);
    }
    append_field(out, "TrainingJobArn", job.arn);
    append_field(out, "TrainingJobName", job.name);
    append_field(out, "TrainingJobStatus", job::to_string(job.status));
    out += '}';
  }
  out += "]}";
  return out;
}

nlohmann::json list_page_json(const store::ListPage& page) { return nlohmann::json::parse(list_page_text(page)); }

nlohmann::json describe_json(const store::JobRow& row) {
  return job::describe_json(job::read_checked_request(row.request), row.status);
}

} // namespace sagerun::jobs
