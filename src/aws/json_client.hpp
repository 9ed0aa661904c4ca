#pragma once
// The AWS JSON protocols, 1.1 (SageMaker, ECR, CloudWatch Logs) and 1.0 (CloudWatch): POST / with
// X-Amz-Target = "<prefix>.<Operation>", a JSON body, SigV4; errors come back as
// {"__type","message"} and are returned as "ValidationException: message".

#include <string>

#include <nlohmann/json.hpp>

#include "aws/credentials_source.hpp"
#include "aws/http.hpp"
#include "aws/retry.hpp"

namespace sagerun::aws {

struct JsonService {
  std::string signing_name;  // "sagemaker", "ecr", "logs", "monitoring"
  std::string target_prefix; // "SageMaker", "AmazonEC2ContainerRegistry_V20150921", "Logs_20140328"
  std::string endpoint;      // scheme://host[:port]
  std::string region;
  RetryPolicy retry;
  std::string json_version; // "1.1", "1.0": the content type application/x-amz-json-<version>
};

// The target prefixes of the services sagerun calls.
JsonService sagemaker_service(std::string endpoint, std::string region);
JsonService ecr_service(std::string endpoint, std::string region);
JsonService logs_service(std::string endpoint, std::string region);
JsonService cloudwatch_service(std::string endpoint, std::string region);

class JsonClient {
public:
  JsonClient(HttpClient& http, CredentialsSource credentials, JsonService service);

  // Read-only operations (Describe*, List*, Get*) are retried; others are sent once.
  Expected<nlohmann::json> call(const std::string& operation, const nlohmann::json& input);

private:
  HttpClient& m_http;
  CredentialsSource m_credentials;
  JsonService m_service;
};

struct CallerIdentity {
  std::string account;
  std::string arn;
  std::string user_id;
};

// STS GetCallerIdentity (the Query protocol: form-encoded POST, XML answer).
Expected<CallerIdentity> get_caller_identity(HttpClient& http, const CredentialsSource& credentials,
                                             const std::string& endpoint, const std::string& region,
                                             const RetryPolicy& retry);

} // namespace sagerun::aws
