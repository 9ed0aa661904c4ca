#pragma once
// Reading an API request's members with the service's checks and messages. Constraint failures
// are collected and reported together, as the service does ("2 validation errors detected:
// Value '0' at 'maxResults' failed to satisfy constraint: …; Value …"); a member of the wrong
// JSON type is a SerializationException.

#include <cstdint>
#include <functional>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"

namespace sagerun::server {

struct StringRule {
  std::optional<int64_t> min_length = {};
  std::optional<int64_t> max_length = {};
  std::vector<std::string_view> enums = {};           // empty: any value
  std::string_view pattern = {};                      // as printed in the message
  std::function<bool(std::string_view)> matches = {}; // checks `pattern`; unset: not checked
  bool required = false;
};

class Params {
public:
  // `body` must be a JSON object (the caller checks).
  explicit Params(const nlohmann::json& body) : m_body(body) {}

  // `member` as sent (MaxResults); the message names it lowerCamelCase (maxResults), as the
  // service does.
  std::optional<std::string> string(const char* member, const StringRule& rule = {});
  std::optional<int64_t> integer(const char* member, std::optional<int64_t> min = {}, std::optional<int64_t> max = {});
  std::optional<bool> boolean(const char* member);
  // Epoch seconds (JSON 1.1 sends numbers; ISO 8601 strings are accepted too).
  std::optional<double> timestamp(const char* member);
  std::optional<std::vector<std::string>> string_list(const char* member, std::optional<int64_t> min = {},
                                                      std::optional<int64_t> max = {});

  // The first type error, else the collected constraint failures, else nothing.
  std::optional<ApiError> error() const;

private:
  const nlohmann::json* find(const char* member);
  void violation(const char* member, const std::string& value, const std::string& constraint);
  void wrong_type(const char* member, const char* expected);

  const nlohmann::json& m_body;
  std::vector<std::string> m_violations;
  std::optional<ApiError> m_type_error;
};

// "maxResults" from "MaxResults".
std::string member_path(std::string_view member);

} // namespace sagerun::server
