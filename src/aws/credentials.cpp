#include "aws/credentials.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include <nlohmann/json.hpp>

#include "aws/ini.hpp"
#include "util/settings.hpp"
#include "util/text.hpp"

namespace sagerun::aws {
namespace {

using WallClock = std::chrono::system_clock;
using util::ErrorKind;
using util::fail;

constexpr std::string_view k_container_host = "http://169.254.170.2";
constexpr std::string_view k_imds_endpoint = "http://169.254.169.254";
constexpr std::string_view k_imds_token_ttl = "21600";

// What each source said when it had nothing, for the error at the end of the chain.
using Notes = std::vector<std::string>;
// A source either has credentials, has none (and says why in the notes), or fails the chain.
using Found = Expected<std::optional<ResolvedCredentials>>;

std::optional<std::string> non_empty(std::optional<std::string> value) {
  if (value && value->empty()) return std::nullopt;
  return value;
}

ResolvedCredentials make(std::string access, std::string secret, const std::optional<std::string>& token,
                         std::string source) {
  return {{std::move(access), std::move(secret), token.value_or("")}, std::move(source), std::nullopt};
}

Found from_flags(const CredentialOptions& options) {
  const auto access = non_empty(options.access_key);
  const auto secret = non_empty(options.secret_key);
  if (!access && !secret && !non_empty(options.session_token)) return std::nullopt;
  if (!access) return fail(ErrorKind::invalid_input, "a secret key or session token was given without an access key");
  if (!secret) return fail(ErrorKind::invalid_input, "an access key was given without its secret key");
  return make(*access, *secret, non_empty(options.session_token), "flags");
}

Found from_environment(const util::EnvMap& env, Notes& notes) {
  const auto access = util::lookup_nonempty(env, "AWS_ACCESS_KEY_ID");
  if (!access) {
    notes.push_back("environment: AWS_ACCESS_KEY_ID is not set");
    return std::nullopt;
  }
  const auto secret = util::lookup_nonempty(env, "AWS_SECRET_ACCESS_KEY");
  if (!secret) {
    return fail(ErrorKind::invalid_input, "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not: set "
                                          "AWS_SECRET_ACCESS_KEY too, or unset AWS_ACCESS_KEY_ID");
  }
  auto token = util::lookup_nonempty(env, "AWS_SESSION_TOKEN");
  if (!token) token = util::lookup_nonempty(env, "AWS_SECURITY_TOKEN");
  return make(*access, *secret, token, "environment");
}

// Sources the CLI consults before or among the shared files that sagerun does not implement:
// failing beats silently falling through to other credentials (another identity).
Expected<void> refuse_unsupported(const util::EnvMap& env, const SharedProfile& profile) {
  const auto export_hint =
      "; export temporary keys instead (aws configure export-credentials --profile " + profile.name + " --format env)";
  if (util::lookup_nonempty(env, "AWS_WEB_IDENTITY_TOKEN_FILE") && util::lookup_nonempty(env, "AWS_ROLE_ARN")) {
    return fail(ErrorKind::unsupported, "AWS_ROLE_ARN with AWS_WEB_IDENTITY_TOKEN_FILE (web identity) is not "
                                        "supported yet; unset them, or export temporary keys as AWS_ACCESS_KEY_ID, "
                                        "AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN");
  }
  for (const auto* key : {"role_arn", "web_identity_token_file", "sso_session", "sso_start_url"}) {
    if (non_empty(profile.get(key))) {
      return fail(ErrorKind::unsupported,
                  "profile " + profile.name + " uses " + key + ", which sagerun does not support yet" + export_hint);
    }
  }
  return {};
}

Found from_profile_section(const std::optional<IniSection>& section, const std::string& path, const std::string& header,
                           const std::string& source, Notes& notes) {
  if (path.empty()) {
    notes.push_back(source + ": HOME is not set");
    return std::nullopt;
  }
  if (!section) {
    std::error_code ec;
    notes.push_back(source + ": " +
                    (std::filesystem::exists(path, ec) ? "no " + header + " in " + path : path + " does not exist"));
    return std::nullopt;
  }
  const auto access = non_empty(section->get("aws_access_key_id"));
  if (!access) {
    notes.push_back(source + ": " + header + " in " + path + " has no aws_access_key_id");
    return std::nullopt;
  }
  const auto secret = non_empty(section->get("aws_secret_access_key"));
  if (!secret) {
    return fail(ErrorKind::invalid_input,
                path + ": " + header + " has aws_access_key_id but no aws_secret_access_key; add it");
  }
  auto token = non_empty(section->get("aws_session_token"));
  if (!token) token = non_empty(section->get("aws_security_token"));
  return make(*access, *secret, token, source);
}

// Sends a request again after a transport failure or a 5xx, up to `attempts` times in all.
Expected<HttpResponse> send_with_retry(HttpClient& http, const HttpRequest& request, int attempts) {
  Expected<HttpResponse> response = fail(ErrorKind::internal, "no attempt made");
  for (int attempt = 0; attempt < std::max(attempts, 1); ++attempt) {
    response = http.send(request);
    if (response && response->status < 500) break;
  }
  return response;
}

// The error fields of a JSON error body ("Code: Message"), never the body itself.
std::string error_detail(const HttpResponse& response) {
  std::string detail = "HTTP " + std::to_string(response.status);
  const auto body = nlohmann::json::parse(response.body, nullptr, false);
  if (!body.is_object()) return detail;
  for (const auto* key : {"code", "Code", "message", "Message"}) {
    if (const auto it = body.find(key); it != body.end() && it->is_string()) detail += ": " + it->get<std::string>();
  }
  return detail;
}

// The JSON both credential endpoints answer with; errors name the endpoint, never the content.
Expected<ResolvedCredentials> parse_credentials_json(const std::string& body, const std::string& source,
                                                     const std::string& where) {
  const auto json = nlohmann::json::parse(body, nullptr, false);
  const auto text = [&](const char* key) -> std::optional<std::string> {
    if (!json.is_object()) return std::nullopt;
    const auto it = json.find(key);
    if (it == json.end() || !it->is_string() || it->get<std::string>().empty()) return std::nullopt;
    return it->get<std::string>();
  };
  if (!json.is_object()) return fail(ErrorKind::invalid_input, where + " answered with something that is not JSON");
  if (const auto code = text("Code"); code && *code != "Success") {
    return fail(ErrorKind::invalid_input, where + " answered Code " + *code);
  }
  const auto access = text("AccessKeyId");
  const auto secret = text("SecretAccessKey");
  if (!access || !secret) {
    return fail(ErrorKind::invalid_input, where + " answered without AccessKeyId or SecretAccessKey");
  }
  auto resolved = make(*access, *secret, text("Token"), source);
  if (const auto expiration = text("Expiration")) {
    resolved.expiration = parse_timestamp(*expiration);
    if (!resolved.expiration) {
      return fail(ErrorKind::invalid_input,
                  where + " answered an Expiration that is not an ISO 8601 time: " + *expiration);
    }
  }
  return resolved;
}

bool is_loopback_or_agent(const std::string& host) {
  if (host == "localhost" || host == "::1" || host == "169.254.170.2" || host == "169.254.170.23" ||
      host == "fd00:ec2::23") {
    return true;
  }
  // 127.0.0.0/8
  int parts = 0;
  size_t start = 0;
  if (!host.starts_with("127.")) return false;
  while (start <= host.size()) {
    const auto end = std::min(host.find('.', start), host.size());
    int value = -1;
    const auto [ptr, ec] = std::from_chars(host.data() + start, host.data() + end, value);
    if (ec != std::errc() || ptr != host.data() + end || value < 0 || value > 255) return false;
    ++parts;
    start = end + 1;
  }
  return parts == 4;
}

// The Authorization value: the token file wins over the token (the file is rotated, so it is
// read on every resolution).
Expected<std::optional<std::string>> container_authorization(const util::EnvMap& env) {
  std::optional<std::string> token;
  if (const auto file = util::lookup_nonempty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE")) {
    std::ifstream in(*file, std::ios::binary);
    if (!in) {
      return fail(ErrorKind::not_found,
                  "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE names " + *file + ", which cannot be read");
    }
    std::ostringstream content;
    content << in.rdbuf();
    token = content.str();
    while (!token->empty() && (token->back() == '\n' || token->back() == '\r'))
      token->pop_back();
  } else {
    token = util::lookup_nonempty(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN");
  }
  if (token && token->find_first_of("\r\n") != std::string::npos) {
    return fail(ErrorKind::invalid_input, "the container authorization token contains a line break");
  }
  return token;
}

Found from_container(const util::EnvMap& env, HttpClient& http, Notes& notes) {
  const auto relative = util::lookup_nonempty(env, "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
  const auto full = util::lookup_nonempty(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  if (!relative && !full) {
    notes.push_back("container: neither AWS_CONTAINER_CREDENTIALS_RELATIVE_URI nor "
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI is set");
    return std::nullopt;
  }
  HttpRequest request;
  if (relative) {
    request.url = std::string(k_container_host) + (relative->starts_with('/') ? "" : "/") + *relative;
  } else {
    request.url = *full;
    const auto url = parse_url(*full);
    if (!url) return fail(ErrorKind::invalid_input, "AWS_CONTAINER_CREDENTIALS_FULL_URI is not an http(s) URL");
    if (url->scheme == "http" && !is_loopback_or_agent(url->host)) {
      return fail(ErrorKind::invalid_input,
                  "AWS_CONTAINER_CREDENTIALS_FULL_URI may use http only for a loopback address or the container "
                  "agents (169.254.170.2, 169.254.170.23, fd00:ec2::23), not " +
                      url->host + "; use https");
    }
  }
  auto authorization = container_authorization(env);
  if (!authorization) return std::unexpected(authorization.error());
  if (*authorization) request.headers.emplace_back("Authorization", **authorization);
  request.headers.emplace_back("Accept", "application/json");
  request.timeout = std::chrono::seconds(2);
  request.stall_timeout = std::chrono::seconds(2);

  const auto where = "the container credentials endpoint " + request.url;
  const auto response = send_with_retry(http, request, 3);
  if (!response) return fail(ErrorKind::io, where + ": " + response.error().message);
  if (response->status != 200) return fail(ErrorKind::io, where + " answered " + error_detail(*response));
  auto resolved = parse_credentials_json(response->body, "container", where);
  if (!resolved) return std::unexpected(resolved.error());
  return *resolved;
}

// IMDSv2 (a session token from PUT /latest/api/token, sent with every GET); IMDSv1 only when the
// token call is refused as the CLI allows (403, 404, 405). Failures are notes, not errors: on a
// machine that is not an EC2 instance the chain ends with "no credentials".
Found from_instance_metadata(const util::EnvMap& env, HttpClient& http, Notes& notes) {
  if (util::ascii_lower(util::lookup_nonempty(env, "AWS_EC2_METADATA_DISABLED").value_or("")) == "true") {
    notes.push_back("instance metadata: disabled by AWS_EC2_METADATA_DISABLED=true");
    return std::nullopt;
  }
  auto endpoint =
      util::lookup_nonempty(env, "AWS_EC2_METADATA_SERVICE_ENDPOINT").value_or(std::string(k_imds_endpoint));
  while (endpoint.ends_with('/'))
    endpoint.pop_back();
  const auto note = [&](const std::string& what) {
    notes.push_back("instance metadata (" + endpoint + "): " + what);
    return std::nullopt;
  };
  const auto timeout_setting =
      util::integer_setting(env, "AWS_METADATA_SERVICE_TIMEOUT", {.min = 1, .max = 300, .unit = "of seconds"});
  if (!timeout_setting) return note(timeout_setting.error().message);
  const auto attempts_setting = util::integer_setting(env, "AWS_METADATA_SERVICE_NUM_ATTEMPTS", {.min = 1, .max = 20});
  if (!attempts_setting) return note(attempts_setting.error().message);
  const auto timeout = std::chrono::seconds(timeout_setting->value_or(1));
  const int attempts = static_cast<int>(attempts_setting->value_or(2));

  HttpRequest request;
  request.method = "PUT";
  request.url = endpoint + "/latest/api/token";
  request.headers = {{"X-aws-ec2-metadata-token-ttl-seconds", std::string(k_imds_token_ttl)}};
  request.timeout = timeout;
  request.stall_timeout = std::chrono::duration_cast<std::chrono::seconds>(timeout);
  const auto token = send_with_retry(http, request, attempts);
  if (!token) return note(token.error().message);
  request.method = "GET";
  request.headers.clear();
  if (token->status == 200) {
    request.headers.emplace_back("X-aws-ec2-metadata-token", token->body);
  } else if (token->status != 403 && token->status != 404 && token->status != 405) {
    return note("the session token request answered " + error_detail(*token));
  }

  const auto roles_url = endpoint + "/latest/meta-data/iam/security-credentials/";
  request.url = roles_url;
  const auto roles = send_with_retry(http, request, attempts);
  if (!roles) return note(roles.error().message);
  if (roles->status == 404) return note("no IAM role is attached to this instance");
  if (roles->status != 200) return note("the role name request answered " + error_detail(*roles));
  std::string role = roles->body.substr(0, roles->body.find_first_of("\r\n"));
  if (role.empty()) return note("no IAM role is attached to this instance");

  request.url = roles_url + uri_encode(role, false);
  const auto credentials = send_with_retry(http, request, attempts);
  if (!credentials) return note(credentials.error().message);
  if (credentials->status != 200) return note("role " + role + " answered " + error_detail(*credentials));
  auto resolved = parse_credentials_json(credentials->body, "instance-metadata", "instance metadata role " + role);
  if (!resolved) return note(resolved.error().message);
  return *resolved;
}

std::string join(const Notes& notes) {
  std::string text;
  for (const auto& note : notes)
    text += (text.empty() ? "" : "; ") + note;
  return text;
}

bool valid_region(const std::string& region) {
  return !region.empty() && std::all_of(region.begin(), region.end(),
                                        [](unsigned char c) { return std::islower(c) || std::isdigit(c) || c == '-'; });
}

} // namespace

Expected<ResolvedCredentials> resolve_credentials(const util::EnvMap& env, const CredentialOptions& options,
                                                  HttpClient& http) {
  const auto settled = [](const Found& found) { return !found || *found; };
  const auto result = [](Found found) -> Expected<ResolvedCredentials> {
    if (!found) return std::unexpected(std::move(found.error()));
    return std::move(**found);
  };

  if (auto found = from_flags(options); settled(found)) return result(std::move(found));
  const auto profile = load_shared_profile(env, options.profile);
  if (!profile) return std::unexpected(profile.error());
  Notes notes;
  // Like the CLI, an explicit --profile sets the environment's keys aside; AWS_PROFILE does not.
  if (non_empty(options.profile)) {
    notes.push_back("environment: set aside because a profile was named explicitly");
  } else if (auto found = from_environment(env, notes); settled(found)) {
    return result(std::move(found));
  }
  if (auto ok = refuse_unsupported(env, *profile); !ok) return std::unexpected(ok.error());
  if (auto found = from_profile_section(profile->in_credentials, profile->credentials_path, "[" + profile->name + "]",
                                        "shared-credentials-file", notes);
      settled(found)) {
    return result(std::move(found));
  }
  if (non_empty(profile->get("credential_process"))) {
    return fail(ErrorKind::unsupported,
                "profile " + profile->name + " uses credential_process, which sagerun does not support yet");
  }
  const auto header = profile->name == "default" ? std::string("[default]") : "[profile " + profile->name + "]";
  if (auto found = from_profile_section(profile->in_config, profile->config_path, header, "config-file", notes);
      settled(found)) {
    return result(std::move(found));
  }
  if (auto found = from_container(env, http, notes); settled(found)) return result(std::move(found));
  if (auto found = from_instance_metadata(env, http, notes); settled(found)) return result(std::move(found));
  return fail(ErrorKind::not_found,
              "no AWS credentials found (tried " + join(notes) +
                  "). Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or put aws_access_key_id and "
                  "aws_secret_access_key under [" +
                  profile->name + "] in " +
                  (profile->credentials_path.empty() ? "~/.aws/credentials" : profile->credentials_path) +
                  " (aws configure does), or choose another profile with AWS_PROFILE");
}

CredentialsProvider::CredentialsProvider(util::EnvMap env, CredentialOptions options, HttpClient& http)
    : m_env(std::move(env)), m_options(std::move(options)), m_http(http) {}

Expected<Credentials> CredentialsProvider::get() {
  std::lock_guard lock(m_mutex);
  const auto now = WallClock::now();
  if (m_current && (!m_current->expiration || now < *m_current->expiration - k_refresh_before_expiry)) {
    return m_current->credentials;
  }
  auto fresh = resolve_credentials(m_env, m_options, m_http);
  if (!fresh) {
    // A failed early refresh is no reason to stop while the old credentials are still valid.
    if (m_current && m_current->expiration && now < *m_current->expiration) return m_current->credentials;
    return std::unexpected(fresh.error());
  }
  m_current = std::move(*fresh);
  return m_current->credentials;
}

std::string CredentialsProvider::source() const {
  std::lock_guard lock(m_mutex);
  return m_current ? m_current->source : std::string();
}

Expected<std::string> resolve_region(const util::EnvMap& env, const std::optional<std::string>& flag) {
  return resolve_region(env, flag, std::nullopt);
}

Expected<std::string> resolve_region(const util::EnvMap& env, const std::optional<std::string>& flag,
                                     const std::optional<std::string>& profile_flag) {
  const auto checked = [](const std::string& region, const std::string& from) -> Expected<std::string> {
    if (valid_region(region)) return region;
    return fail(ErrorKind::invalid_input,
                "'" + region + "' (from " + from + ") is not an AWS region name such as us-east-1");
  };
  if (const auto region = non_empty(flag)) return checked(*region, "--region");
  for (const auto* variable : {"AWS_REGION", "AWS_DEFAULT_REGION"}) {
    if (const auto region = util::lookup_nonempty(env, variable)) return checked(*region, variable);
  }
  const auto profile = load_shared_profile(env, profile_flag);
  if (!profile) return std::unexpected(profile.error());
  if (const auto region = non_empty(profile->get("region"))) return checked(*region, "profile " + profile->name);
  const auto section = profile->name == "default" ? std::string("[default]") : "[profile " + profile->name + "]";
  return fail(ErrorKind::invalid_input,
              "no AWS region: pass --region, set AWS_REGION (or AWS_DEFAULT_REGION), or add 'region = ...' to " +
                  section + " in " + (profile->config_path.empty() ? "~/.aws/config" : profile->config_path));
}

std::optional<WallClock::time_point> parse_timestamp(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS[.fraction][Z|+HH:MM|-HH:MM|+HHMM]
  const auto number = [&](size_t at, size_t digits) -> std::optional<int> {
    if (at + digits > text.size()) return std::nullopt;
    int value = 0;
    const auto [ptr, ec] = std::from_chars(text.data() + at, text.data() + at + digits, value);
    if (ec != std::errc() || ptr != text.data() + at + digits) return std::nullopt;
    return value;
  };
  const auto at = [&](size_t i, char c) { return i < text.size() && text[i] == c; };
  const auto year = number(0, 4), month = number(5, 2), day = number(8, 2);
  const auto hour = number(11, 2), minute = number(14, 2), second = number(17, 2);
  if (!year || !month || !day || !hour || !minute || !second || !at(4, '-') || !at(7, '-') ||
      !(at(10, 'T') || at(10, 't') || at(10, ' ')) || !at(13, ':') || !at(16, ':')) {
    return std::nullopt;
  }
  const std::chrono::year_month_day date{std::chrono::year(*year), std::chrono::month(static_cast<unsigned>(*month)),
                                         std::chrono::day(static_cast<unsigned>(*day))};
  if (!date.ok() || *hour > 23 || *minute > 59 || *second > 60) return std::nullopt;
  size_t i = 19;
  if (at(i, '.')) {
    ++i;
    const auto digits_start = i;
    while (i < text.size() && std::isdigit(static_cast<unsigned char>(text[i])))
      ++i;
    if (i == digits_start) return std::nullopt;
  }
  std::chrono::minutes offset{0};
  if (at(i, 'Z') || at(i, 'z')) {
    ++i;
  } else if (at(i, '+') || at(i, '-')) {
    const int sign = text[i] == '-' ? -1 : 1;
    const auto offset_hours = number(i + 1, 2);
    const size_t minutes_at = at(i + 3, ':') ? i + 4 : i + 3;
    const auto offset_minutes = number(minutes_at, 2);
    if (!offset_hours || !offset_minutes) return std::nullopt;
    offset = std::chrono::minutes(sign * (*offset_hours * 60 + *offset_minutes));
    i = minutes_at + 2;
  }
  if (i != text.size()) return std::nullopt;
  return std::chrono::sys_days(date) + std::chrono::hours(*hour) + std::chrono::minutes(*minute) +
         std::chrono::seconds(*second) - offset;
}

std::string format_timestamp(WallClock::time_point time) {
  const auto seconds = std::chrono::floor<std::chrono::seconds>(time);
  const auto days = std::chrono::floor<std::chrono::days>(seconds);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(seconds - days);
  char text[32];
  std::snprintf(text, sizeof text, "%04d-%02u-%02uT%02d:%02d:%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return text;
}

} // namespace sagerun::aws
