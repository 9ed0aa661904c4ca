#include "util/environment.hpp"

#include <algorithm>
#include <cctype>

extern char** environ;

namespace sagerun::util {

EnvMap current_environment() {
  EnvMap env;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    const std::string_view pair(*entry);
    const auto equals = pair.find('=');
    if (equals == std::string_view::npos) continue;
    env.emplace(std::string(pair.substr(0, equals)), std::string(pair.substr(equals + 1)));
  }
  return env;
}

std::optional<std::string> lookup(const EnvMap& env, const std::string& key) {
  const auto it = env.find(key);
  if (it == env.end()) return std::nullopt;
  return it->second;
}

EnvBlock::EnvBlock(const EnvMap& env) {
  m_strings.reserve(env.size());
  for (const auto& [key, value] : env) m_strings.push_back(key + "=" + value);
  m_pointers.reserve(m_strings.size() + 1);
  for (const auto& s : m_strings) m_pointers.push_back(s.c_str());
  m_pointers.push_back(nullptr);
}

bool is_secret_name(std::string_view name) {
  std::string upper(name);
  std::transform(upper.begin(), upper.end(), upper.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  for (const std::string_view word : {"SECRET", "TOKEN", "KEY", "PASSWORD", "CREDENTIAL"}) {
    if (upper.find(word) != std::string::npos) return true;
  }
  return false;
}

std::string masked_value(std::string_view name, std::string_view value) {
  if (is_secret_name(name)) return "****";
  return std::string(value);
}

}  // namespace sagerun::util
