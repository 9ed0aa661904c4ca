#include "cli/remote_context.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "aws/curl/session.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"
#include "util/settings.hpp"
#include "util/text.hpp"

namespace sagerun::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int signal_number) { g_signal = signal_number; }

} // namespace

bool endpoint_variable_set(const util::EnvMap& env, const std::string& name) {
  const auto value = util::lookup_nonempty(env, name);
  const auto ignore = util::ascii_lower(util::lookup(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS").value_or(""));
  return value && ignore != "true";
}

Expected<RemoteEndpoints> resolve_remote_endpoints(const AwsFlags& flags, const util::EnvMap& env) {
  auto region = aws::resolve_region(env, flags.region, flags.profile);
  const std::string chosen = region ? *region : "us-east-1";
  const auto sagemaker = aws::resolve_endpoint("sagemaker", chosen, env, flags.endpoint_url);
  // resolve_endpoint marks every custom endpoint path-style; AWS's own are not.
  const bool custom = sagemaker.path_style;
  if (!region && !custom) return std::unexpected(region.error());
  RemoteEndpoints endpoints{chosen, sagemaker.url, "", "", custom};
  // A compatible server serves its jobs' logs and metrics too, unless told otherwise.
  const auto beside_sagemaker = [&](const char* service, const char* variable) {
    if (endpoint_variable_set(env, variable) || !custom)
      return aws::resolve_endpoint(service, chosen, env, std::nullopt).url;
    return sagemaker.url;
  };
  endpoints.logs = beside_sagemaker("logs", "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS");
  endpoints.cloudwatch = beside_sagemaker("monitoring", "AWS_ENDPOINT_URL_CLOUDWATCH");
  return endpoints;
}

Expected<std::unique_ptr<RemoteContext>> make_remote_context(const AwsFlags& flags, const util::EnvMap& env) {
  auto endpoints = resolve_remote_endpoints(flags, env);
  if (!endpoints) return std::unexpected(endpoints.error());
  auto context = std::make_unique<RemoteContext>();
  context->endpoints = *endpoints;
  context->session = std::make_unique<aws::Session>(env, flags.profile);
  auto& http = context->session->http();
  const auto credentials = context->session->credentials();
  const auto retry = aws::retry_policy_from(env);
  if (!retry) return std::unexpected(retry.error());
  auto sagemaker = aws::sagemaker_service(endpoints->sagemaker, endpoints->region);
  sagemaker.retry = *retry;
  auto logs = aws::logs_service(endpoints->logs, endpoints->region);
  logs.retry = *retry;
  context->sagemaker = std::make_unique<aws::SageMakerClient>(aws::JsonClient(http, credentials, std::move(sagemaker)));
  context->logs = std::make_unique<aws::LogsClient>(aws::JsonClient(http, credentials, std::move(logs)));
  auto cloudwatch = aws::cloudwatch_service(endpoints->cloudwatch, endpoints->region);
  cloudwatch.retry = *retry;
  context->cloudwatch =
      std::make_unique<aws::CloudWatchClient>(aws::JsonClient(http, credentials, std::move(cloudwatch)));
  return context;
}

std::string remote_flags_hint(const AwsFlags& flags, const util::EnvMap& env, const RemoteEndpoints& endpoints) {
  std::string hint;
  if (flags.endpoint_url && !flags.endpoint_url->empty()) {
    hint = " --endpoint-url " + *flags.endpoint_url;
  } else if (!endpoint_variable_set(env, "AWS_ENDPOINT_URL_SAGEMAKER")) {
    // Without either, describe/logs/stop look at local jobs: name the API.
    hint = endpoints.custom ? " --endpoint-url " + endpoints.sagemaker : " --remote";
  }
  if (flags.region) hint += " --region " + *flags.region;
  if (flags.profile) hint += " --profile " + *flags.profile;
  return hint;
}

std::string format_api_time(const nlohmann::json& value) {
  if (value.is_number()) {
    const auto time = static_cast<std::time_t>(value.get<double>());
    std::tm tm{};
    ::gmtime_r(&time, &tm);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &tm);
    return text;
  }
  if (value.is_string()) {
    std::string text = value.get<std::string>().substr(0, 19); // "YYYY-MM-DDTHH:MM:SS"
    std::replace(text.begin(), text.end(), 'T', ' ');
    return text;
  }
  return "-";
}

InterruptGuard::InterruptGuard() {
  g_signal = 0;
  struct sigaction action{};
  action.sa_handler = on_interrupt;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0; // no SA_RESTART: a blocking wait returns early
  ::sigaction(SIGINT, &action, &m_old_int);
  ::sigaction(SIGTERM, &action, &m_old_term);
}

InterruptGuard::~InterruptGuard() {
  ::sigaction(SIGINT, &m_old_int, nullptr);
  ::sigaction(SIGTERM, &m_old_term, nullptr);
}

bool InterruptGuard::interrupted() { return g_signal != 0; }
int InterruptGuard::signal_number() { return g_signal; }

Expected<Poller> Poller::create(const util::EnvMap& env, Pace pace) {
  Poller poller;
  if (pace == Pace::local) poller.m_min = poller.m_max = std::chrono::milliseconds(100);
  auto fixed = util::number_setting(env, "SAGERUN_POLL_SECONDS", 0, 3600, "of seconds");
  if (!fixed) return std::unexpected(fixed.error());
  if (*fixed) {
    poller.m_min = poller.m_max =
        std::chrono::milliseconds(std::max<int64_t>(10, static_cast<int64_t>(**fixed * 1000)));
  }
  poller.m_current = poller.m_min;
  return poller;
}

bool Poller::sleep() {
  const auto until = std::chrono::steady_clock::now() + m_current;
  while (std::chrono::steady_clock::now() < until) {
    if (InterruptGuard::interrupted()) return false;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
        std::chrono::milliseconds(50), until - std::chrono::steady_clock::now()));
  }
  m_current = std::min(m_max, m_current * 3 / 2);
  return !InterruptGuard::interrupted();
}

} // namespace sagerun::cli
