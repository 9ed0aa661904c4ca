#pragma once
// The INI dialect of ~/.aws/credentials and ~/.aws/config, as the AWS CLI reads it (Python's
// configparser): `[section]` headers, `key = value` (or `key: value`), full-line comments starting
// with '#' or ';', keys case-insensitive, and one level of nested settings — indented lines under
// a key with no value on its own line (`s3 =` followed by `  max_concurrent_requests = 20`).

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::aws {

struct IniSection {
  std::map<std::string, std::string> values; // keys lower-cased
  // Nested settings by their parent key: "s3" → {"max_concurrent_requests": "20"}.
  std::map<std::string, std::map<std::string, std::string>> nested;

  std::optional<std::string> get(std::string_view key) const;
};

struct IniFile {
  std::string path;
  std::map<std::string, IniSection> sections; // by the name between the brackets, trimmed

  const IniSection* section(const std::string& name) const;
};

// Parses `text`; errors are invalid_input and name `path` and the line ("~/.aws/config:7: ...").
Expected<IniFile> parse_ini(std::string_view text, const std::string& path);

// Reads and parses a file; a missing file is an error of kind not_found.
Expected<IniFile> load_ini(const std::string& path);

// One profile as the AWS CLI sees it across the two shared files: `[NAME]` in the credentials file
// (AWS_SHARED_CREDENTIALS_FILE, default ~/.aws/credentials) and `[profile NAME]` — or `[default]` —
// in the config file (AWS_CONFIG_FILE, default ~/.aws/config).
struct SharedProfile {
  std::string name;
  std::string credentials_path; // empty when neither the variable nor HOME says where
  std::string config_path;
  std::optional<IniSection> in_credentials;
  std::optional<IniSection> in_config;

  bool exists() const { return in_credentials || in_config; }
  // A setting of the merged profile: the credentials file's value wins, as in the CLI.
  std::optional<std::string> get(std::string_view key) const;
};

// Loads the profile named by `profile` (a --profile flag), else AWS_PROFILE, else "default".
// Missing files are no error; malformed ones are. A profile that was named (flag or AWS_PROFILE)
// and is in neither file is an error: "The config profile (NAME) could not be found".
Expected<SharedProfile> load_shared_profile(const util::EnvMap& env, const std::optional<std::string>& profile);

} // namespace sagerun::aws
