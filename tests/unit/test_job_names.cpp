// Job names: the service's pattern and SDK-style unique names.
#include <regex>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "job/names.hpp"

namespace sagerun::job {
namespace {

const std::regex k_service_pattern("[a-zA-Z0-9](-*[a-zA-Z0-9]){0,62}");
const std::regex k_unique_suffix(".*-[0-9]{4}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{2}-[0-9]{3}");

TEST(JobNames, Validity) {
  for (const std::string& name : std::vector<std::string>{"a", "my-job", "A1--b2", "x" + std::string(62, 'y')}) {
    EXPECT_TRUE(is_valid_job_name(name)) << name;
    EXPECT_TRUE(std::regex_match(name, k_service_pattern)) << name;
  }
  for (const std::string& name :
       std::vector<std::string>{"", "my_job", "-a", "a-", "a.b", "a b", std::string(64, 'a'), "é"})
    EXPECT_FALSE(is_valid_job_name(name)) << name;
}

TEST(JobNames, UniqueNameHasTheSdkShape) {
  const auto name = unique_job_name("my-training");
  EXPECT_TRUE(name.starts_with("my-training-")) << name;
  EXPECT_TRUE(std::regex_match(name, k_unique_suffix)) << name;
  EXPECT_TRUE(is_valid_job_name(name)) << name;
  EXPECT_EQ(name.size(), std::string("my-training").size() + 24);
}

TEST(JobNames, BaseIsSanitizedAndCut) {
  const auto long_name = unique_job_name(std::string(100, 'b'));
  EXPECT_EQ(long_name.size(), k_max_job_name);
  EXPECT_TRUE(long_name.starts_with(std::string(39, 'b') + "-"));
  EXPECT_TRUE(is_valid_job_name(long_name));

  const auto odd = unique_job_name("__my_job.v2");
  EXPECT_TRUE(odd.starts_with("my-job-v2-")) << odd;
  EXPECT_TRUE(is_valid_job_name(odd)) << odd;

  EXPECT_TRUE(is_valid_job_name(unique_job_name("ends-with-dash-"))); // "--" before the stamp is fine
  EXPECT_TRUE(unique_job_name("").starts_with("sagerun-"));
  EXPECT_TRUE(unique_job_name("___").starts_with("sagerun-"));
}

TEST(JobNames, SameMillisecondStillUnique) {
  std::set<std::string> names;
  for (int i = 0; i < 2000; ++i)
    names.insert(unique_job_name("job"));
  EXPECT_EQ(names.size(), 2000u);
}

} // namespace
} // namespace sagerun::job
