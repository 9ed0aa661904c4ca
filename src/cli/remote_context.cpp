#include "cli/remote_context.hpp"

#include <algorithm>
#include <cstdlib>
#include <ctime>
#include <thread>

#include "aws/curl/curl_client.hpp"
#include "aws/endpoints.hpp"
#include "aws/retry.hpp"

namespace sagerun::cli {
namespace {

volatile std::sig_atomic_t g_signal = 0;

extern "C" void on_interrupt(int signal_number) { g_signal = signal_number; }

bool endpoint_variables_ignored(const util::EnvMap& env) {
  const auto ignore = util::lookup(env, "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
  return ignore && (*ignore == "true" || *ignore == "TRUE" || *ignore == "True");
}

bool variable_set(const util::EnvMap& env, const std::string& name) {
  const auto value = util::lookup(env, name);
  return value && !value->empty() && !endpoint_variables_ignored(env);
}

} // namespace

void add_remote_flags(CLI::App& app, RemoteFlags& flags, RemoteSwitch with_remote) {
  if (with_remote == RemoteSwitch::yes) {
    app.add_flag("--remote", flags.remote,
                 "talk to SageMaker (the credentials chain's account and region) rather than local jobs");
  }
  app.add_option("--endpoint-url", flags.aws.endpoint_url,
                 "a SageMaker-compatible API (also AWS_ENDPOINT_URL_SAGEMAKER); its CloudWatch Logs too");
  app.add_option("--region", flags.aws.region, "the AWS region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile)");
  app.add_option("--profile", flags.aws.profile, "the profile in ~/.aws/credentials and ~/.aws/config");
}

bool wants_remote(const RemoteFlags& flags, const util::EnvMap& env) {
  return flags.remote || (flags.aws.endpoint_url && !flags.aws.endpoint_url->empty()) ||
         variable_set(env, "AWS_ENDPOINT_URL_SAGEMAKER");
}

Expected<RemoteEndpoints> resolve_remote_endpoints(const AwsFlags& flags, const util::EnvMap& env) {
  auto region = aws::resolve_region(env, flags.region, flags.profile);
  const std::string chosen = region ? *region : "us-east-1";
  const auto sagemaker = aws::resolve_endpoint("sagemaker", chosen, env, flags.endpoint_url);
  // resolve_endpoint marks every custom endpoint path-style; AWS's own are not.
  const bool custom = sagemaker.path_style;
  if (!region && !custom) return std::unexpected(region.error());
  RemoteEndpoints endpoints{chosen, sagemaker.url, "", custom};
  if (variable_set(env, "AWS_ENDPOINT_URL_CLOUDWATCH_LOGS") || !custom) {
    endpoints.logs = aws::resolve_endpoint("logs", chosen, env, std::nullopt).url;
  } else {
    endpoints.logs = sagemaker.url;
  }
  return endpoints;
}

Expected<std::unique_ptr<RemoteContext>> make_remote_context(const AwsFlags& flags, const util::EnvMap& env) {
  auto endpoints = resolve_remote_endpoints(flags, env);
  if (!endpoints) return std::unexpected(endpoints.error());
  auto context = std::make_unique<RemoteContext>();
  context->endpoints = *endpoints;
  context->http = aws::make_curl_client();
  aws::CredentialOptions options;
  options.profile = flags.profile;
  context->credentials = std::make_unique<aws::CredentialsProvider>(env, options, *context->http);
  auto* provider = context->credentials.get();
  const aws::CredentialsSource credentials = [provider] { return provider->get(); };
  const auto retry = aws::retry_policy_from(env);
  auto sagemaker = aws::sagemaker_service(endpoints->sagemaker, endpoints->region);
  sagemaker.retry = retry;
  auto logs = aws::logs_service(endpoints->logs, endpoints->region);
  logs.retry = retry;
  context->sagemaker =
      std::make_unique<aws::SageMakerClient>(aws::JsonClient(*context->http, credentials, std::move(sagemaker)));
  context->logs = std::make_unique<aws::LogsClient>(aws::JsonClient(*context->http, credentials, std::move(logs)));
  return context;
}

std::string remote_flags_hint(const RemoteFlags& flags, const RemoteEndpoints& endpoints) {
  std::string hint;
  if (flags.aws.endpoint_url && !flags.aws.endpoint_url->empty()) {
    hint = " --endpoint-url " + *flags.aws.endpoint_url;
  } else if (!variable_set(util::current_environment(), "AWS_ENDPOINT_URL_SAGEMAKER")) {
    // Without either, describe/logs/stop look at local jobs: name the API.
    hint = endpoints.custom ? " --endpoint-url " + endpoints.sagemaker : " --remote";
  }
  if (flags.aws.region) hint += " --region " + *flags.aws.region;
  if (flags.aws.profile) hint += " --profile " + *flags.aws.profile;
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

Poller::Poller(const util::EnvMap& env) {
  if (const auto fixed = util::lookup(env, "SAGERUN_POLL_SECONDS")) {
    const double seconds = std::atof(fixed->c_str());
    if (seconds > 0) {
      m_min = m_max = std::chrono::milliseconds(std::max<int64_t>(10, static_cast<int64_t>(seconds * 1000)));
    }
  }
  m_current = m_min;
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
