#include "aws/ini.hpp"

#include "util/text.hpp"
#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace sagerun::aws {
namespace {

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }

using util::trim;

std::string lower(std::string_view text) { return util::ascii_lower(text); }

size_t indent_of(std::string_view line) {
  size_t n = 0;
  while (n < line.size() && (line[n] == ' ' || line[n] == '\t'))
    ++n;
  return n;
}

bool is_comment(std::string_view content) { return content.front() == '#' || content.front() == ';'; }

class Parser {
public:
  Parser(std::string_view text, std::string path) : m_text(text) { m_file.path = std::move(path); }

  Expected<IniFile> run() {
    size_t start = 0;
    while (start <= m_text.size()) {
      ++m_line;
      const auto end = std::min(m_text.find('\n', start), m_text.size());
      if (auto ok = take_line(m_text.substr(start, end - start)); !ok) return std::unexpected(ok.error());
      start = end + 1;
    }
    return std::move(m_file);
  }

private:
  std::unexpected<util::Error> error(const std::string& what) const {
    return util::fail(util::ErrorKind::invalid_input, m_file.path + ":" + std::to_string(m_line) + ": " + what);
  }

  Expected<void> take_line(std::string_view line) {
    const auto content = trim(line);
    // Blank lines and comments neither end a section nor a setting's continuation lines.
    if (content.empty() || is_comment(content)) return {};
    const auto indent = indent_of(line);
    if (m_key && indent > m_key_indent) return continue_value(content);
    if (content.front() == '[') return start_section(content);
    return add_setting(content, indent);
  }

  Expected<void> start_section(std::string_view content) {
    const auto close = content.rfind(']');
    if (close == std::string_view::npos) return error("a section header must end with ']'");
    const auto rest = trim(content.substr(close + 1));
    if (!rest.empty() && !is_comment(rest)) return error("unexpected text after the section header");
    const std::string name(trim(content.substr(1, close - 1)));
    if (name.empty()) return error("empty section name");
    if (const auto seen = m_section_lines.find(name); seen != m_section_lines.end()) {
      return error("section [" + name + "] appears twice (first on line " + std::to_string(seen->second) + ")");
    }
    m_section_lines.emplace(name, m_line);
    m_section = &m_file.sections[name];
    m_key.reset();
    return {};
  }

  Expected<void> add_setting(std::string_view content, size_t indent) {
    if (m_section == nullptr) return error("a setting before any [section] header");
    const auto delimiter = content.find_first_of("=:");
    if (delimiter == std::string_view::npos) return error("expected 'key = value'");
    auto key = lower(trim(content.substr(0, delimiter)));
    if (key.empty()) return error("a setting without a name");
    if (m_section->values.contains(key)) return error("setting '" + key + "' appears twice in this section");
    m_section->values.emplace(key, std::string(trim(content.substr(delimiter + 1))));
    m_key = std::move(key);
    m_key_indent = indent;
    return {};
  }

  // An indented line under a setting: a nested setting when the parent had no value of its own
  // (`s3 =`), otherwise another line of the parent's value, as configparser joins them.
  Expected<void> continue_value(std::string_view content) {
    auto& value = m_section->values[*m_key];
    if (!value.empty()) {
      value += "\n";
      value += content;
      return {};
    }
    const auto equals = content.find('=');
    if (equals == std::string_view::npos) return error("expected 'key = value' nested under '" + *m_key + "'");
    m_section->nested[*m_key][std::string(trim(content.substr(0, equals)))] =
        std::string(trim(content.substr(equals + 1)));
    return {};
  }

  std::string_view m_text;
  IniFile m_file;
  size_t m_line = 0;
  IniSection* m_section = nullptr;
  std::map<std::string, size_t> m_section_lines;
  std::optional<std::string> m_key;
  size_t m_key_indent = 0;
};

// AWS_SHARED_CREDENTIALS_FILE / AWS_CONFIG_FILE with a leading "~/" expanded, else ~/.aws/NAME.
std::string shared_file_path(const util::EnvMap& env, const std::string& variable, const std::string& name) {
  const auto home = util::lookup_nonempty(env, "HOME");
  if (auto path = util::lookup_nonempty(env, variable)) {
    if (home && (*path == "~" || path->starts_with("~/"))) return *home + path->substr(1);
    return *path;
  }
  return home ? *home + "/.aws/" + name : std::string();
}

// A missing file reads as an empty one.
Expected<IniFile> load_optional(const std::string& path) {
  if (path.empty()) return IniFile{};
  auto file = load_ini(path);
  if (!file && file.error().kind == util::ErrorKind::not_found) return IniFile{path, {}};
  return file;
}

// The profile a config-file section header names: "profile NAME" (any spacing, NAME optionally
// quoted, as the CLI splits it) or "default"; nullopt for other sections (sso-session, services).
std::optional<std::string> config_profile_name(std::string_view header) {
  if (header == "default") return std::string(header);
  if (!header.starts_with("profile") || header.size() == 7 || !is_blank(header[7])) return std::nullopt;
  auto name = trim(header.substr(7));
  if (name.size() >= 2 && (name.front() == '"' || name.front() == '\'') && name.back() == name.front()) {
    name = name.substr(1, name.size() - 2);
  }
  if (name.empty() || std::any_of(name.begin(), name.end(), is_blank)) return std::nullopt;
  return std::string(name);
}

} // namespace

std::optional<std::string> IniSection::get(std::string_view key) const {
  const auto it = values.find(lower(key));
  if (it == values.end()) return std::nullopt;
  return it->second;
}

const IniSection* IniFile::section(const std::string& name) const {
  const auto it = sections.find(name);
  return it == sections.end() ? nullptr : &it->second;
}

Expected<IniFile> parse_ini(std::string_view text, const std::string& path) { return Parser(text, path).run(); }

Expected<IniFile> load_ini(const std::string& path) {
  std::error_code ec;
  if (std::filesystem::is_directory(path, ec))
    return util::fail(util::ErrorKind::invalid_input, path + ": is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    const int err = errno;
    return util::fail(err == ENOENT ? util::ErrorKind::not_found : util::ErrorKind::io,
                      path + ": " + std::strerror(err));
  }
  std::ostringstream content;
  content << in.rdbuf();
  if (in.bad()) return util::fail(util::ErrorKind::io, path + ": read failed");
  return parse_ini(content.str(), path);
}

std::optional<std::string> SharedProfile::get(std::string_view key) const {
  if (in_credentials) {
    if (auto value = in_credentials->get(key)) return value;
  }
  if (in_config) return in_config->get(key);
  return std::nullopt;
}

Expected<SharedProfile> load_shared_profile(const util::EnvMap& env, const std::optional<std::string>& profile) {
  SharedProfile result;
  const auto named = profile && !profile->empty() ? profile : util::lookup_nonempty(env, "AWS_PROFILE");
  result.name = named.value_or("default");
  result.credentials_path = shared_file_path(env, "AWS_SHARED_CREDENTIALS_FILE", "credentials");
  result.config_path = shared_file_path(env, "AWS_CONFIG_FILE", "config");

  auto credentials = load_optional(result.credentials_path);
  if (!credentials) return std::unexpected(credentials.error());
  if (const auto* section = credentials->section(result.name)) result.in_credentials = *section;

  auto config = load_optional(result.config_path);
  if (!config) return std::unexpected(config.error());
  // `[profile default]` wins over `[default]` when a file has both.
  for (const auto& [header, section] : config->sections) {
    const auto name = config_profile_name(header);
    if (name != result.name) continue;
    if (!result.in_config || header != "default") result.in_config = section;
  }

  if (named && !result.exists()) {
    return util::fail(util::ErrorKind::not_found,
                      "The config profile (" + result.name + ") could not be found: it is neither [" + result.name +
                          "] in " + (result.credentials_path.empty() ? "~/.aws/credentials" : result.credentials_path) +
                          " nor [profile " + result.name + "] in " +
                          (result.config_path.empty() ? "~/.aws/config" : result.config_path) +
                          "; fix the name in --profile or AWS_PROFILE, or add the profile");
  }
  return result;
}

} // namespace sagerun::aws
