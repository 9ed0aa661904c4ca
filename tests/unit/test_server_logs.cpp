// The CloudWatch Logs side: GetLogEvents' tokens in
// both directions, FilterLogEvents' interleaving, patterns and paging, DescribeLogStreams.

#include "server/logs_api.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <set>
#include <sstream>

#include "server/filter_pattern.hpp"
#include "store/store.hpp"
#include "test_support.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;

// Host output as the runner records it: each "<epoch ms>\t<line>\n" of `records` is a line
// that arrived at that time, appended to the host's log, its time to the times file.
void append(const store::JobFolder& folder, int host, const std::string& records) {
  std::filesystem::create_directories(folder.log_file(host).parent_path());
  std::istringstream lines(records);
  for (std::string record; std::getline(lines, record);) {
    const auto tab = record.find('\t');
    const auto log = folder.log_file(host);
    const uint64_t size = std::filesystem::exists(log) ? std::filesystem::file_size(log) : 0;
    auto times = store::LogTimesWriter::open(folder.times_file(host), size);
    ASSERT_TRUE(times) << times.error().message;
    times->mark(size, std::stoll(record.substr(0, tab)));
    std::ofstream(log, std::ios::app | std::ios::binary) << record.substr(tab + 1) << "\n";
  }
}

TEST(FilterPattern, TermsPhrasesEitherAndExcluded) {
  auto all = FilterPattern::parse("ERROR disk");
  ASSERT_TRUE(all);
  EXPECT_TRUE(all->matches("ERROR: the disk is full"));
  EXPECT_FALSE(all->matches("ERROR: network"));
  EXPECT_FALSE(all->matches("error: disk")); // case-sensitive
  auto phrase = FilterPattern::parse("\"disk is full\"");
  EXPECT_TRUE(phrase->matches("the disk is full"));
  EXPECT_FALSE(phrase->matches("the disk is not full"));
  auto either = FilterPattern::parse("?ERROR ?WARN");
  EXPECT_TRUE(either->matches("WARN x"));
  EXPECT_FALSE(either->matches("INFO x"));
  auto excluded = FilterPattern::parse("epoch -debug");
  EXPECT_TRUE(excluded->matches("epoch 1"));
  EXPECT_FALSE(excluded->matches("epoch 1 debug"));
  EXPECT_TRUE(FilterPattern::parse("")->empty());
  EXPECT_EQ(FilterPattern::parse("{ $.level = \"x\" }").error().type, "InvalidParameterException");
}

class Logs : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Store::open(dir.path());
    ASSERT_TRUE(opened);
    store = std::move(*opened);
    add_job("job-a", 2, 1700000000.5);
    add_job("job-b", 1, 1700000100.0);
    // job-a: algo-1 lines at 1000, 3000, 5000…; algo-2 at 2000, 4000…; job-b has no log yet.
    std::string one, two;
    for (int i = 0; i < 5; ++i) {
      one += std::to_string(1000 + 2000 * i) + "\tone " + std::to_string(i) + (i == 2 ? " ERROR" : "") + "\n";
      two += std::to_string(2000 + 2000 * i) + "\ttwo " + std::to_string(i) + "\n";
    }
    append(store->folder("job-a"), 0, one);
    append(store->folder("job-a"), 1, two);
    logs = std::make_unique<LogsApi>(*store, LogsOptions{"us-east-1", "000000000000"});
  }

  void add_job(const std::string& name, int instances, double created) {
    store::JobRow row;
    row.name = name;
    row.request = {{"TrainingJobName", name}};
    row.instances = instances;
    row.status = job::new_status(name, "arn:" + name, created);
    ASSERT_TRUE(store->index().insert(row));
    ASSERT_TRUE(store->folder(name).create());
  }

  json call(const char* operation, json body) {
    body["logGroupName"] = "/aws/sagemaker/TrainingJobs";
    auto result = logs->call(operation, body);
    EXPECT_TRUE(result) << result.error().type << ": " << result.error().message;
    return result ? json::parse(*result) : json();
  }

  static std::vector<std::string> messages(const json& page) {
    std::vector<std::string> out;
    for (const auto& event : page["events"])
      out.push_back(event["message"]);
    return out;
  }

  test::TempDir dir;
  std::unique_ptr<store::Store> store;
  std::unique_ptr<LogsApi> logs;
};

TEST_F(Logs, StreamNamesAndDescribeLogStreams) {
  EXPECT_EQ(log_stream_name("job-a", 1, 1700000000.5), "job-a/algo-2-1700000000");
  const auto page = call("DescribeLogStreams", {{"logStreamNamePrefix", "job-a/"}});
  ASSERT_EQ(page["logStreams"].size(), 2u);
  const auto& first = page["logStreams"][0];
  EXPECT_EQ(first["logStreamName"], "job-a/algo-1-1700000000");
  EXPECT_EQ(first["firstEventTimestamp"], 1000);
  EXPECT_EQ(first["lastEventTimestamp"], 9000);
  EXPECT_EQ(first["creationTime"], 1700000000500);
  EXPECT_EQ(first["arn"], "arn:aws:logs:us-east-1:000000000000:log-group:/aws/sagemaker/TrainingJobs:log-stream:"
                          "job-a/algo-1-1700000000");
  const auto latest = call("DescribeLogStreams", {{"orderBy", "LastEventTime"}, {"descending", true}, {"limit", 1}});
  ASSERT_EQ(latest["logStreams"].size(), 1u);
  EXPECT_EQ(latest["logStreams"][0]["logStreamName"], "job-a/algo-2-1700000000");
  const auto next = call("DescribeLogStreams",
                         {{"orderBy", "LastEventTime"}, {"descending", true}, {"nextToken", latest["nextToken"]}});
  EXPECT_EQ(next["logStreams"].size(), 1u);
  EXPECT_FALSE(next.contains("nextToken"));
  auto wrong_group = logs->call("DescribeLogStreams", {{"logGroupName", "/aws/other"}});
  EXPECT_EQ(wrong_group.error().type, "ResourceNotFoundException");
  auto conflict = logs->call(
      "DescribeLogStreams",
      {{"logGroupName", std::string(k_log_group)}, {"orderBy", "LastEventTime"}, {"logStreamNamePrefix", "job-a"}});
  EXPECT_EQ(conflict.error().type, "InvalidParameterException");
}

// Tokens are the caller's to forge: one near 2^64 once wrapped round to the first page.
TEST_F(Logs, ForgedPositionTokensAreInvalid) {
  for (const std::string token :
       {"f/18446744073709551615", "f/18446744073709551610", "f/99999999999999999999999", "f/-1", "f/1x", "x/1", "f/"}) {
    auto streams = logs->call("DescribeLogStreams", {{"logGroupName", std::string(k_log_group)}, {"nextToken", token}});
    ASSERT_FALSE(streams) << token;
    EXPECT_EQ(streams.error().http_status, 400) << token;
    EXPECT_EQ(streams.error().type, "InvalidParameterException") << token;
    auto events = logs->call("GetLogEvents", {{"logGroupName", std::string(k_log_group)},
                                              {"logStreamName", "job-a/algo-1-1700000000"},
                                              {"nextToken", token}});
    ASSERT_FALSE(events) << token;
    EXPECT_EQ(events.error().type, "InvalidParameterException") << token;
  }
  // Past the end but plausible: an empty page with no token back to the start.
  const auto beyond = call("DescribeLogStreams", {{"nextToken", "f/00000000000000000049"}, {"limit", 50}});
  EXPECT_TRUE(beyond["logStreams"].empty());
  EXPECT_FALSE(beyond.contains("nextToken"));
}

TEST_F(Logs, GetLogEventsForwardFromTheHead) {
  json body = {{"logStreamName", "job-a/algo-1-1700000000"}, {"startFromHead", true}, {"limit", 2}};
  std::vector<std::string> seen;
  std::string token;
  for (int pages = 0; pages < 10; ++pages) {
    if (!token.empty()) body["nextToken"] = token;
    const auto page = call("GetLogEvents", body);
    for (auto& message : messages(page))
      seen.push_back(message);
    if (page["nextForwardToken"] == token) break; // the end: the same token comes back
    token = page["nextForwardToken"];
  }
  EXPECT_EQ(seen, (std::vector<std::string>{"one 0", "one 1", "one 2 ERROR", "one 3", "one 4"}));
  // New lines show up behind the last token.
  append(store->folder("job-a"), 0, "11000\tone 5\n");
  body["nextToken"] = token;
  EXPECT_EQ(messages(call("GetLogEvents", body)), (std::vector<std::string>{"one 5"}));
}

TEST_F(Logs, GetLogEventsFromTheTailAndBackward) {
  const auto last = call("GetLogEvents", {{"logStreamName", "job-a/algo-1-1700000000"}, {"limit", 2}});
  EXPECT_EQ(messages(last), (std::vector<std::string>{"one 3", "one 4"}));
  const auto earlier =
      call("GetLogEvents",
           {{"logStreamName", "job-a/algo-1-1700000000"}, {"limit", 2}, {"nextToken", last["nextBackwardToken"]}});
  EXPECT_EQ(messages(earlier), (std::vector<std::string>{"one 1", "one 2 ERROR"}));
  const auto window = call(
      "GetLogEvents",
      {{"logStreamName", "job-a/algo-1-1700000000"}, {"startFromHead", true}, {"startTime", 3000}, {"endTime", 7000}});
  EXPECT_EQ(messages(window), (std::vector<std::string>{"one 1", "one 2 ERROR"})); // endTime exclusive
  const auto& event = window["events"][0];
  EXPECT_EQ(event["timestamp"], 3000);
  EXPECT_EQ(event["ingestionTime"], 3000);
  auto missing = logs->call("GetLogEvents",
                            {{"logGroupName", std::string(k_log_group)}, {"logStreamName", "job-a/algo-1-1700000001"}});
  EXPECT_EQ(missing.error().type, "ResourceNotFoundException");
  EXPECT_EQ(missing.error().message, "The specified log stream does not exist.");
  auto not_yet = logs->call("GetLogEvents",
                            {{"logGroupName", std::string(k_log_group)}, {"logStreamName", "job-b/algo-1-1700000100"}});
  EXPECT_EQ(not_yet.error().type, "ResourceNotFoundException");
}

TEST_F(Logs, FilterLogEventsInterleavesPagesAndMatches) {
  const auto all = call("FilterLogEvents", {{"logStreamNamePrefix", "job-a/"}});
  EXPECT_EQ(messages(all), (std::vector<std::string>{"one 0", "two 0", "one 1", "two 1", "one 2 ERROR", "two 2",
                                                     "one 3", "two 3", "one 4", "two 4"}));
  EXPECT_FALSE(all.contains("nextToken"));
  EXPECT_EQ(all["events"][1]["logStreamName"], "job-a/algo-2-1700000000");
  EXPECT_EQ(all["searchedLogStreams"].size(), 2u);
  std::set<std::string> ids;
  for (const auto& event : all["events"])
    ids.insert(event["eventId"].get<std::string>());
  EXPECT_EQ(ids.size(), 10u);

  json body = {{"limit", 3}};
  std::vector<std::string> paged;
  for (int pages = 0; pages < 10; ++pages) {
    const auto page = call("FilterLogEvents", body);
    for (auto& message : messages(page))
      paged.push_back(message);
    if (!page.contains("nextToken")) break;
    body["nextToken"] = page["nextToken"];
  }
  EXPECT_EQ(paged, messages(all));

  EXPECT_EQ(messages(call("FilterLogEvents", {{"filterPattern", "ERROR"}})), (std::vector<std::string>{"one 2 ERROR"}));
  EXPECT_EQ(messages(call("FilterLogEvents",
                          {{"logStreamNames", {"job-a/algo-2-1700000000"}}, {"startTime", 4000}, {"endTime", 6000}})),
            (std::vector<std::string>{"two 1", "two 2"})); // endTime inclusive here
}

} // namespace
} // namespace sagerun::server
