#include "aws/retry.hpp"

#include <algorithm>
#include <array>
#include <cstdlib>
#include <random>
#include <thread>

#include "aws/errors.hpp"
#include "util/settings.hpp"

namespace sagerun::aws {

Expected<RetryPolicy> retry_policy_from(const util::EnvMap& env) {
  RetryPolicy policy;
  auto attempts = util::integer_setting(env, "AWS_MAX_ATTEMPTS", {.min = 1, .max = 50});
  if (!attempts) return std::unexpected(attempts.error());
  if (*attempts) policy.max_attempts = static_cast<int>(**attempts);
  return policy;
}

bool is_retryable(const HttpResponse& response) {
  if (response.status >= 500 || response.status == 429) return true;
  if (response.status < 400) return false;
  static constexpr std::array<std::string_view, 9> throttling = {"SlowDown",
                                                                 "Throttling",
                                                                 "ThrottlingException",
                                                                 "ThrottledException",
                                                                 "RequestLimitExceeded",
                                                                 "RequestThrottled",
                                                                 "TooManyRequestsException",
                                                                 "RequestTimeout",
                                                                 "RequestTimeoutException"};
  const auto code = parse_service_error(response).code;
  return std::find(throttling.begin(), throttling.end(), code) != throttling.end();
}

Expected<HttpResponse> send_with_retries(HttpClient& http, const std::function<Expected<HttpRequest>()>& make,
                                         const BodySink& sink, Idempotent idempotent, const RetryPolicy& policy,
                                         const std::function<void()>& before_attempt) {
  thread_local std::mt19937 random(std::random_device{}());
  const int attempts = idempotent == Idempotent::yes ? policy.max_attempts : 1;
  for (int attempt = 1;; ++attempt) {
    if (before_attempt) before_attempt();
    auto request = make();
    if (!request) return std::unexpected(request.error());
    auto response = http.send(*request, sink);
    const bool retry = !response ? response.error().kind == util::ErrorKind::io : is_retryable(*response);
    if (!retry || attempt >= attempts) return response;
    const long long ceiling = std::min<long long>(policy.cap.count(), policy.base.count() << std::min(attempt - 1, 20));
    std::uniform_int_distribution<long long> jitter(0, ceiling);
    std::this_thread::sleep_for(std::chrono::milliseconds(jitter(random)));
  }
}

} // namespace sagerun::aws
