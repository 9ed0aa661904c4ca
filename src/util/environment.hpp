#pragma once
// Process environments as ordered maps, and the masking used whenever one is logged.

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sagerun::util {

using EnvMap = std::map<std::string, std::string>;

EnvMap current_environment();

std::optional<std::string> lookup(const EnvMap& env, const std::string& key);
// The value when the variable is set and not empty (AWS's tools read an empty one as unset).
std::optional<std::string> lookup_nonempty(const EnvMap& env, const std::string& key);

// "KEY=VALUE" strings for execve; keep the returned vector alive while using the pointers.
class EnvBlock {
public:
  explicit EnvBlock(const EnvMap& env);
  char* const* data() const { return const_cast<char* const*>(m_pointers.data()); }

private:
  std::vector<std::string> m_strings;
  std::vector<const char*> m_pointers;
};

// True for names whose values must never be logged (*SECRET*, *TOKEN*, *KEY*, *PASSWORD*,
// *CREDENTIAL*), case-insensitively.
bool is_secret_name(std::string_view name);

// The value as it may be logged: "****" for secret names.
std::string masked_value(std::string_view name, std::string_view value);

// Replaces known secret values wherever they appear in a text (a secret hyperparameter also
// shows up inside SM_HPS, SM_USER_ARGS and SM_TRAINING_ENV).
class Redactor {
public:
  void add(std::string_view secret);
  // Adds the values of every secret-named entry.
  void add_secrets_of(const EnvMap& env);
  std::string apply(std::string text) const;

private:
  std::vector<std::string> m_secrets;
};

} // namespace sagerun::util
