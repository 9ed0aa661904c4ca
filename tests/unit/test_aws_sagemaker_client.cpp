// The SageMaker, CloudWatch Logs and CloudWatch clients over a scripted HTTP peer: the operations
// and inputs sent, answers read (nulls as absent), service errors kept, paging; a remote job's
// metrics read through CloudWatch.
#include <deque>

#include <gtest/gtest.h>

#include "aws/cloudwatch_client.hpp"
#include "aws/logs_client.hpp"
#include "aws/sagemaker_client.hpp"
#include "cli/command_table.hpp"
#include "cli/remote_context.hpp"
#include "jobs/remote_backend.hpp"
#include "jobs/remote_metrics.hpp"

namespace sagerun::aws {
namespace {

// Answers from a script; records each request's target and JSON body.
class ScriptedApi : public HttpClient {
public:
  std::deque<HttpResponse> answers;
  std::vector<std::pair<std::string, nlohmann::json>> sent;
  std::vector<std::string> content_types;
  Expected<HttpResponse> send(const HttpRequest& request, const BodySink&) override {
    content_types.push_back(find_header(request.headers, "Content-Type").value_or(""));
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

TEST(CloudWatchClient, MetricNamesOfAHostAcrossPages) {
  ScriptedApi http;
  CloudWatchClient client(JsonClient(http, keys(), cloudwatch_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {ok({{"Metrics", {{{"MetricName", "loss"}}, {{"MetricName", "acc"}}}}, {"NextToken", "t2"}}),
                  ok({{"Metrics", {{{"MetricName", "loss"}}, {{"MetricName", "lr"}}}}})};
  auto names = client.list_metric_names(k_training_metrics_namespace, "job/algo-2");
  ASSERT_TRUE(names) << names.error().message;
  EXPECT_EQ(*names, (std::vector<std::string>{"loss", "acc", "lr"}));
  EXPECT_EQ(http.sent[0].first, "GraniteServiceVersion20100801.ListMetrics");
  EXPECT_EQ(http.content_types[0], "application/x-amz-json-1.0");
  EXPECT_EQ(http.sent[0].second, (nlohmann::json{{"Namespace", "/aws/sagemaker/TrainingJobs"},
                                                 {"Dimensions", {{{"Name", "Host"}, {"Value", "job/algo-2"}}}}}));
  EXPECT_EQ(http.sent[1].second["NextToken"], "t2");
}

TEST(CloudWatchClient, MetricDataPerQueryAcrossPages) {
  ScriptedApi http;
  CloudWatchClient client(JsonClient(http, keys(), cloudwatch_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {
      ok({{"MetricDataResults",
           {{{"Id", "m1"}, {"Timestamps", {10.0}}, {"Values", {0.5}}, {"StatusCode", "PartialData"}},
            {{"Id", "m0"}, {"Timestamps", {10.0, 11.0}}, {"Values", {1.0, 2.0}}, {"StatusCode", "Complete"}}}},
          {"NextToken", "v1:2,1"}}),
      ok({{"MetricDataResults", {{{"Id", "m1"}, {"Timestamps", {"1970-01-01T00:00:12Z"}}, {"Values", {0.25}}}}}})};
  auto data = client.get_metric_data(
      k_training_metrics_namespace, {{"loss", "job/algo-1", 1, "Average"}, {"acc", "job/algo-1", 1, "Average"}}, 5, 20);
  ASSERT_TRUE(data) << data.error().message;
  ASSERT_EQ(data->size(), 2u);
  EXPECT_EQ((*data)[0].values, (std::vector<double>{1.0, 2.0}));
  EXPECT_EQ((*data)[1].timestamps, (std::vector<double>{10.0, 12.0}));
  EXPECT_EQ((*data)[1].values, (std::vector<double>{0.5, 0.25}));
  const auto& input = http.sent[0].second;
  EXPECT_EQ(http.sent[0].first, "GraniteServiceVersion20100801.GetMetricData");
  EXPECT_EQ(input["MetricDataQueries"][1],
            (nlohmann::json{{"Id", "m1"},
                            {"MetricStat",
                             {{"Metric",
                               {{"Namespace", "/aws/sagemaker/TrainingJobs"},
                                {"MetricName", "acc"},
                                {"Dimensions", {{{"Name", "Host"}, {"Value", "job/algo-1"}}}}}},
                              {"Period", 1},
                              {"Stat", "Average"}}}}));
  EXPECT_EQ(input["StartTime"], 5.0);
  EXPECT_EQ(input["ScanBy"], "TimestampAscending");
  EXPECT_EQ(http.sent[1].second["NextToken"], "v1:2,1");
}

TEST(RemoteMetrics, EachHostsMetricsInDefinitionOrder) {
  ScriptedApi http;
  CloudWatchClient client(JsonClient(http, keys(), cloudwatch_service("http://127.0.0.1:1", "us-east-1")));
  http.answers = {
      ok({{"Metrics", {{{"MetricName", "zeta"}}, {{"MetricName", "loss"}}}}}),
      ok({{"Metrics", nlohmann::json::array()}}),
      ok({{"MetricDataResults",
           {{{"Id", "m0"}, {"Timestamps", {120.0, 60.0}}, {"Values", {2.0, 1.0}}},
            {{"Id", "m1"}, {"Timestamps", nlohmann::json::array()}, {"Values", nlohmann::json::array()}}}}})};
  const nlohmann::json description = {
      {"TrainingJobName", "job"},
      {"ResourceConfig", {{"InstanceCount", 2}}},
      {"AlgorithmSpecification", {{"MetricDefinitions", {{{"Name", "loss"}, {"Regex", "l=(.*)"}}}}}},
      {"TrainingStartTime", 65.5},
      {"TrainingEndTime", 200.0}};
  auto series = jobs::read_remote_metrics(client, description, 60);
  ASSERT_TRUE(series) << series.error().message;
  ASSERT_EQ(series->size(), 1u); // zeta had no datapoints
  EXPECT_EQ((*series)[0].metric, "loss");
  EXPECT_EQ((*series)[0].host_index, 0);
  ASSERT_EQ((*series)[0].points.size(), 2u);
  EXPECT_EQ((*series)[0].points[0].timestamp, 60.0); // in time order
  EXPECT_EQ(http.sent[1].second["Dimensions"][0]["Value"], "job/algo-2");
  const auto& data = http.sent[2].second;
  EXPECT_EQ(data["MetricDataQueries"][0]["MetricStat"]["Metric"]["MetricName"], "loss"); // defined first
  EXPECT_EQ(data["StartTime"], 60.0);                                                    // the period's start
  EXPECT_EQ(data["EndTime"], 260.0);
}

TEST(LogFollower, HostsOfStreams) {
  EXPECT_EQ(jobs::host_of_stream("job/algo-1-1700000000", "job"), "algo-1");
  EXPECT_EQ(jobs::host_of_stream("job/algo-12-1700000000", "job"), "algo-12");
  EXPECT_EQ(jobs::host_of_stream("job/algo-1", "job"), "algo-1");
  EXPECT_EQ(jobs::host_of_stream("other", "job"), "other");
}

TEST(RemoteEndpoints, LogsAndMetricsFollowACompatibleSageMakerEndpoint) {
  cli::AwsFlags flags;
  flags.endpoint_url = "http://127.0.0.1:9000/";
  auto custom = cli::resolve_remote_endpoints(flags, {});
  ASSERT_TRUE(custom);
  EXPECT_TRUE(custom->custom);
  EXPECT_EQ(custom->sagemaker, "http://127.0.0.1:9000");
  EXPECT_EQ(custom->logs, "http://127.0.0.1:9000");
  EXPECT_EQ(custom->cloudwatch, "http://127.0.0.1:9000");
  EXPECT_EQ(custom->region, "us-east-1"); // a custom endpoint does without a region

  auto split = cli::resolve_remote_endpoints(flags, {{"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://logs:1"}});
  EXPECT_EQ(split->logs, "http://logs:1");
  EXPECT_EQ(cli::resolve_remote_endpoints(flags, {{"AWS_ENDPOINT_URL_CLOUDWATCH", "http://cw:1"}})->cloudwatch,
            "http://cw:1");

  auto aws = cli::resolve_remote_endpoints({}, {{"AWS_REGION", "eu-west-1"}});
  ASSERT_TRUE(aws);
  EXPECT_FALSE(aws->custom);
  EXPECT_EQ(aws->sagemaker, "https://api.sagemaker.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws->logs, "https://logs.eu-west-1.amazonaws.com");
  EXPECT_EQ(aws->cloudwatch, "https://monitoring.eu-west-1.amazonaws.com");
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
