#include "server/params.hpp"

#include <cmath>

#include "aws/credentials.hpp"

namespace sagerun::server {

std::string member_path(std::string_view member) {
  std::string out(member);
  if (!out.empty() && out[0] >= 'A' && out[0] <= 'Z') out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

const nlohmann::json* Params::find(const char* member) {
  const auto it = m_body.find(member);
  if (it == m_body.end() || it->is_null()) return nullptr;
  return &*it;
}

void Params::violation(const char* member, const std::string& value, const std::string& constraint) {
  m_violations.push_back("Value " + value + " at '" + member_path(member) +
                         "' failed to satisfy constraint: " + constraint);
}

void Params::wrong_type(const char* member, const char* expected) {
  if (!m_type_error) {
    m_type_error = ApiError{400, "SerializationException",
                            std::string("Unexpected value type for '") + member + "': expected " + expected};
  }
}

std::optional<std::string> Params::string(const char* member, const StringRule& rule) {
  const auto* value = find(member);
  if (value == nullptr) {
    if (rule.required) violation(member, "null", "Member must not be null");
    return std::nullopt;
  }
  if (!value->is_string()) {
    wrong_type(member, "a string");
    return std::nullopt;
  }
  auto text = value->get<std::string>();
  const std::string quoted = "'" + text + "'";
  const auto length = static_cast<int64_t>(text.size());
  bool ok = true;
  if (rule.min_length && length < *rule.min_length) {
    violation(member, quoted, "Member must have length greater than or equal to " + std::to_string(*rule.min_length));
    ok = false;
  }
  if (rule.max_length && length > *rule.max_length) {
    violation(member, quoted, "Member must have length less than or equal to " + std::to_string(*rule.max_length));
    ok = false;
  }
  if (!rule.enums.empty()) {
    bool known = false;
    std::string set;
    for (const auto& allowed : rule.enums) {
      known = known || allowed == text;
      set += (set.empty() ? "" : ", ") + std::string(allowed);
    }
    if (!known) {
      violation(member, quoted, "Member must satisfy enum value set: [" + set + "]");
      ok = false;
    }
  }
  if (ok && rule.matches && !rule.matches(text)) {
    violation(member, quoted, "Member must satisfy regular expression pattern: " + std::string(rule.pattern));
    ok = false;
  }
  if (!ok) return std::nullopt;
  return text;
}

std::optional<int64_t> Params::integer(const char* member, std::optional<int64_t> min, std::optional<int64_t> max) {
  const auto* value = find(member);
  if (value == nullptr) return std::nullopt;
  if (!value->is_number_integer()) {
    wrong_type(member, "an integer");
    return std::nullopt;
  }
  const auto number = value->get<int64_t>();
  if (min && number < *min) {
    violation(member, "'" + std::to_string(number) + "'",
              "Member must have value greater than or equal to " + std::to_string(*min));
    return std::nullopt;
  }
  if (max && number > *max) {
    violation(member, "'" + std::to_string(number) + "'",
              "Member must have value less than or equal to " + std::to_string(*max));
    return std::nullopt;
  }
  return number;
}

std::optional<bool> Params::boolean(const char* member) {
  const auto* value = find(member);
  if (value == nullptr) return std::nullopt;
  if (!value->is_boolean()) {
    wrong_type(member, "a boolean");
    return std::nullopt;
  }
  return value->get<bool>();
}

std::optional<double> Params::timestamp(const char* member) {
  const auto* value = find(member);
  if (value == nullptr) return std::nullopt;
  if (value->is_number()) {
    const double seconds = value->get<double>();
    if (std::isfinite(seconds)) return seconds;
  } else if (value->is_string()) {
    if (auto time = aws::parse_timestamp(value->get<std::string>())) {
      return static_cast<double>(
                 std::chrono::duration_cast<std::chrono::milliseconds>(time->time_since_epoch()).count()) /
             1000.0;
    }
  }
  wrong_type(member, "a timestamp (seconds since the epoch)");
  return std::nullopt;
}

std::optional<std::vector<std::string>> Params::string_list(const char* member, std::optional<int64_t> min,
                                                            std::optional<int64_t> max) {
  const auto* value = find(member);
  if (value == nullptr) return std::nullopt;
  if (!value->is_array()) {
    wrong_type(member, "a list of strings");
    return std::nullopt;
  }
  std::vector<std::string> out;
  for (const auto& item : *value) {
    if (!item.is_string()) {
      wrong_type(member, "a list of strings");
      return std::nullopt;
    }
    out.push_back(item.get<std::string>());
  }
  const auto size = static_cast<int64_t>(out.size());
  if ((min && size < *min) || (max && size > *max)) {
    violation(member, "'" + nlohmann::json(out).dump() + "'",
              min && size < *min ? "Member must have length greater than or equal to " + std::to_string(*min)
                                 : "Member must have length less than or equal to " + std::to_string(*max));
    return std::nullopt;
  }
  return out;
}

std::optional<ApiError> Params::error() const {
  if (m_type_error) return m_type_error;
  if (m_violations.empty()) return std::nullopt;
  std::string message = std::to_string(m_violations.size()) +
                        (m_violations.size() == 1 ? " validation error detected: " : " validation errors detected: ");
  for (size_t i = 0; i < m_violations.size(); ++i)
    message += (i == 0 ? "" : "; ") + m_violations[i];
  return ApiError{400, "ValidationException", message};
}

} // namespace sagerun::server
