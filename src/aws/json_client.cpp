#include "aws/json_client.hpp"

#include "aws/crypto.hpp"
#include "aws/errors.hpp"
#include "aws/sigv4.hpp"
#include "aws/xml.hpp"

namespace sagerun::aws {
namespace {

bool read_only(const std::string& operation) {
  return operation.starts_with("Describe") || operation.starts_with("List") || operation.starts_with("Get") ||
         operation.starts_with("Filter") || operation.starts_with("BatchGet");
}

Expected<HttpResponse> signed_post(HttpClient& http, const CredentialsSource& credentials, const std::string& endpoint,
                                   const std::string& service, const std::string& region, Headers headers,
                                   const std::string& body, Idempotent idempotent, const RetryPolicy& retry) {
  const std::string url = endpoint + "/";
  const std::string payload_hash = sha256_hex(body);
  const auto make = [&]() -> Expected<HttpRequest> {
    auto keys = credentials();
    if (!keys) return std::unexpected(keys.error());
    HttpRequest request;
    request.method = "POST";
    request.url = url;
    request.headers = headers;
    request.body = body;
    request.timeout = std::chrono::seconds(60);
    sign_request(request, *keys, SigningScope{region, service, std::chrono::system_clock::now()}, payload_hash,
                 PayloadSigning::plain);
    return request;
  };
  return send_with_retries(http, make, {}, idempotent, retry);
}

} // namespace

JsonService sagemaker_service(std::string endpoint, std::string region) {
  return {"sagemaker", "SageMaker", std::move(endpoint), std::move(region), {}, "1.1"};
}
JsonService ecr_service(std::string endpoint, std::string region) {
  return {"ecr", "AmazonEC2ContainerRegistry_V20150921", std::move(endpoint), std::move(region), {}, "1.1"};
}
JsonService logs_service(std::string endpoint, std::string region) {
  return {"logs", "Logs_20140328", std::move(endpoint), std::move(region), {}, "1.1"};
}
JsonService cloudwatch_service(std::string endpoint, std::string region) {
  return {"monitoring", "GraniteServiceVersion20100801", std::move(endpoint), std::move(region), {}, "1.0"};
}

JsonClient::JsonClient(HttpClient& http, CredentialsSource credentials, JsonService service)
    : m_http(http), m_credentials(std::move(credentials)), m_service(std::move(service)) {
  while (m_service.endpoint.ends_with("/"))
    m_service.endpoint.pop_back();
}

Expected<nlohmann::json> JsonClient::call(const std::string& operation, const nlohmann::json& input) {
  const Headers headers = {{"Content-Type", "application/x-amz-json-" + m_service.json_version},
                           {"X-Amz-Target", m_service.target_prefix + "." + operation}};
  auto response =
      signed_post(m_http, m_credentials, m_service.endpoint, m_service.signing_name, m_service.region, headers,
                  input.dump(), read_only(operation) ? Idempotent::yes : Idempotent::no, m_service.retry);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(to_error(parse_service_error(*response), operation));
  if (response->body.empty()) return nlohmann::json::object();
  try {
    return nlohmann::json::parse(response->body);
  } catch (const nlohmann::json::exception& e) {
    return util::fail(util::ErrorKind::io, operation + ": the service answered with malformed JSON: " + e.what());
  }
}

Expected<CallerIdentity> get_caller_identity(HttpClient& http, const CredentialsSource& credentials,
                                             const std::string& endpoint, const std::string& region,
                                             const RetryPolicy& retry) {
  std::string base = endpoint;
  while (base.ends_with("/"))
    base.pop_back();
  const Headers headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  auto response = signed_post(http, credentials, base, "sts", region, headers,
                              "Action=GetCallerIdentity&Version=2011-06-15", Idempotent::yes, retry);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) return std::unexpected(to_error(parse_service_error(*response), "GetCallerIdentity"));
  CallerIdentity identity{xml::first(response->body, "Account").value_or(""),
                          xml::first(response->body, "Arn").value_or(""),
                          xml::first(response->body, "UserId").value_or("")};
  if (identity.account.empty()) return util::fail(util::ErrorKind::io, "GetCallerIdentity: no Account in the answer");
  return identity;
}

} // namespace sagerun::aws
