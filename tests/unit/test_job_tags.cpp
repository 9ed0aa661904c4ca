// The tag operations' inputs checked as the service checks them (botocore's model: lengths in
// UTF-16 units, the Unicode pattern, list sizes, the ARN's pattern), the rules the model cannot
// say (unique keys, no "aws:" prefix) in AddTags and CreateTrainingJob alike, and the list form.

#include "job/tags.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"

#include "job/request.hpp"

namespace sagerun::job {
namespace {

using nlohmann::json;

const std::string k_arn = "arn:aws:sagemaker:us-east-1:000000000000:training-job/job";
const std::string k_pattern = "Member must satisfy regular expression pattern: ^([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)$";

// A list of tags (a braced list of one would be that one object, not a list).
json add_tags(const std::vector<json>& tags) { return {{"ResourceArn", k_arn}, {"Tags", json(tags)}}; }

json tag(const std::string& key, const std::string& value = "v") { return {{"Key", key}, {"Value", value}}; }

using test::one_validation_error;

TEST(JobTags, LettersSeparatorsAndNumbersOfAnyScriptPass) {
  const std::vector<json> tags = {
      tag("team", "ml"), tag("Équipe", "données d'été"),     // an apostrophe is no letter…
      tag("日本語", "٣ ٤"),                                  // Arabic-Indic digits are numbers
      tag("a_b.c:d/e=f+g-h@i", ""),                          // the marks the pattern names; an empty value
      tag(std::string("\xf0\xa0\x80\x80"), "\xe2\x80\x83")}; // U+20000 (a letter), an em space
  const auto message = validate_tags_input("AddTags", add_tags(tags));
  EXPECT_EQ(message, one_validation_error("'données d'été'", "tags.2.member.value", k_pattern)); // …so only it fails
  std::vector<json> fine = tags;
  fine[1]["Value"] = "données d’été"; // U+2019 is punctuation too
  EXPECT_NE(validate_tags_input("AddTags", add_tags(fine)), "");
  fine[1]["Value"] = "données";
  EXPECT_EQ(validate_tags_input("AddTags", add_tags(fine)), "");
}

TEST(JobTags, OtherCharactersBreakThePattern) {
  for (const std::string key : {"a!b", "smile \xf0\x9f\x98\x80", "tab\there", "new\nline", "#", "a,b"}) {
    EXPECT_EQ(validate_tags_input("AddTags", add_tags({tag(key)})),
              one_validation_error("'" + key + "'", "tags.1.member.key", k_pattern))
        << key;
  }
}

TEST(JobTags, LengthsCountUtf16UnitsAsTheServiceDoes) {
  std::string letters; // U+20000 is two UTF-16 units
  for (int i = 0; i < 64; ++i)
    letters += "\xf0\xa0\x80\x80";
  EXPECT_EQ(validate_tags_input("AddTags", add_tags({tag(letters)})), ""); // 128 units
  const std::string longer = letters + "\xf0\xa0\x80\x80";
  EXPECT_EQ(validate_tags_input("AddTags", add_tags({tag(longer)})),
            one_validation_error("'" + longer + "'", "tags.1.member.key",
                                 "Member must have length less than or equal to 128"));
  EXPECT_EQ(validate_tags_input("AddTags", add_tags({tag("")})),
            one_validation_error("''", "tags.1.member.key", "Member must have length greater than or equal to 1"));
  EXPECT_EQ(validate_tags_input("AddTags", add_tags({tag("k", std::string(257, 'v'))})),
            one_validation_error("'" + std::string(257, 'v') + "'", "tags.1.member.value",
                                 "Member must have length less than or equal to 256"));
}

TEST(JobTags, AtMostFiftyInARequest) {
  std::vector<json> tags;
  tags.reserve(51);
  for (int i = 0; i < 51; ++i)
    tags.push_back(tag("k" + std::to_string(i)));
  const auto message = validate_tags_input("AddTags", add_tags(tags));
  EXPECT_TRUE(message.starts_with("1 validation error detected: Value '[{Key=k0, Value=v}, ")) << message;
  EXPECT_TRUE(message.ends_with("' at 'tags' failed to satisfy constraint: Member must have length less than or "
                                "equal to 50"))
      << message;
  tags.pop_back();
  EXPECT_EQ(validate_tags_input("AddTags", add_tags(tags)), "");
}

TEST(JobTags, TheResourceArnAndTheOtherMembers) {
  EXPECT_EQ(validate_tags_input("AddTags", {{"Tags", json::array()}}),
            one_validation_error("null", "resourceArn", "Member must not be null"));
  EXPECT_EQ(validate_tags_input("ListTags", {{"ResourceArn", "arn:aws:iam::123456789012:role/r"}}),
            one_validation_error("'arn:aws:iam::123456789012:role/r'", "resourceArn",
                                 "Member must satisfy regular expression pattern: "
                                 "arn:aws[a-z-]*:sagemaker:[a-z0-9-]*:[0-9]{12}:.+"));
  EXPECT_EQ(validate_tags_input("ListTags", {{"ResourceArn", k_arn}}), "");
  EXPECT_EQ(validate_tags_input("ListTags", {{"ResourceArn", k_arn}, {"MaxResults", 10}}),
            one_validation_error("'10'", "maxResults", "Member must have value greater than or equal to 50"));
  EXPECT_EQ(validate_tags_input("ListTags", {{"ResourceArn", k_arn}, {"MaxResults", 50}, {"NextToken", "t"}}), "");
  EXPECT_EQ(validate_tags_input("DeleteTags", {{"ResourceArn", k_arn}, {"TagKeys", json::array()}}),
            one_validation_error("'[]'", "tagKeys", "Member must have length greater than or equal to 1"));
  EXPECT_EQ(
      validate_tags_input("DeleteTags", {{"ResourceArn", k_arn}, {"TagKeys", {"fine", "not!fine"}}}),
      one_validation_error("'[fine, not!fine]'", "tagKeys",
                           "Member must satisfy constraint: [Member must have length less than or equal to 128, Member "
                           "must have length greater than or equal to 1, " +
                               k_pattern + "]"));
  EXPECT_EQ(validate_tags_input("DeleteTags", {{"ResourceArn", k_arn}}),
            one_validation_error("null", "tagKeys", "Member must not be null"));
  const auto message =
      validate_tags_input("AddTags", {{"ResourceArn", k_arn}, {"Tags", json::array({{{"Key", "k"}}})}});
  EXPECT_EQ(message, one_validation_error("null", "tags.1.member.value", "Member must not be null"));
  EXPECT_EQ(validate_tags_input("AddTags", json::array()),
            "1 validation error detected: The request must be a JSON object (AddTags's input), not array");
}

TEST(JobTags, KeysDifferAndTheAwsPrefixIsRefusedAtCreationToo) {
  EXPECT_EQ(
      validate_tags_input("AddTags", add_tags({tag("team"), tag("other"), tag("team", "again")})),
      one_validation_error("'team'", "tags.3.member.key",
                           "Member must be unique: a tag key may be given once (its value replaces any earlier one)"));
  EXPECT_EQ(validate_tags_input("AddTags", add_tags({tag("aws:cloudformation:stack-name")})),
            one_validation_error("'aws:cloudformation:stack-name'", "tags.1.member.key",
                                 "Member must not begin with 'aws:': that prefix is reserved for AWS's own tags"));
  json request = {{"TrainingJobName", "job"},
                  {"RoleArn", "arn:aws:iam::123456789012:role/r"},
                  {"AlgorithmSpecification", {{"TrainingImage", "img:1"}, {"TrainingInputMode", "File"}}},
                  {"OutputDataConfig", {{"S3OutputPath", "s3://b/o"}}},
                  {"ResourceConfig", {{"InstanceType", "ml.m5.large"}, {"InstanceCount", 1}, {"VolumeSizeInGB", 1}}},
                  {"StoppingCondition", {{"MaxRuntimeInSeconds", 60}}},
                  {"Tags", {tag("aws:x"), tag("k"), tag("k"), tag("bad!")}}};
  const auto created = validate_request(request);
  EXPECT_TRUE(created.starts_with("3 validation errors detected: ")) << created;
  EXPECT_NE(created.find("at 'tags.4.member.key' failed to satisfy constraint: " + k_pattern), std::string::npos)
      << created;
  EXPECT_NE(created.find("at 'tags.1.member.key' failed to satisfy constraint: Member must not begin with 'aws:'"),
            std::string::npos);
  EXPECT_NE(created.find("at 'tags.3.member.key' failed to satisfy constraint: Member must be unique"),
            std::string::npos);
  request["Tags"] = json::array({tag("team", "ml")});
  EXPECT_EQ(validate_request(request), "");
}

TEST(JobTags, TheListFormBothWays) {
  const std::vector<Tag> tags = {{"team", "ml"}, {"empty", ""}};
  EXPECT_EQ(tags_json(tags), json({tag("team", "ml"), tag("empty", "")}));
  EXPECT_EQ(read_tags(tags_json(tags)), tags);
  EXPECT_TRUE(read_tags(json::object()).empty());
  EXPECT_TRUE(read_tags(json()).empty());
}

} // namespace
} // namespace sagerun::job
