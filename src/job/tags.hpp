#pragma once
// Tags of a training job: CreateTrainingJob's `Tags`, and the AddTags, ListTags and DeleteTags
// operations' inputs, checked against botocore's SageMaker model (lengths in UTF-16 units as the
// service counts them, the tags' Unicode pattern, at most 50 in a list) with the service's messages.

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace sagerun::job {

// A resource holds at most this many tags, as SageMaker allows.
inline constexpr size_t k_max_tags = 50;

struct Tag {
  std::string key;
  std::string value;

  bool operator==(const Tag&) const = default;
};

// `body` checked against `operation`'s input shape ("AddTags", "DeleteTags", "ListTags"): the
// service's message ("1 validation error detected: Value 'x' at 'tags.1.member.key' failed to
// satisfy constraint: …"), or an empty string when it is valid. Tag keys must also differ within
// a request and not begin with "aws:" (as in CreateTrainingJob's Tags).
std::string validate_tags_input(std::string_view operation, const nlohmann::json& body);

// The tags of a checked `Tags` list ([{"Key": …, "Value": …}, …]), in order; anything else gives none.
std::vector<Tag> read_tags(const nlohmann::json& tags);
// The list form, as the API answers it.
nlohmann::json tags_json(const std::vector<Tag>& tags);

} // namespace sagerun::job
