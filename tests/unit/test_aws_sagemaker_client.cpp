// The SageMaker and CloudWatch Logs clients over a scripted HTTP peer: the operations and
// inputs sent, answers read (nulls as absent), service errors kept, paging.
#include <deque>

#include <gtest/gtest.h>

#include "aws/logs_client.hpp"
#include "aws/sagemaker_client.hpp"
#include "cli/command_table.hpp"
#include "cli/remote_context.hpp"
#include "jobs/remote_backend.hpp"

namespace sagerun::aws {
namespace {

// Answers from a script; records each request's target and JSON body.
class ScriptedApi : public HttpClient {
public:
  std::deque<HttpResponse> answers;
  std::vector<std::pair<std::string, nlohmann::json>> sent;
  Expected<HttpResponse> send(const HttpRequest& request, const BodySink&) override {
    sent.emplace_back(find_header(request.headers, "X-Amz-Target").value_or(""), nlohmann::json::parse(request.body));
    auto next = answers.front();
    answers.pop_front();
    return next;
  }
};

HttpResponse ok(const nlohmann::json& body) { return {200, {}, body.dump()}; }
HttpResponse error(const std::string& type, const std::string& message) {
  return {400, {}, nlohmann::json{{"__type", type}, {"message", message}}.dump()};
}

CredentialsSource keys() {
  return [] { return Expected<Credentials>(Credentials{"AKIDEXAMPLE", "secret", ""}); };
}

TEST(SageMakerClient, CreateDescribeStop) {
  ScriptedApi http;
  SageMakerClient client(JsonClient(http, keys(), sagemaker_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {ok({{"TrainingJobArn", "arn:aws:sagemaker:us-east-1:1:training-job/j"}}),
                  ok({{"TrainingJobName", "j"}, {"TrainingJobStatus", "InProgress"}}), ok(nlohmann::json::object())};
  EXPECT_EQ(*client.create_training_job({{"TrainingJobName", "j"}}), "arn:aws:sagemaker:us-east-1:1:training-job/j");
  EXPECT_EQ((*client.describe_training_job("j"))["TrainingJobStatus"], "InProgress");
  EXPECT_TRUE(client.stop_training_job("j"));
  ASSERT_EQ(http.sent.size(), 3u);
  EXPECT_EQ(http.sent[0].first, "SageMaker.CreateTrainingJob");
  EXPECT_EQ(http.sent[0].second, (nlohmann::json{{"TrainingJobName", "j"}}));
  EXPECT_EQ(http.sent[1].first, "SageMaker.DescribeTrainingJob");
  EXPECT_EQ(http.sent[2].first, "SageMaker.StopTrainingJob");
  EXPECT_EQ(http.sent[2].second, (nlohmann::json{{"TrainingJobName", "j"}}));
}

TEST(SageMakerClient, ServiceErrorsKeepTypeAndMessage) {
  ScriptedApi http;
  SageMakerClient client(JsonClient(http, keys(), sagemaker_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {error("ResourceInUse", "Training job names must be unique within an AWS account and region")};
  auto created = client.create_training_job({{"TrainingJobName", "j"}});
  ASSERT_FALSE(created);
  EXPECT_EQ(created.error().message, "CreateTrainingJob: ResourceInUse: Training job names must be unique within an "
                                     "AWS account and region (HTTP 400)");
  // The code and status are fields of the error, not text to parse back out.
  EXPECT_EQ(created.error().code, "ResourceInUse");
  EXPECT_EQ(created.error().http_status, 400);

  http.answers = {HttpResponse{500, {}, "<html><body>InternalError: x</body></html>"}};
  auto stopped = client.stop_training_job("j");
  ASSERT_FALSE(stopped);
  EXPECT_EQ(stopped.error().code, "InternalError");
  EXPECT_EQ(stopped.error().http_status, 500);
  EXPECT_EQ(util::Error(util::ErrorKind::io, "POST http://x/: Connection refused").code, "");
}

TEST(SageMakerClient, ListSendsFiltersAndReadsTheToken) {
  ScriptedApi http;
  SageMakerClient client(JsonClient(http, keys(), sagemaker_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {ok({{"TrainingJobSummaries", {{{"TrainingJobName", "a"}}}}, {"NextToken", "2"}}),
                  ok({{"TrainingJobSummaries", nlohmann::json::array()}, {"NextToken", nullptr}})};
  TrainingJobFilter filter{"abc", "Completed", 10};
  auto first = client.list_training_jobs(filter, "");
  ASSERT_TRUE(first);
  EXPECT_EQ(first->summaries.size(), 1u);
  EXPECT_EQ(first->next_token, "2");
  EXPECT_EQ(http.sent[0].second, (nlohmann::json{{"SortBy", "CreationTime"},
                                                 {"SortOrder", "Descending"},
                                                 {"NameContains", "abc"},
                                                 {"StatusEquals", "Completed"},
                                                 {"MaxResults", 10}}));
  auto second = client.list_training_jobs(filter, "2");
  ASSERT_TRUE(second);
  EXPECT_EQ(second->next_token, "");
  EXPECT_EQ(http.sent[1].second["NextToken"], "2");
}

TEST(LogsClient, AMissingGroupHasNoStreams) {
  ScriptedApi http;
  LogsClient client(JsonClient(http, keys(), logs_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {error("ResourceNotFoundException", "The specified log group does not exist.")};
  auto streams = client.describe_log_streams(k_training_log_group, "job/");
  ASSERT_TRUE(streams);
  EXPECT_TRUE(streams->empty());
  EXPECT_EQ(http.sent[0].first, "Logs_20140328.DescribeLogStreams");
  EXPECT_EQ(http.sent[0].second["logStreamNamePrefix"], "job/");

  http.answers = {error("AccessDeniedException", "no")};
  EXPECT_FALSE(client.describe_log_streams(k_training_log_group, "job/"));
}

TEST(LogsClient, StreamsArePagedAndEventsRead) {
  ScriptedApi http;
  LogsClient client(JsonClient(http, keys(), logs_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {
      ok({{"logStreams", {{{"logStreamName", "job/algo-1-1700000000"}, {"creationTime", 5}}}}, {"nextToken", "p2"}}),
      ok({{"logStreams", {{{"logStreamName", "job/algo-2-1700000000"}, {"lastEventTimestamp", 9}}}}}),
      ok({{"events", {{{"timestamp", 1}, {"message", "hi"}}}},
          {"nextForwardToken", "f/1"},
          {"nextBackwardToken", "b/1"}})};
  auto streams = client.describe_log_streams(k_training_log_group, "job/");
  ASSERT_TRUE(streams);
  ASSERT_EQ(streams->size(), 2u);
  EXPECT_EQ((*streams)[0].creation_time, 5);
  EXPECT_EQ((*streams)[1].last_event_timestamp, 9);
  EXPECT_EQ(http.sent[1].second["nextToken"], "p2");
  auto page = client.get_log_events(k_training_log_group, "job/algo-1-1700000000", "");
  ASSERT_TRUE(page);
  ASSERT_EQ(page->events.size(), 1u);
  EXPECT_EQ(page->events[0].message, "hi");
  EXPECT_EQ(page->next_forward_token, "f/1");
  EXPECT_EQ(http.sent[2].second, (nlohmann::json{{"logGroupName", k_training_log_group},
                                                 {"logStreamName", "job/algo-1-1700000000"},
                                                 {"startFromHead", true}}));
}

TEST(LogFollower, HostsOfStreams) {
  EXPECT_EQ(jobs::host_of_stream("job/algo-1-1700000000", "job"), "algo-1");
  EXPECT_EQ(jobs::host_of_stream("job/algo-12-1700000000", "job"), "algo-12");
  EXPECT_EQ(jobs::host_of_stream("job/algo-1", "job"), "algo-1");
  EXPECT_EQ(jobs::host_of_stream("other", "job"), "other");
}

TEST(RemoteEndpoints, LogsFollowACompatibleSageMakerEndpoint) {
  cli::AwsFlags flags;
  flags.endpoint_url = "http://127.0.0.1:9000/";
  auto custom = cli::resolve_remote_endpoints(flags, {});
  ASSERT_TRUE(custom);
  EXPECT_TRUE(custom->custom);
  EXPECT_EQ(custom->sagemaker, "http://127.0.0.1:9000");
  EXPECT_EQ(custom->logs, "http://127.0.0.1:9000");
  EXPECT_EQ(custom->region, "us-east-1"); // a custom endpoint does without a region

  auto split = cli::resolve_remote_endpoints(flags, {{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://logs:1"}});
  EXPECT_EQ(split->logs, "http://logs:1");

  auto aws = cli::resolve_remote_endpoints({}, {{"AWS_REGION", "eu-west-1"}});
  ASSERT_TRUE(aws);
  EXPECT_FALSE(aws->custom);
  EXPECT_EQ(aws->sagemaker, "https://api.sagemaker.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws->logs, "https://logs.eu-west-1.amazonaws.com");
  EXPECT_FALSE(cli::resolve_remote_endpoints({}, {{"AWS_CONFIG_FILE", "/dev/null"}}));
}

TEST(RemoteEndpoints, WhenCommandsGoRemote) {
  const auto describe = std::ranges::find(cli::command_table(), "describe", &cli::CommandInfo::name);
  ASSERT_NE(describe, cli::command_table().end());
  const auto wants_remote = [&](std::vector<std::string> words, util::EnvMap env) {
    words.insert(words.begin(), "describe");
    words.push_back("job");
    std::vector<char*> args;
    for (auto& word : words)
      args.push_back(word.data());
    cli::Invocation invocation(*describe, args, std::move(env));
    std::string name;
    invocation.app().add_option("JOB", name);
    EXPECT_FALSE(invocation.parse());
    return invocation.wants_remote();
  };
  EXPECT_FALSE(wants_remote({}, {}));
  EXPECT_FALSE(wants_remote({}, {{"AWS_ENDPOINT_URL", "http://s3"}})); // local jobs with a local S3
  EXPECT_TRUE(wants_remote({}, {{"AWS_ENDPOINT_URL_SAGEMAKER", "http://api"}}));
  EXPECT_FALSE(wants_remote(
      {}, {{"AWS_ENDPOINT_URL_SAGEMAKER", "http://api"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}}));
  EXPECT_TRUE(wants_remote({"--remote"}, {}));
  EXPECT_TRUE(wants_remote({"--endpoint-url", "http://127.0.0.1:1"}, {}));
}

TEST(RemoteTime, SecondsAndIsoStrings) {
  EXPECT_EQ(cli::format_api_time(1700000000.5), "2023-11-14 22:13:20");
  EXPECT_EQ(cli::format_api_time("2023-11-14T22:13:20.123Z"), "2023-11-14 22:13:20");
  EXPECT_EQ(cli::format_api_time(nullptr), "-");
}

} // namespace
} // namespace sagerun::aws
