#include "image/reference.hpp"

#include <regex>

#include <nlohmann/json.hpp>

#include "aws/crypto.hpp"

namespace sagerun::image {
namespace {

bool lower_alnum(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// [a-z0-9]+ ([._-] [a-z0-9]+)*
bool valid_component(std::string_view component) {
  if (component.empty() || !lower_alnum(component.front()) || !lower_alnum(component.back())) return false;
  for (size_t i = 1; i < component.size(); ++i) {
    const char c = component[i];
    if (lower_alnum(c)) continue;
    if ((c == '.' || c == '_' || c == '-') && lower_alnum(component[i - 1])) continue;
    return false;
  }
  return true;
}

} // namespace

Expected<void> check_repository_name(std::string_view name, std::string_view what) {
  bool valid = name.size() >= 2 && name.size() <= 256;
  for (size_t start = 0; valid;) {
    const size_t slash = name.find('/', start);
    valid = valid_component(name.substr(start, slash == std::string_view::npos ? slash : slash - start));
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (valid) return {};
  return util::fail(util::ErrorKind::invalid_input,
                    std::string(what) + ": '" + std::string(name) +
                        "' is not a repository name (2 to 256 characters: lower-case letters and digits, "
                        "single '.', '_' or '-' between them, '/' between parts; e.g. sagemaker-cpu)");
}

Expected<void> check_tag(std::string_view tag, std::string_view what) {
  static const std::regex pattern("[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}");
  if (std::regex_match(tag.begin(), tag.end(), pattern)) return {};
  return util::fail(util::ErrorKind::invalid_input,
                    std::string(what) + ": '" + std::string(tag) +
                        "' is not an image tag (up to 128 letters, digits, '_', '.' or '-', not starting "
                        "with '.' or '-')");
}

Expected<std::string> registry_host(std::string_view text, std::string_view what) {
  std::string_view host = text;
  if (const auto scheme = host.find("://"); scheme != std::string_view::npos) host.remove_prefix(scheme + 3);
  while (host.ends_with("/"))
    host.remove_suffix(1);
  static const std::regex pattern(
      R"(([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?)");
  if (!host.empty() && std::regex_match(host.begin(), host.end(), pattern)) return std::string(host);
  return util::fail(util::ErrorKind::invalid_input,
                    std::string(what) + ": '" + std::string(text) +
                        "' is not a registry host (HOST or HOST:PORT, e.g. registry.example.com:5000)");
}

std::optional<EcrHost> parse_ecr_host(std::string_view host) {
  static const std::regex pattern(R"(([0-9]{12})\.dkr\.ecr(-fips)?\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?)");
  std::match_results<std::string_view::const_iterator> match;
  if (!std::regex_match(host.begin(), host.end(), match, pattern)) return std::nullopt;
  return EcrHost{match[1].str(), match[3].str()};
}

std::string ecr_host(const std::string& account, const std::string& region) {
  return account + ".dkr.ecr." + region + (region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com");
}

Expected<RegistryLogin> decode_authorization_token(std::string_view token) {
  const auto decoded = aws::base64_decode(token);
  const auto colon = decoded ? decoded->find(':') : std::string::npos;
  // Never quote the token: it is the password.
  if (!decoded || colon == std::string::npos || colon == 0 || colon + 1 == decoded->size()) {
    return util::fail(util::ErrorKind::io,
                      "GetAuthorizationToken: the authorization token is not base64 of USER:PASSWORD");
  }
  return RegistryLogin{decoded->substr(0, colon), decoded->substr(colon + 1)};
}

std::string image_uri(const std::string& host, const std::string& repository, const std::string& tag) {
  return host + "/" + repository + ":" + tag;
}

std::optional<std::string> find_repo_digest(std::string_view repo_digests_json, const std::string& host,
                                            const std::string& repository) {
  const std::string prefix = host + "/" + repository + "@";
  // Not JSON (a client that prints something else) means no digest to report, not an error.
  const auto digests = nlohmann::json::parse(repo_digests_json, nullptr, /*allow_exceptions=*/false);
  if (!digests.is_array()) return std::nullopt;
  for (const auto& entry : digests) {
    if (!entry.is_string()) continue;
    const auto& text = entry.get_ref<const std::string&>();
    if (text.starts_with(prefix) && text.size() > prefix.size()) return text.substr(prefix.size());
  }
  return std::nullopt;
}

} // namespace sagerun::image
