#pragma once
// Retries with exponential backoff and full jitter, for idempotent requests only: transport
// failures (refused, reset, timeouts, a stalled body), 5xx, 429, and the throttling codes
// (SlowDown, Throttling, ThrottlingException, RequestLimitExceeded, RequestTimeout, …).

#include <chrono>
#include <functional>

#include "aws/http.hpp"
#include "util/environment.hpp"

namespace sagerun::aws {

struct RetryPolicy {
  int max_attempts = 5; // AWS_MAX_ATTEMPTS
  std::chrono::milliseconds base{100};
  std::chrono::milliseconds cap{5000};
};

// AWS_MAX_ATTEMPTS (1–50); an error names a value outside that.
Expected<RetryPolicy> retry_policy_from(const util::EnvMap& env);

enum class Idempotent { no, yes };

bool is_retryable(const HttpResponse& response);

// Builds the request with `make` for every attempt (so it is signed afresh), calls
// `before_attempt` first (a download restarts its temporary file there).
Expected<HttpResponse> send_with_retries(HttpClient& http, const std::function<Expected<HttpRequest>()>& make,
                                         const BodySink& sink, Idempotent idempotent, const RetryPolicy& policy,
                                         const std::function<void()>& before_attempt = {});

} // namespace sagerun::aws
