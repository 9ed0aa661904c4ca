// The CloudWatch metrics operations over a store: ListMetrics (filters, paging, only jobs that
// ran, instance metrics too), GetMetricStatistics (periods, statistics, the service's checks and messages) and
// GetMetricData (stats, order, MaxDatapoints paging, refusals).

#include "server/cloudwatch_api.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <set>

#include "job/status.hpp"
#include "server/query_xml.hpp"
#include "store/metric_series.hpp"
#include "test_support.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

// A whole minute an hour ago: CloudWatch rounds a start by its age (to the minute, under 15 days).
const double k_base = [] {
  const auto now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  return std::floor(now / 60) * 60 - 3600;
}();
const json k_namespace = "/aws/sagemaker/TrainingJobs";

class CloudWatch : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Store::open(dir.path());
    ASSERT_TRUE(opened);
    store = std::move(*opened);
    add_job("no-metrics", 1, {});
    add_job("job-a", 2, {"loss", "acc"});
    add_job("job-b", 1, {"loss"});
    // job-a: algo-1 loss 1..5 at base + 0, 20, 40, 60, 80 s; acc once; algo-2 loss 10 at base + 30.
    auto one = store::MetricWriter::create(store->folder("job-a").metrics_file(0), {"loss", "acc"});
    auto two = store::MetricWriter::create(store->folder("job-a").metrics_file(1), {"loss", "acc"});
    ASSERT_TRUE(one && two);
    for (int i = 0; i < 5; ++i)
      one->append(0, ms(k_base + 20.0 * i), i + 1.0);
    one->append(1, ms(k_base + 1.5), 0.5);
    two->append(0, ms(k_base + 30), 10);
    cloudwatch = std::make_unique<CloudWatchApi>(*store);
  }

  static int64_t ms(double seconds) { return static_cast<int64_t>(seconds * 1000); }

  void add_job(const std::string& name, int instances, const std::vector<std::string>& metrics) {
    store::JobRow row;
    row.name = name;
    row.request = {{"TrainingJobName", name}, {"AlgorithmSpecification", {{"TrainingInputMode", "File"}}}};
    for (const auto& metric : metrics)
      row.request["AlgorithmSpecification"]["MetricDefinitions"].push_back({{"Name", metric}, {"Regex", "x=(.*)"}});
    row.instances = instances;
    row.status = job::new_status(name, "arn:" + name, k_base);
    row.status.training_start_time = k_base; // it ran: ListMetrics reads its files
    ASSERT_TRUE(store->index().insert(row));
    ASSERT_TRUE(store->folder(name).create());
  }

  json ok(const char* operation, const json& body) {
    auto result = cloudwatch->call(operation, body);
    EXPECT_TRUE(result) << result.error().type << ": " << result.error().message;
    return result ? json::parse(result->dump()) : json();
  }
  ApiError refused(const char* operation, const json& body) {
    auto result = cloudwatch->call(operation, body);
    EXPECT_FALSE(result) << result->dump();
    return result ? ApiError{} : result.error();
  }

  static json host(const std::string& value) { return json::array({{{"Name", "Host"}, {"Value", value}}}); }
  static json statistics_request(const std::string& host_value, int64_t period, double start, double end) {
    return {{"Namespace", k_namespace},
            {"MetricName", "loss"},
            {"Dimensions", host(host_value)},
            {"StartTime", start},
            {"EndTime", end},
            {"Period", period},
            {"Statistics", {"SampleCount", "Average", "Maximum"}}};
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<CloudWatchApi> cloudwatch;
};

TEST_F(CloudWatch, ListMetricsNamesEachHostsMetricsWithPoints) {
  const auto all = ok("ListMetrics", json::object());
  EXPECT_EQ(all["Metrics"], json::parse(R"([
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "loss", "Dimensions": [{"Name": "Host", "Value": "job-a/algo-1"}]},
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "acc", "Dimensions": [{"Name": "Host", "Value": "job-a/algo-1"}]},
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "loss", "Dimensions": [{"Name": "Host", "Value": "job-a/algo-2"}]},
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "loss", "Dimensions": [{"Name": "TrainingJobName", "Value": "job-a"}]},
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "acc", "Dimensions": [{"Name": "TrainingJobName", "Value": "job-a"}]}
  ])"));
  EXPECT_FALSE(all.contains("NextToken"));
  EXPECT_EQ(ok("ListMetrics", {{"MetricName", "acc"}})["Metrics"].size(), 2u);
  EXPECT_EQ(ok("ListMetrics", {{"Dimensions", {{{"Name", "TrainingJobName"}, {"Value", "job-a"}}}}})["Metrics"].size(),
            2u);
  EXPECT_TRUE(
      ok("ListMetrics", {{"Dimensions", {{{"Name", "TrainingJobName"}, {"Value", "job-b"}}}}})["Metrics"].empty());
  EXPECT_TRUE(
      ok("ListMetrics", {{"Dimensions", {{{"Name", "TrainingJobName"}}, {{"Name", "Host"}}}}})["Metrics"].empty());
  EXPECT_EQ(ok("ListMetrics", {{"Dimensions", host("job-a/algo-2")}})["Metrics"].size(), 1u);
  EXPECT_EQ(ok("ListMetrics", {{"Dimensions", {{{"Name", "Host"}}}}})["Metrics"].size(), 3u);
  EXPECT_TRUE(ok("ListMetrics", {{"Dimensions", {{{"Name", "InstanceId"}}}}})["Metrics"].empty());
  EXPECT_TRUE(ok("ListMetrics", {{"Namespace", "AWS/EC2"}})["Metrics"].empty());
  EXPECT_TRUE(ok("ListMetrics", {{"Dimensions", host("job-b/algo-1")}})["Metrics"].empty()); // no points yet
  EXPECT_TRUE(ok("ListMetrics", {{"Dimensions", host("job-a/algo-3")}})["Metrics"].empty());
  EXPECT_TRUE(ok("ListMetrics", {{"Dimensions", host("nobody/algo-1")}})["Metrics"].empty());
  EXPECT_EQ(ok("ListMetrics", {{"RecentlyActive", "PT3H"}})["Metrics"].size(), 5u); // an hour ago
  EXPECT_EQ(refused("ListMetrics", {{"NextToken", "garbage"}}).type, "InvalidParameterValue");
  EXPECT_EQ(refused("ListMetrics", {{"RecentlyActive", "PT1H"}}).type, "ValidationError");
}

TEST_F(CloudWatch, ListMetricsPagesFiveHundredAtATime) {
  std::vector<std::string> names;
  for (int i = 0; i < 250; ++i)
    names.push_back("m" + std::to_string(i));
  add_job("job-many", 3, names);
  for (int host_index = 0; host_index < 3; ++host_index) {
    auto writer = store::MetricWriter::create(store->folder("job-many").metrics_file(host_index), names);
    ASSERT_TRUE(writer);
    for (size_t i = 0; i < names.size(); ++i)
      writer->append(i, ms(k_base), 1);
  }
  std::vector<std::string> seen;
  json body = json::object();
  for (int page = 0; page < 5; ++page) {
    const auto answer = ok("ListMetrics", body);
    for (const auto& metric : answer["Metrics"])
      seen.push_back(metric["Dimensions"][0]["Value"].get<std::string>() + " " +
                     metric["MetricName"].get<std::string>());
    if (!answer.contains("NextToken")) break;
    EXPECT_EQ(answer["Metrics"].size(), 500u);
    body["NextToken"] = answer["NextToken"];
  }
  // job-a: 3 per host and 2 for the job; job-many: 750 per host and 250 for the job.
  ASSERT_EQ(seen.size(), 1005u);
  EXPECT_EQ(seen[5], "job-many/algo-1 m0");
  EXPECT_EQ(seen[754], "job-many/algo-3 m249");
  EXPECT_EQ(seen[1004], "job-many m249");
  EXPECT_EQ(std::set<std::string>(seen.begin(), seen.end()).size(), 1005u);
}

TEST_F(CloudWatch, InstanceMetricsOfAJobWithoutDefinitionsAreListedAndRead) {
  add_job("job-plain", 1, {});
  auto writer = store::MetricWriter::create(store->folder("job-plain").instance_metrics_file(0),
                                            {"CPUUtilization", "MemoryUtilization"});
  ASSERT_TRUE(writer);
  writer->append(0, ms(k_base + 5), 150);
  writer->append(0, ms(k_base + 10), 50);
  writer->append(1, ms(k_base + 5), 12.5);
  const auto listed = ok("ListMetrics", {{"MetricName", "CPUUtilization"}})["Metrics"];
  EXPECT_EQ(listed, json::parse(R"([
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "CPUUtilization", "Dimensions": [{"Name": "Host", "Value": "job-plain/algo-1"}]},
    {"Namespace": "/aws/sagemaker/TrainingJobs", "MetricName": "CPUUtilization", "Dimensions": [{"Name": "TrainingJobName", "Value": "job-plain"}]}
  ])"));
  auto request = statistics_request("job-plain/algo-1", 60, k_base, k_base + 3600);
  request["MetricName"] = "CPUUtilization";
  EXPECT_EQ(
      ok("GetMetricStatistics", request)["Datapoints"],
      json::array(
          {{{"Timestamp", k_base}, {"SampleCount", 2.0}, {"Average", 100.0}, {"Maximum", 150.0}, {"Unit", "None"}}}));
  // A job that never ran is not read at all (nor listed), whatever its folder holds.
  store::JobRow row;
  row.name = "never-ran";
  row.request = {{"TrainingJobName", row.name}, {"AlgorithmSpecification", {{"TrainingInputMode", "File"}}}};
  row.status = job::new_status(row.name, "arn:never-ran", k_base);
  ASSERT_TRUE(store->index().insert(row));
  auto sources = store->index().metric_sources(0, 100);
  ASSERT_TRUE(sources);
  std::vector<std::string> names;
  for (const auto& source : *sources)
    names.push_back(source.name);
  EXPECT_EQ(names, (std::vector<std::string>{"no-metrics", "job-a", "job-b", "job-plain"}));
}

TEST_F(CloudWatch, TheJobsMetricHoldsEveryHostsPoints) {
  // As the SDK's TrainingJobAnalytics asks: TrainingJobName, not Host.
  auto request = statistics_request("", 60, k_base, k_base + 3600);
  request["Dimensions"] = json::array({{{"Name", "TrainingJobName"}, {"Value", "job-a"}}});
  EXPECT_EQ(
      ok("GetMetricStatistics", request)["Datapoints"],
      json::array(
          {{{"Timestamp", k_base}, {"SampleCount", 4.0}, {"Average", 4.0}, {"Maximum", 10.0}, {"Unit", "None"}},
           {{"Timestamp", k_base + 60}, {"SampleCount", 2.0}, {"Average", 4.5}, {"Maximum", 5.0}, {"Unit", "None"}}}));
  request["Dimensions"][0]["Value"] = "job-a/algo-1"; // a host's name is no job's
  EXPECT_TRUE(ok("GetMetricStatistics", request)["Datapoints"].empty());
}

TEST_F(CloudWatch, GetMetricStatisticsPerPeriod) {
  const auto minute = ok("GetMetricStatistics", statistics_request("job-a/algo-1", 60, k_base + 5, k_base + 3600));
  EXPECT_EQ(minute["Label"], "loss");
  // Start rounded down to the minute: 1, 2, 3 in the first, 4, 5 in the second.
  EXPECT_EQ(
      minute["Datapoints"],
      json::array(
          {{{"Timestamp", k_base}, {"SampleCount", 3.0}, {"Average", 2.0}, {"Maximum", 3.0}, {"Unit", "None"}},
           {{"Timestamp", k_base + 60}, {"SampleCount", 2.0}, {"Average", 4.5}, {"Maximum", 5.0}, {"Unit", "None"}}}));
  const auto second = ok("GetMetricStatistics", statistics_request("job-a/algo-1", 1, k_base + 20, k_base + 41));
  ASSERT_EQ(second["Datapoints"].size(), 2u);
  EXPECT_EQ(second["Datapoints"][0]["Timestamp"], k_base + 20);
  EXPECT_EQ(second["Datapoints"][1]["Average"], 3.0);
  auto percentiles = statistics_request("job-a/algo-1", 300, k_base, k_base + 300);
  percentiles.erase("Statistics");
  percentiles["ExtendedStatistics"] = {"p50", "p99.9"};
  EXPECT_EQ(ok("GetMetricStatistics", percentiles)["Datapoints"][0]["ExtendedStatistics"],
            json({{"p50", 3.0}, {"p99.9", 5.0}}));
  // Nothing for another host, namespace, unit, or a dimension set that is not Host alone.
  EXPECT_EQ(ok("GetMetricStatistics", statistics_request("job-a/algo-2", 60, k_base, k_base + 60))["Datapoints"].size(),
            1u);
  auto other = statistics_request("job-a/algo-1", 60, k_base, k_base + 3600);
  other["Unit"] = "Seconds";
  EXPECT_TRUE(ok("GetMetricStatistics", other)["Datapoints"].empty());
  other["Unit"] = "None";
  EXPECT_EQ(ok("GetMetricStatistics", other)["Datapoints"].size(), 2u);
  other["Dimensions"].push_back({{"Name", "Extra"}, {"Value", "x"}});
  EXPECT_TRUE(ok("GetMetricStatistics", other)["Datapoints"].empty());
  // Timestamps as the query protocol sends them.
  auto iso = statistics_request("job-a/algo-1", 60, 0, 0);
  iso["StartTime"] = iso8601(k_base);
  iso["EndTime"] = iso8601(k_base + 3600);
  EXPECT_EQ(ok("GetMetricStatistics", iso)["Datapoints"].size(), 2u);
}

TEST_F(CloudWatch, GetMetricStatisticsChecksAsTheServiceDoes) {
  const auto error = [&](json body) { return refused("GetMetricStatistics", body); };
  auto body = statistics_request("job-a/algo-1", 61, k_base, k_base + 3600);
  auto e = error(body);
  EXPECT_EQ(e.type, "InvalidParameterValue");
  EXPECT_EQ(e.message, "The parameter Period must be 1, 5, 10, 30 or a multiple of 60, not 61.");
  body["Period"] = 0;
  EXPECT_EQ(error(body).type, "ValidationError");
  body["Period"] = 60;
  body["EndTime"] = k_base;
  e = error(body);
  EXPECT_EQ(e.type, "InvalidParameterValue");
  EXPECT_EQ(e.message, "The parameter StartTime must be less than the parameter EndTime.");
  body["EndTime"] = k_base + 86400 + 60;
  e = error(body);
  EXPECT_EQ(e.type, "InvalidParameterCombination");
  EXPECT_EQ(e.message, "You have requested up to 1441 datapoints, which exceeds the limit of 1440. You may reduce "
                       "the datapoints requested by increasing Period, or decreasing the time range.");
  body["EndTime"] = k_base + 86400;
  EXPECT_TRUE(cloudwatch->call("GetMetricStatistics", body)); // 1440 exactly
  for (const char* member : {"Namespace", "MetricName", "StartTime", "EndTime", "Period"}) {
    auto missing = body;
    missing.erase(member);
    e = error(missing);
    EXPECT_EQ(e.type, "MissingParameter") << member;
    EXPECT_EQ(e.message, "The parameter " + std::string(member) + " is required.");
  }
  auto neither = body;
  neither.erase("Statistics");
  EXPECT_EQ(error(neither).type, "InvalidParameterCombination");
  auto both = body;
  both["ExtendedStatistics"] = {"p90"};
  EXPECT_EQ(error(both).type, "InvalidParameterCombination");
  auto bad = body;
  bad["Statistics"] = {"Average", "Median"};
  e = error(bad);
  EXPECT_EQ(e.type, "InvalidParameterValue");
  EXPECT_NE(e.message.find("Statistics.member.2"), std::string::npos) << e.message;
  bad = neither;
  bad["ExtendedStatistics"] = {"p101"};
  EXPECT_NE(error(bad).message.find("ExtendedStatistics.member.1"), std::string::npos);
  bad = body;
  bad["Dimensions"] = {{{"Name", "Host"}}};
  e = error(bad);
  EXPECT_EQ(e.type, "MissingParameter");
  EXPECT_EQ(e.message, "The parameter Dimensions.member.1.Value is required.");
  bad = body;
  bad["Period"] = "60";
  EXPECT_EQ(error(bad).type, "SerializationException");
  bad = body;
  bad["StartTime"] = "yesterday";
  EXPECT_NE(error(bad).message.find("StartTime"), std::string::npos);
}

json data_query(const std::string& id, const std::string& host_value, const std::string& stat, int64_t period) {
  return {{"Id", id},
          {"MetricStat",
           {{"Metric",
             {{"Namespace", k_namespace},
              {"MetricName", "loss"},
              {"Dimensions", {{{"Name", "Host"}, {"Value", host_value}}}}}},
            {"Period", period},
            {"Stat", stat}}}};
}

TEST_F(CloudWatch, GetMetricDataNewestFirstUnlessAscending) {
  json body = {{"MetricDataQueries",
                {data_query("a", "job-a/algo-1", "Maximum", 10), data_query("b", "job-a/algo-2", "Sum", 60)}},
               {"StartTime", k_base},
               {"EndTime", k_base + 3600}};
  auto answer = ok("GetMetricData", body);
  ASSERT_EQ(answer["MetricDataResults"].size(), 2u);
  const auto& a = answer["MetricDataResults"][0];
  EXPECT_EQ(a["Id"], "a");
  EXPECT_EQ(a["Label"], "loss");
  EXPECT_EQ(a["StatusCode"], "Complete");
  EXPECT_EQ(a["Timestamps"], json({k_base + 80, k_base + 60, k_base + 40, k_base + 20, k_base}));
  EXPECT_EQ(a["Values"], json({5.0, 4.0, 3.0, 2.0, 1.0}));
  EXPECT_EQ(answer["MetricDataResults"][1]["Values"], json({10.0}));
  EXPECT_FALSE(answer.contains("NextToken"));
  body["ScanBy"] = "TimestampAscending";
  body["MetricDataQueries"][1]["ReturnData"] = false;
  body["MetricDataQueries"][0]["Label"] = "loss of algo-1";
  answer = ok("GetMetricData", body);
  ASSERT_EQ(answer["MetricDataResults"].size(), 1u);
  EXPECT_EQ(answer["MetricDataResults"][0]["Label"], "loss of algo-1");
  EXPECT_EQ(answer["MetricDataResults"][0]["Values"], json({1.0, 2.0, 3.0, 4.0, 5.0}));
}

TEST_F(CloudWatch, GetMetricDataPagesByMaxDatapoints) {
  json body = {
      {"MetricDataQueries", {data_query("a", "job-a/algo-1", "Average", 1), data_query("b", "job-a/algo-2", "p90", 1)}},
      {"StartTime", k_base},
      {"EndTime", k_base + 3600},
      {"ScanBy", "TimestampAscending"},
      {"MaxDatapoints", 3}};
  std::vector<double> a_values, b_values;
  for (int page = 0; page < 5; ++page) {
    const auto answer = ok("GetMetricData", body);
    for (const auto& value : answer["MetricDataResults"][0]["Values"])
      a_values.push_back(value);
    for (const auto& value : answer["MetricDataResults"][1]["Values"])
      b_values.push_back(value);
    if (!answer.contains("NextToken")) break;
    EXPECT_TRUE(answer["MetricDataResults"][0]["StatusCode"] == "PartialData" ||
                answer["MetricDataResults"][1]["StatusCode"] == "PartialData");
    body["NextToken"] = answer["NextToken"];
  }
  EXPECT_EQ(a_values, (std::vector<double>{1, 2, 3, 4, 5}));
  EXPECT_EQ(b_values, (std::vector<double>{10}));
  body["NextToken"] = "v1:1";
  EXPECT_EQ(refused("GetMetricData", body).type, "InvalidNextToken");
}

TEST_F(CloudWatch, GetMetricDataRefusesWhatItDoesNotDo) {
  // json::array(…) where a list holds one query: a braced json of one element is that element
  // with clang and a list of it with GCC.
  const auto error = [&](json queries) {
    return refused("GetMetricData",
                   {{"MetricDataQueries", std::move(queries)}, {"StartTime", k_base}, {"EndTime", k_base + 60}});
  };
  auto e = error({{{"Id", "e1"}, {"Expression", "SUM(METRICS())"}}});
  EXPECT_EQ(e.type, "InvalidParameterValue");
  EXPECT_NE(e.message.find("MetricDataQueries.member.1.Expression"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("MetricStat"), std::string::npos);
  EXPECT_NE(error({{{"Id", "x"}}}).message.find("exactly one of MetricStat or Expression"), std::string::npos);
  EXPECT_NE(error(json::array({data_query("Upper", "job-a/algo-1", "Sum", 60)}))
                .message.find("MetricDataQueries.member.1.Id"),
            std::string::npos);
  EXPECT_NE(error({data_query("a", "job-a/algo-1", "Sum", 60), data_query("a", "job-a/algo-1", "Sum", 60)})
                .message.find("MetricDataQueries.member.2.Id"),
            std::string::npos);
  e = error(json::array({data_query("a", "job-a/algo-1", "tm99", 60)}));
  EXPECT_NE(e.message.find("MetricDataQueries.member.1.MetricStat.Stat"), std::string::npos) << e.message;
  e = error(json::array({data_query("a", "job-a/algo-1", "Sum", 45)}));
  EXPECT_EQ(e.message, "The parameter MetricDataQueries.member.1.MetricStat.Period must be 1, 5, 10, 30 or a "
                       "multiple of 60, not 45.");
  auto no_metric = data_query("a", "job-a/algo-1", "Sum", 60);
  no_metric["MetricStat"].erase("Metric");
  EXPECT_EQ(error(json::array({no_metric})).message,
            "The parameter MetricDataQueries.member.1.MetricStat.Metric is required.");
  EXPECT_EQ(refused("GetMetricData", {{"StartTime", k_base}, {"EndTime", k_base + 60}}).type, "MissingParameter");
}

TEST(CloudWatchHosts, TheHostDimensionNamesAJobsHost) {
  EXPECT_EQ(host_dimension("job", 0), "job/algo-1");
  const auto parsed = parse_host_dimension("my-job/algo-12");
  ASSERT_TRUE(parsed);
  EXPECT_EQ(parsed->job, "my-job");
  EXPECT_EQ(parsed->host_index, 11);
  for (const char* bad : {"job", "job/algo-0", "job/algo-", "job/algo-01", "job/algo-1x", "/algo-1", "job/host-1"})
    EXPECT_FALSE(parse_host_dimension(bad)) << bad;
}

} // namespace
} // namespace sagerun::server
