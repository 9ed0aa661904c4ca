#include "server/filter_pattern.hpp"

#include <algorithm>

namespace sagerun::server {

ApiResult<FilterPattern> FilterPattern::parse(std::string_view pattern) {
  FilterPattern out;
  size_t i = 0;
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; };
  while (i < pattern.size() && space(pattern[i]))
    ++i;
  if (i < pattern.size() && (pattern[i] == '{' || pattern[i] == '[' || pattern[i] == '%')) {
    return api_error(400, "InvalidParameterException",
                     "Invalid filter pattern: this server takes terms, \"phrases\", ?either and -excluded terms, not "
                     "JSON, space-delimited or regular-expression patterns: " +
                         std::string(pattern));
  }
  while (i < pattern.size()) {
    if (space(pattern[i])) {
      ++i;
      continue;
    }
    auto* target = &out.m_all;
    if (pattern[i] == '?' || pattern[i] == '-') {
      target = pattern[i] == '?' ? &out.m_any : &out.m_none;
      ++i;
    }
    std::string term;
    if (i < pattern.size() && pattern[i] == '"') {
      const size_t close = pattern.find('"', i + 1);
      if (close == std::string_view::npos) {
        return api_error(400, "InvalidParameterException",
                         "Invalid filter pattern: a quoted phrase is not closed: " + std::string(pattern));
      }
      term = std::string(pattern.substr(i + 1, close - i - 1));
      i = close + 1;
    } else {
      const size_t start = i;
      while (i < pattern.size() && !space(pattern[i]))
        ++i;
      term = std::string(pattern.substr(start, i - start));
    }
    if (!term.empty()) target->push_back(std::move(term));
  }
  return out;
}

bool FilterPattern::matches(std::string_view message) const {
  auto found = [message](const std::string& term) { return message.find(term) != std::string_view::npos; };
  if (!std::ranges::all_of(m_all, found)) return false;
  if (std::ranges::any_of(m_none, found)) return false;
  return m_any.empty() || std::ranges::any_of(m_any, found);
}

} // namespace sagerun::server
