// Jobs of the earlier layouts carried into one store: a server's own store (its SQLite rows and
// job folders, at --state-dir or at the old default <home>/server) and `sagerun local`'s
// folder-only jobs.

#include "store/migrate.hpp"

#include <gtest/gtest.h>

#include "job/lifecycle.hpp"
#include "store/sqlite.hpp"
#include "store/store.hpp"
#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::store {
namespace {

using nlohmann::json;
namespace fs = std::filesystem;

// The schema the server used before the store was shared.
constexpr std::string_view k_old_schema = R"sql(
CREATE TABLE training_jobs (
  sequence INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL UNIQUE COLLATE NOCASE,
  creation_time REAL NOT NULL, last_modified_time REAL NOT NULL, status TEXT NOT NULL,
  secondary_status TEXT NOT NULL, instances INTEGER NOT NULL, phase TEXT NOT NULL,
  runner_pid INTEGER NOT NULL DEFAULT 0, stop_requested INTEGER NOT NULL DEFAULT 0,
  request TEXT NOT NULL, status_json TEXT NOT NULL);
)sql";

json request(const std::string& name, int instances = 1) {
  return {{"TrainingJobName", name},
          {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", instances}, {"VolumeSizeInGB", 1}}}};
}

void old_row(sqlite::Database& db, const std::string& name, const job::TrainingJobStatus& status,
             const std::string& phase, int instances = 1) {
  auto insert = db.prepare("INSERT INTO training_jobs (name, creation_time, last_modified_time, status, "
                           "secondary_status, instances, phase, request, status_json) VALUES "
                           "(?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
  ASSERT_TRUE(insert);
  insert->bind(1, name)
      .bind(2, status.creation_time)
      .bind(3, job::to_string(status.status))
      .bind(4, job::to_string(status.secondary_status))
      .bind(5, static_cast<int64_t>(instances))
      .bind(6, phase)
      .bind(7, request(name, instances).dump())
      .bind(8, job::to_json(status).dump());
  ASSERT_TRUE(insert->run());
}

job::TrainingJobStatus status_of(const std::string& name, job::JobStatus end) {
  auto status = job::new_status(name, "arn:" + name, 1700000000);
  if (end == job::JobStatus::completed) job::complete(status, 1700000050);
  if (end == job::JobStatus::failed) job::fail(status, "AlgorithmError: x", 1700000050);
  return status;
}

// An old server store in `dir`: a finished job (its folder's status.json newer than its row), a
// waiting one (no folder yet) and one that was running.
void make_old_server_store(const fs::path& dir) {
  ASSERT_TRUE(util::make_directories(dir / "jobs/done/logs"));
  ASSERT_TRUE(util::make_directories(dir / "jobs/running"));
  auto db = sqlite::Database::open(dir / "sagerun.db");
  ASSERT_TRUE(db);
  ASSERT_TRUE(db->exec(k_old_schema));
  old_row(*db, "done", status_of("done", job::JobStatus::in_progress), "running");
  old_row(*db, "waiting", job::new_status("waiting", "arn:w", 1700000001, job::SecondaryStatus::pending), "queued", 2);
  old_row(*db, "running", status_of("running", job::JobStatus::in_progress), "running");
  ASSERT_TRUE(util::write_file_atomic(dir / "jobs/done/status.json",
                                      job::to_json(status_of("done", job::JobStatus::completed)).dump()));
  ASSERT_TRUE(util::write_file_atomic(dir / "jobs/done/logs/algo-1.log", "hello\n"));
}

void expect_carried_over(Store& store) {
  const auto done = store.index().find("done");
  ASSERT_TRUE(done);
  EXPECT_EQ(done->status.status, job::JobStatus::completed); // the folder's newer status won
  EXPECT_EQ(done->origin, Origin::server);
  EXPECT_EQ(util::read_file(store.folder("done").log_file(0)).value_or(""), "hello\n");
  EXPECT_FALSE(util::is_file(store.folder("done").path() / "status.json"));
  const auto waiting = store.index().find("waiting");
  ASSERT_TRUE(waiting);
  EXPECT_EQ(waiting->status.secondary_status, job::SecondaryStatus::pending);
  EXPECT_EQ(waiting->instances, 2);
  EXPECT_TRUE(store.folder("waiting").exists());
  EXPECT_TRUE(store.index().find("running"));
}

TEST(Migrate, AServerStoreAtTheRootIsImportedInPlace) {
  test::TempDir dir;
  make_old_server_store(dir.path());
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  expect_carried_over(**store);
  EXPECT_FALSE(util::is_file(dir.path() / "sagerun.db"));
  EXPECT_TRUE(util::is_file(dir.path() / "sagerun.db.imported"));
  // Opening again imports nothing twice.
  store->reset();
  auto again = Store::open(dir.path());
  ASSERT_TRUE(again);
  expect_carried_over(**again);
}

TEST(Migrate, TheOldDefaultServerStoreMovesIntoTheHome) {
  test::TempDir dir;
  make_old_server_store(dir.path() / "server");
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  expect_carried_over(**store);
  EXPECT_FALSE(fs::exists(dir.path() / "server/jobs/done"));
  EXPECT_TRUE(fs::exists(dir.path() / "jobs/done"));
}

TEST(Migrate, FolderOnlyLocalJobsAreImportedWhenTheIndexIsNew) {
  test::TempDir dir;
  const auto folder = dir.path() / "jobs/local-1";
  ASSERT_TRUE(util::make_directories(folder / "logs"));
  ASSERT_TRUE(util::write_file_atomic(folder / "request.json", request("local-1", 2).dump()));
  ASSERT_TRUE(util::write_file_atomic(folder / "status.json",
                                      job::to_json(status_of("local-1", job::JobStatus::failed)).dump()));
  ASSERT_TRUE(util::make_directories(dir.path() / "jobs/not-a-job"));
  auto store = Store::open(dir.path());
  ASSERT_TRUE(store) << store.error().message;
  const auto row = (*store)->index().find("local-1");
  ASSERT_TRUE(row);
  EXPECT_EQ(row->origin, Origin::local);
  EXPECT_EQ(row->instances, 2);
  EXPECT_EQ(row->status.failure_reason, "AlgorithmError: x");
  EXPECT_FALSE((*store)->index().find("not-a-job"));
  EXPECT_FALSE(util::is_file(folder / "status.json"));
}

} // namespace
} // namespace sagerun::store
