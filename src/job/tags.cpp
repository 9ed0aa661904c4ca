// read_tags and tags_json; the checks (validate_tags_input) are the validator's (validate.cpp).
#include "job/tags.hpp"

namespace sagerun::job {

std::vector<Tag> read_tags(const nlohmann::json& tags) {
  std::vector<Tag> out;
  if (!tags.is_array()) return out;
  for (const auto& item : tags) {
    if (!item.is_object()) continue;
    const auto key = item.find("Key");
    const auto value = item.find("Value");
    if (key == item.end() || !key->is_string()) continue;
    out.push_back(
        {key->get<std::string>(), value != item.end() && value->is_string() ? value->get<std::string>() : ""});
  }
  return out;
}

nlohmann::json tags_json(const std::vector<Tag>& tags) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& tag : tags)
    out.push_back({{"Key", tag.key}, {"Value", tag.value}});
  return out;
}

} // namespace sagerun::job
