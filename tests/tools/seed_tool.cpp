// Benchmark helper: fills a store with ended training jobs, quickly.
//   seed_tool STORE_ROOT COUNT
// Each job is a validated CreateTrainingJob request (job::parse_request) with a status moved
// through the job lifecycle (Starting → Training → Completed, Failed or Stopped: 6, 2 and 2 in
// 10), inserted into the store's index in one transaction. One job in 1,000 (and the first) is
// named "bench-Rare-NNNNNNN", the rest "bench-job-NNNNNNN", so NameContains "rare" matches 0.1 %.
// Creation times are a second apart, ending now. The jobs have no folders: they have ended, so
// nothing reads one but `sagerun logs`. Prints the time taken; exit 1 with the message on failure.
#include <chrono>
#include <cstdio>
#include <string>
#include <vector>

#include "job/arn.hpp"
#include "job/lifecycle.hpp"
#include "job/request.hpp"
#include "job/status.hpp"
#include "store/store.hpp"

namespace {

using namespace sagerun;

nlohmann::json request_for(const std::string& name) {
  return {{"TrainingJobName", name},
          {"AlgorithmSpecification",
           {{"TrainingImage", "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagerun:latest"},
            {"TrainingInputMode", "File"}}},
          {"RoleArn", "arn:aws:iam::123456789012:role/SageMakerRole"},
          {"OutputDataConfig", {{"S3OutputPath", "s3://bkt/ml/output"}}},
          {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 10}}},
          {"StoppingCondition", {{"MaxRuntimeInSeconds", 3600}}}};
}

Expected<store::JobRow> ended_job(long number, double created) {
  char name[64];
  std::snprintf(name, sizeof name, number % 1000 == 0 ? "bench-Rare-%07ld" : "bench-job-%07ld", number);
  auto request = job::parse_request(request_for(name));
  if (!request) return std::unexpected(request.error());
  store::JobRow row;
  row.name = name;
  row.origin = store::Origin::server;
  row.request = job::to_json(*request);
  row.status = job::new_status(name, job::training_job_arn("us-east-1", "000000000000", name), created);
  job::advance(row.status, job::SecondaryStatus::training, created + 0.25);
  const double ended = created + 0.5;
  switch (number % 10) {
  case 6:
  case 7: job::fail(row.status, "AlgorithmError: the script exited with 1", ended); break;
  case 8:
  case 9: job::stopped(row.status, job::SecondaryStatus::stopped, ended); break;
  default: job::complete(row.status, ended); break;
  }
  return row;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) return std::fprintf(stderr, "usage: seed_tool STORE_ROOT COUNT\n"), 2;
  const long count = std::stol(argv[2]);
  const auto started = std::chrono::steady_clock::now();
  auto store = store::Store::open(argv[1]);
  if (!store) return std::fprintf(stderr, "seed_tool: %s\n", store.error().message.c_str()), 1;
  const double now = job::now_seconds();
  std::vector<store::JobRow> rows;
  rows.reserve(static_cast<size_t>(count));
  for (long i = 0; i < count; ++i) {
    auto row = ended_job(i, now - static_cast<double>(count - i));
    if (!row) return std::fprintf(stderr, "seed_tool: %s\n", row.error().message.c_str()), 1;
    rows.push_back(std::move(*row));
  }
  if (auto inserted = (*store)->index().insert_all(rows); !inserted)
    return std::fprintf(stderr, "seed_tool: %s\n", inserted.error().message.c_str()), 1;
  const std::chrono::duration<double> took = std::chrono::steady_clock::now() - started;
  std::printf("seeded %ld jobs in %.2f s\n", count, took.count());
  return 0;
}
