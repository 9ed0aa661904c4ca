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

std::optional<std::string> lookup_nonempty(const EnvMap& env, const std::string& key) {
  const auto it = env.find(key);
  if (it == env.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

EnvBlock::EnvBlock(const EnvMap& env) {
  m_strings.reserve(env.size());
  for (const auto& [key, value] : env)
    m_strings.push_back(key + "=" + value);
  m_pointers.reserve(m_strings.size() + 1);
  for (const auto& s : m_strings)
    m_pointers.push_back(s.c_str());
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

void Redactor::add(std::string_view secret) {
  // Very short values ("1", "no") would mask unrelated text and protect nothing.
  if (secret.size() < 4) return;
  if (std::find(m_secrets.begin(), m_secrets.end(), secret) == m_secrets.end()) m_secrets.emplace_back(secret);
}

void Redactor::add_secrets_of(const EnvMap& env) {
  for (const auto& [key, value] : env) {
    if (is_secret_name(key)) add(value);
  }
}

std::string Redactor::apply(std::string text) const {
  for (const auto& secret : m_secrets) {
    for (size_t pos = text.find(secret); pos != std::string::npos; pos = text.find(secret, pos + 4)) {
      text.replace(pos, secret.size(), "****");
    }
  }
  return text;
}

} // namespace sagerun::util
