#pragma once
// FilterLogEvents' filterPattern for unstructured logs: terms and "quoted phrases" that must all
// appear (case-sensitive), `?term` of which one must appear, `-term` that must not. JSON
// (`{ $.x = 1 }`), space-delimited (`[a, b]`) and regex (`%…%`) patterns are refused.

#include <string>
#include <string_view>
#include <vector>

#include "server/api_error.hpp"

namespace sagerun::server {

class FilterPattern {
public:
  static ApiResult<FilterPattern> parse(std::string_view pattern);
  bool matches(std::string_view message) const;
  bool empty() const { return m_all.empty() && m_any.empty() && m_none.empty(); }

private:
  std::vector<std::string> m_all, m_any, m_none;
};

} // namespace sagerun::server
