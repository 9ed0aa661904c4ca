// ListTrainingJobs: filters, sort orders, keyset paging and the service's validation messages.

#include "server/list_jobs.hpp"

#include "aws/crypto.hpp"
#include "job/lifecycle.hpp"
#include "jobs/local_jobs.hpp"
#include "store/index.hpp"
#include "test_support.hpp"
#include "util/text.hpp"

#include <gtest/gtest.h>

namespace sagerun::server {
namespace {

using nlohmann::json;

struct Spec {
  std::string name;
  std::string arn;
  job::JobStatus status;
  double creation, modified;
};

// name, status, creation, last modified
std::vector<Spec> jobs() {
  using job::JobStatus;
  return {
      {"alpha-1", "arn:a1", JobStatus::completed, 100, 150},   {"Beta-2", "arn:b2", JobStatus::failed, 200, 250},
      {"alpha-3", "arn:a3", JobStatus::in_progress, 300, 310}, {"gamma-4", "arn:g4", JobStatus::completed, 400, 450},
      {"alpha-5", "arn:a5", JobStatus::stopped, 500, 520},
  };
}

void insert(store::Index& index, const Spec& spec) {
  store::JobRow row;
  row.name = spec.name;
  row.request = {{"TrainingJobName", spec.name}};
  row.status = job::new_status(spec.name, spec.arn, spec.creation);
  job::advance(row.status, job::SecondaryStatus::training, spec.modified);
  if (spec.status == job::JobStatus::completed) job::complete(row.status, spec.modified);
  if (spec.status == job::JobStatus::failed) job::fail(row.status, "x", spec.modified);
  if (spec.status == job::JobStatus::stopped) job::stopped(row.status, job::SecondaryStatus::stopped, spec.modified);
  if (job::has_ended(spec.status)) row.status.training_end_time = spec.modified;
  ASSERT_TRUE(index.insert(row));
}

// The service's answer, through the request parser, the index and the answer's shape.
class ListTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Index::open(dir.path() / "jobs.db");
    ASSERT_TRUE(opened) << opened.error().message;
    index = std::move(*opened);
    for (const auto& spec : jobs())
      insert(*index, spec);
  }

  json list(const json& body) {
    auto query = parse_list_query(body);
    EXPECT_TRUE(query) << query.error().message;
    auto page = index->list(*query);
    EXPECT_TRUE(page) << page.error().message;
    return jobs::list_page_json(*page);
  }

  test::TempDir dir;
  std::unique_ptr<store::Index> index;
};

std::vector<std::string> names(const json& page) {
  std::vector<std::string> out;
  for (const auto& item : page["TrainingJobSummaries"])
    out.push_back(item["TrainingJobName"]);
  return out;
}

TEST_F(ListTest, NewestFirstByDefault) {
  const auto page = list(json::object());
  EXPECT_EQ(names(page), (std::vector<std::string>{"alpha-5", "gamma-4", "alpha-3", "Beta-2", "alpha-1"}));
  EXPECT_FALSE(page.contains("NextToken"));
  const auto& first = page["TrainingJobSummaries"][0];
  EXPECT_EQ(first["TrainingJobArn"], "arn:a5");
  EXPECT_EQ(first["TrainingJobStatus"], "Stopped");
  EXPECT_EQ(first["SecondaryStatus"], "Stopped");
  EXPECT_EQ(first["CreationTime"], 500.0);
  EXPECT_EQ(first["LastModifiedTime"], 520.0);
  EXPECT_EQ(first["TrainingEndTime"], 520.0);
  EXPECT_FALSE(page["TrainingJobSummaries"][2].contains("TrainingEndTime"));
}

TEST_F(ListTest, Filters) {
  EXPECT_EQ(names(list({{"NameContains", "ALPHA"}})), (std::vector<std::string>{"alpha-5", "alpha-3", "alpha-1"}));
  EXPECT_EQ(names(list({{"StatusEquals", "Completed"}})), (std::vector<std::string>{"gamma-4", "alpha-1"}));
  EXPECT_EQ(names(list({{"CreationTimeAfter", 200}, {"CreationTimeBefore", 500}})),
            (std::vector<std::string>{"gamma-4", "alpha-3"}));
  EXPECT_EQ(names(list({{"LastModifiedTimeAfter", 300}, {"LastModifiedTimeBefore", 460}})),
            (std::vector<std::string>{"gamma-4", "alpha-3"}));
  EXPECT_EQ(names(list({{"CreationTimeAfter", "1970-01-01T00:05:00Z"}})),
            (std::vector<std::string>{"alpha-5", "gamma-4"}));
  EXPECT_EQ(names(list({{"NameContains", "alpha"}, {"StatusEquals", "InProgress"}})),
            (std::vector<std::string>{"alpha-3"}));
}

TEST_F(ListTest, SortOrders) {
  EXPECT_EQ(names(list({{"SortBy", "Name"}, {"SortOrder", "Ascending"}})),
            (std::vector<std::string>{"alpha-1", "alpha-3", "alpha-5", "Beta-2", "gamma-4"}));
  EXPECT_EQ(names(list({{"SortBy", "Name"}})),
            (std::vector<std::string>{"gamma-4", "Beta-2", "alpha-5", "alpha-3", "alpha-1"}));
  EXPECT_EQ(names(list({{"SortBy", "Status"}, {"SortOrder", "Ascending"}})),
            (std::vector<std::string>{"alpha-1", "gamma-4", "Beta-2", "alpha-3", "alpha-5"}));
  EXPECT_EQ(names(list({{"SortBy", "CreationTime"}, {"SortOrder", "Ascending"}})),
            (std::vector<std::string>{"alpha-1", "Beta-2", "alpha-3", "gamma-4", "alpha-5"}));
}

TEST_F(ListTest, PagesWithTokensUntilDone) {
  for (const char* sort_by : {"CreationTime", "Name", "Status"}) {
    for (const char* order : {"Ascending", "Descending"}) {
      json body = {{"SortBy", sort_by}, {"SortOrder", order}};
      const auto all = names(list(body));
      std::vector<std::string> paged;
      body["MaxResults"] = 2;
      for (int pages = 0;; ++pages) {
        ASSERT_LT(pages, 5);
        const auto page = list(body);
        EXPECT_LE(page["TrainingJobSummaries"].size(), 2u);
        for (auto& name : names(page))
          paged.push_back(name);
        if (!page.contains("NextToken")) break;
        body["NextToken"] = page["NextToken"];
      }
      EXPECT_EQ(paged, all) << sort_by << " " << order;
    }
  }
}

TEST_F(ListTest, AJobCreatedBetweenPagesShiftsNothing) {
  const auto first = list({{"MaxResults", 2}});
  insert(*index, {"newest", "arn:n", job::JobStatus::in_progress, 600, 600});
  const auto second = list({{"MaxResults", 2}, {"NextToken", first["NextToken"]}});
  EXPECT_EQ(names(second), (std::vector<std::string>{"alpha-3", "Beta-2"}));
}

TEST_F(ListTest, BadTokensAndParameters) {
  auto query = parse_list_query({{"NextToken", "garbage"}});
  ASSERT_TRUE(query);
  auto page = index->list(*query);
  ASSERT_FALSE(page);
  EXPECT_EQ(page.error().code, "ValidationException");
  // A token of one order is refused in another.
  const auto first = list({{"MaxResults", 2}});
  auto other = parse_list_query({{"NextToken", first["NextToken"]}, {"SortBy", "Name"}});
  ASSERT_TRUE(other);
  EXPECT_FALSE(index->list(*other));

  auto zero = parse_list_query({{"MaxResults", 0}});
  ASSERT_FALSE(zero);
  EXPECT_EQ(zero.error().message, "1 validation error detected: Value '0' at 'maxResults' failed to satisfy "
                                  "constraint: Member must have value greater than or equal to 1");
  auto two = parse_list_query({{"MaxResults", 101}, {"StatusEquals", "Done"}});
  ASSERT_FALSE(two);
  EXPECT_EQ(two.error().message,
            "2 validation errors detected: Value '101' at 'maxResults' failed to satisfy constraint: Member must have "
            "value less than or equal to 100; Value 'Done' at 'statusEquals' failed to satisfy constraint: Member "
            "must satisfy enum value set: [InProgress, Completed, Failed, Stopping, Stopped, Deleting]");
  auto pattern = parse_list_query({{"NameContains", "a_b"}});
  ASSERT_FALSE(pattern);
  EXPECT_NE(pattern.error().message.find("Member must satisfy regular expression pattern: [a-zA-Z0-9\\-]+"),
            std::string::npos);
  auto type = parse_list_query({{"MaxResults", "ten"}});
  ASSERT_FALSE(type);
  EXPECT_EQ(type.error().type, "SerializationException");
}

// A token is the caller's to forge: fields of the wrong JSON types are a ValidationException
// (once an exception escaped and became HTTP 500 with its text).
TEST_F(ListTest, ForgedTokensOfWrongTypesAreRefused) {
  const json good = {{"v", 1},     {"by", "CreationTime"}, {"order", "Descending"},
                     {"text", ""}, {"number", 300.0},      {"name", "alpha-3"}};
  std::vector<json> forged;
  for (const auto& [key, value] : good.items()) {
    for (const json& wrong : {json(5), json("five"), json::array(), json::object(), json(nullptr), json(true)}) {
      if (wrong.type() == value.type() || (wrong.is_number() && value.is_number())) continue;
      auto token = good;
      token[key] = wrong;
      forged.push_back(token);
    }
  }
  forged.push_back(json::array({1, 2}));
  forged.push_back(json("text"));
  for (const auto& token : forged) {
    auto query = parse_list_query({{"NextToken", aws::base64_encode(token.dump())}});
    ASSERT_TRUE(query);
    auto page = index->list(*query);
    ASSERT_FALSE(page) << token.dump();
    EXPECT_EQ(page.error().code, "ValidationException") << token.dump();
    EXPECT_EQ(page.error().http_status, 400);
  }
  auto query = parse_list_query({{"NextToken", aws::base64_encode(good.dump())}});
  ASSERT_TRUE(query);
  auto page = index->list(*query);
  ASSERT_TRUE(page) << page.error().message;
  EXPECT_EQ(page->jobs.size(), 2U); // Beta-2 and alpha-1, older than alpha-3
}

// Past a thousand matches NameContains is SQLite's scan; below, the page is read from the rows
// the names in memory point at. Both give the same pages, tokens and filters, in every order,
// and a job added between pages, or a status written, is seen at once.
class LargeListTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = store::Index::open(dir.path() / "jobs.db");
    ASSERT_TRUE(opened) << opened.error().message;
    index = std::move(*opened);
    std::vector<store::JobRow> rows;
    for (int i = 0; i < 1200; ++i) {
      // Every 100th job is rare; creation times repeat in pairs, so the names break ties.
      const std::string name = (i % 100 == 0 ? "Rare-" : "common-") + std::to_string(i);
      store::JobRow row;
      row.name = name;
      row.status = job::new_status(name, "arn:" + name, 1000 + i / 2);
      job::advance(row.status, job::SecondaryStatus::training, 1000 + i / 2 + 0.5);
      if (i % 3 == 0) job::complete(row.status, 2000 + i);
      if (i % 3 == 1) job::fail(row.status, "x", 2000 + i);
      rows.push_back(std::move(row));
    }
    ASSERT_TRUE(index->insert_all(rows));
  }

  json list(const json& body) {
    auto query = parse_list_query(body);
    EXPECT_TRUE(query) << query.error().message;
    auto page = index->list(*query);
    EXPECT_TRUE(page) << page.error().message;
    return page ? jobs::list_page_json(*page) : json::object();
  }

  // Every page of the listing, followed by its tokens.
  std::vector<std::string> all_pages(json body, int max_results) {
    std::vector<std::string> out;
    body["MaxResults"] = max_results;
    for (int pages = 0; pages < 2000; ++pages) {
      const auto page = list(body);
      for (auto& name : names(page))
        out.push_back(name);
      if (!page.contains("NextToken")) break;
      body["NextToken"] = page["NextToken"];
    }
    return out;
  }

  // The same listing worked out here, from the jobs' names, statuses and times.
  std::vector<std::string> expected(const std::string& contains, const char* sort_by, bool ascending,
                                    const char* status = nullptr) {
    auto every = all_pages({{"SortBy", sort_by}, {"SortOrder", ascending ? "Ascending" : "Descending"}}, 100);
    std::vector<std::string> out;
    for (const auto& name : every) {
      if (util::ascii_lower(name).find(util::ascii_lower(contains)) == std::string::npos) continue;
      if (status != nullptr) {
        const auto row = index->find(name);
        if (!row || job::to_string(row->status.status) != status) continue;
      }
      out.push_back(name);
    }
    return out;
  }

  test::TempDir dir;
  std::unique_ptr<store::Index> index;
};

TEST_F(LargeListTest, RareAndCommonNameMatchesPageAlikeInEveryOrder) {
  for (const char* contains : {"RARE", "common-1", "-"}) {
    for (const char* sort_by : {"CreationTime", "Name", "Status"}) {
      for (const bool ascending : {true, false}) {
        const json body = {
            {"NameContains", contains}, {"SortBy", sort_by}, {"SortOrder", ascending ? "Ascending" : "Descending"}};
        EXPECT_EQ(all_pages(body, 5), expected(contains, sort_by, ascending)) << contains << " " << sort_by;
      }
    }
  }
  EXPECT_EQ(expected("rare", "Name", true).size(), 12u);
  EXPECT_EQ(expected("-", "Name", true).size(), 1200u); // the scan, past the limit
}

TEST_F(LargeListTest, RareMatchesCombineWithTheOtherFilters) {
  EXPECT_EQ(all_pages({{"NameContains", "rare"}, {"StatusEquals", "Failed"}}, 3),
            expected("rare", "CreationTime", false, "Failed"));
  EXPECT_EQ(names(list({{"NameContains", "rare"}, {"CreationTimeAfter", 1449}, {"CreationTimeBefore", 1500}})),
            (std::vector<std::string>{"Rare-900"}));
  EXPECT_EQ(names(list({{"NameContains", "rare-1"}, {"LastModifiedTimeAfter", 2950}})),
            (std::vector<std::string>{"Rare-1000"}));
}

TEST_F(LargeListTest, AJobAddedOrMovedBetweenPagesIsSeenAndShiftsNothing) {
  const auto first = list({{"NameContains", "rare"}, {"MaxResults", 4}});
  EXPECT_EQ(names(first), (std::vector<std::string>{"Rare-1100", "Rare-1000", "Rare-900", "Rare-800"}));
  insert(*index, {"rare-newest", "arn:n", job::JobStatus::in_progress, 5000, 5000});
  const auto second = list({{"NameContains", "rare"}, {"MaxResults", 4}, {"NextToken", first["NextToken"]}});
  EXPECT_EQ(names(second), (std::vector<std::string>{"Rare-700", "Rare-600", "Rare-500", "Rare-400"}));
  EXPECT_EQ(names(list({{"NameContains", "RARE"}, {"MaxResults", 1}})), (std::vector<std::string>{"rare-newest"}));

  // A status written moves the job from one StatusEquals listing to another.
  const auto in_progress = json{{"StatusEquals", "InProgress"}, {"NameContains", "newest"}};
  EXPECT_EQ(names(list(in_progress)), (std::vector<std::string>{"rare-newest"}));
  auto row = index->find("rare-newest");
  ASSERT_TRUE(row);
  job::complete(row->status, 6000);
  ASSERT_TRUE(index->write_status("rare-newest", row->status));
  EXPECT_EQ(names(list(in_progress)), std::vector<std::string>{});
  EXPECT_EQ(names(list({{"StatusEquals", "Completed"}, {"MaxResults", 1}})), (std::vector<std::string>{"rare-newest"}));
  EXPECT_EQ(names(list({{"StatusEquals", "Completed"}, {"SortBy", "Name"}, {"MaxResults", 1}})),
            (std::vector<std::string>{"rare-newest"}));
}

// The page's text is what nlohmann::json would write for the same answer.
TEST(ListPageText, IsTheTextOfTheAnswersTree) {
  store::ListPage page;
  page.jobs.push_back({"a-1", "arn:aws:sagemaker:us-east-1:0:training-job/a-1", job::JobStatus::completed,
                       job::SecondaryStatus::completed, 1764632096.123456, 1764632100.0, 1764632100.5});
  page.jobs.push_back(
      {"b-2", "arn:\"odd\"\n\xff", job::JobStatus::in_progress, job::SecondaryStatus::training, 0, 1e-7, std::nullopt});
  page.jobs.push_back({"c-3", "arn:c", job::JobStatus::stopped, job::SecondaryStatus::stopped, 1e15, 12.5, 3e20});
  page.next_token = "dG9rZW4=";
  json summaries = json::array();
  for (const auto& job : page.jobs) {
    json item = {{"TrainingJobName", job.name},
                 {"TrainingJobArn", job.arn},
                 {"CreationTime", job.creation_time},
                 {"LastModifiedTime", job.last_modified_time},
                 {"TrainingJobStatus", job::to_string(job.status)},
                 {"SecondaryStatus", job::to_string(job.secondary_status)}};
    if (job.end_time) item["TrainingEndTime"] = *job.end_time;
    summaries.push_back(item);
  }
  const json tree = {{"TrainingJobSummaries", summaries}, {"NextToken", page.next_token}};
  EXPECT_EQ(jobs::list_page_text(page), tree.dump(-1, ' ', false, json::error_handler_t::replace));
  page.next_token.clear();
  page.jobs.clear();
  EXPECT_EQ(jobs::list_page_text(page), R"({"TrainingJobSummaries":[]})");
}

} // namespace
} // namespace sagerun::server
