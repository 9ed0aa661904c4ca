// The index's tags: those given at creation, AddTags replacing a value in its place, DeleteTags of
// absent keys, at most 50 a job, found by the job's ARN only, gone with the job, and an index of
// the version before tags brought up to date once.

#include <gtest/gtest.h>

#include "job/arn.hpp"
#include "store/index.hpp"
#include "store/sqlite.hpp"
#include "test_support.hpp"

namespace sagerun::store {
namespace {

using job::Tag;
using nlohmann::json;
using Tags = std::vector<Tag>;

std::string arn_of(const std::string& name) { return job::training_job_arn("us-east-1", "000000000000", name); }

JobRow tagged_row(const std::string& name, const json& tags = json()) {
  JobRow out;
  out.name = name;
  out.request = {{"TrainingJobName", name}, {"RoleArn", "arn:aws:iam::123456789012:role/r"}};
  if (!tags.is_null()) out.request["Tags"] = tags;
  out.status = job::new_status(name, arn_of(name), 1700000000, job::SecondaryStatus::starting);
  return out;
}

std::unique_ptr<Index> open_index(const std::filesystem::path& file) {
  auto index = Index::open(file);
  EXPECT_TRUE(index) << index.error().message;
  return index ? std::move(*index) : nullptr;
}

TEST(StoreIndexTags, TheTagsOfCreationThenAddedReplacedAndDeleted) {
  test::TempDir dir;
  auto index = open_index(dir.path() / "jobs.db");
  auto job = tagged_row("Tagged-Job", {{{"Key", "team"}, {"Value", "ml"}}, {{"Key", "stage"}, {"Value", "dev"}}});
  ASSERT_TRUE(index->insert(job));
  const std::string arn = arn_of("Tagged-Job");
  EXPECT_EQ(*index->tags(arn), (Tags{{"team", "ml"}, {"stage", "dev"}}));

  // A key already there keeps its place with the new value; a new one comes last.
  auto added = index->add_tags(arn, {{"stage", "prod"}, {"owner", "ana"}});
  ASSERT_TRUE(added) << added.error().message;
  const Tags after = {{"team", "ml"}, {"stage", "prod"}, {"owner", "ana"}};
  EXPECT_EQ(*added, after);
  EXPECT_EQ(*index->tags(arn), after);

  ASSERT_TRUE(index->delete_tags(arn, {"team", "never-there"}));
  EXPECT_EQ(*index->tags(arn), (Tags{{"stage", "prod"}, {"owner", "ana"}}));

  // Kept across reopening; the ARN may be written in another case.
  index.reset();
  index = open_index(dir.path() / "jobs.db");
  EXPECT_EQ(index->tags("arn:aws:sagemaker:us-east-1:000000000000:training-job/TAGGED-JOB")->size(), 2u);
}

TEST(StoreIndexTags, AnArnOfNoJobHereIsAValidationError) {
  test::TempDir dir;
  auto index = open_index(dir.path() / "jobs.db");
  auto job = tagged_row("job");
  ASSERT_TRUE(index->insert(job));
  EXPECT_TRUE(index->tags(arn_of("job"))->empty());
  for (const std::string& arn : {arn_of("other"), job::training_job_arn("eu-west-1", "000000000000", "job"),
                                 job::training_job_arn("us-east-1", "123456789012", "job"),
                                 std::string("arn:aws:sagemaker:us-east-1:000000000000:endpoint/job")}) {
    const auto listed = index->tags(arn);
    ASSERT_FALSE(listed) << arn;
    EXPECT_EQ(listed.error().code, "ValidationException");
    EXPECT_NE(listed.error().message.find(arn), std::string::npos) << listed.error().message;
    EXPECT_FALSE(index->add_tags(arn, {{"k", "v"}}));
    EXPECT_FALSE(index->delete_tags(arn, {"k"}));
  }
  EXPECT_TRUE(index->tags(arn_of("job"))->empty()); // nothing was added to the job of that name
}

TEST(StoreIndexTags, AtMostFiftyAJobAndATooLargeAddChangesNothing) {
  test::TempDir dir;
  auto index = open_index(dir.path() / "jobs.db");
  auto job = tagged_row("job", {{{"Key", "first"}, {"Value", "1"}}});
  ASSERT_TRUE(index->insert(job));
  Tags many;
  for (int i = 0; i < 49; ++i)
    many.push_back({"k" + std::to_string(i), "v"});
  ASSERT_TRUE(index->add_tags(arn_of("job"), many)); // 50 in all
  const auto refused = index->add_tags(arn_of("job"), {{"first", "replaced"}, {"one-more", "v"}});
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().code, "ValidationException");
  EXPECT_NE(refused.error().message.find("would have 51 tags"), std::string::npos) << refused.error().message;
  const auto now = index->tags(arn_of("job"));
  ASSERT_EQ(now->size(), 50u);
  EXPECT_EQ(now->front(), (Tag{"first", "1"}));                         // the replacement was rolled back with the rest
  EXPECT_TRUE(index->add_tags(arn_of("job"), {{"first", "replaced"}})); // replacing adds none
}

TEST(StoreIndexTags, GoneWithTheJobAndNotInheritedByANewOneOfTheName) {
  test::TempDir dir;
  auto index = open_index(dir.path() / "jobs.db");
  auto job = tagged_row("job", {{{"Key", "team"}, {"Value", "ml"}}});
  ASSERT_TRUE(index->insert(job));
  ASSERT_TRUE(index->remove("job"));
  EXPECT_FALSE(index->tags(arn_of("job")));
  auto again = tagged_row("job");
  ASSERT_TRUE(index->insert(again));
  EXPECT_TRUE(index->tags(arn_of("job"))->empty());
}

// An index written before tags had a table: no `tags`, user_version 0, the tags in the requests.
void make_older_index(const std::filesystem::path& file) {
  {
    auto index = open_index(file);
    auto tagged = tagged_row("tagged", {{{"Key", "team"}, {"Value", "ml"}}, {{"Key", "empty"}, {"Value", ""}}});
    auto plain = tagged_row("plain");
    ASSERT_TRUE(index->insert(tagged));
    ASSERT_TRUE(index->insert(plain));
  }
  auto db = sqlite::Database::open(file);
  ASSERT_TRUE(db) << db.error().message;
  ASSERT_TRUE(db->exec("DROP TABLE tags; PRAGMA user_version = 0"));
}

int64_t user_version(const std::filesystem::path& file) {
  auto db = sqlite::Database::open(file);
  auto select = db->prepare("PRAGMA user_version");
  EXPECT_TRUE(select->step().value_or(false));
  return select->integer(0);
}

TEST(StoreIndexTags, AnOlderIndexGetsTheTagsOfItsRequestsOnce) {
  test::TempDir dir;
  const auto file = dir.path() / "jobs.db";
  make_older_index(file);
  ASSERT_EQ(user_version(file), 0);
  {
    auto first = open_index(file);
    auto second = open_index(file); // a second process opening it too copies nothing twice
    EXPECT_EQ(*first->tags(arn_of("tagged")), (Tags{{"team", "ml"}, {"empty", ""}}));
    EXPECT_EQ(*second->tags(arn_of("tagged")), (Tags{{"team", "ml"}, {"empty", ""}}));
    EXPECT_TRUE(first->tags(arn_of("plain"))->empty());
    ASSERT_TRUE(first->delete_tags(arn_of("tagged"), {"team"}));
  }
  EXPECT_EQ(user_version(file), 1);
  // Upgraded once: a tag deleted since stays deleted, though the request still holds it.
  auto index = open_index(file);
  EXPECT_EQ(*index->tags(arn_of("tagged")), (Tags{{"empty", ""}}));
  EXPECT_EQ(index->find("tagged")->request["Tags"].size(), 2u);
}

} // namespace
} // namespace sagerun::store
