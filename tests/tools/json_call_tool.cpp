// Test tool: calls one JSON 1.1 operation (or STS GetCallerIdentity) with sagerun's clients and
// prints the answer as JSON, or "ERROR <message>" and exit 1.
//   json_call_tool sagemaker|ecr|logs OPERATION 'JSON'      json_call_tool sts
#include <cstdio>
#include <string>

#include "aws/credentials.hpp"
#include "aws/curl/curl_client.hpp"
#include "aws/endpoints.hpp"
#include "aws/json_client.hpp"

int main(int argc, char** argv) {
  using namespace sagerun;
  if (argc < 2) return 2;
  const std::string service = argv[1];
  const auto env = util::current_environment();
  const auto region = aws::resolve_region(env, std::nullopt).value_or("us-east-1");
  auto http = aws::make_curl_client();
  aws::CredentialsProvider provider(env, {}, *http);
  const aws::CredentialsSource credentials = [&] { return provider.get(); };
  if (service == "sts") {
    auto identity =
        aws::get_caller_identity(*http, credentials, aws::resolve_endpoint("sts", region, env, std::nullopt).url,
                                 region, aws::retry_policy_from(env).value_or(aws::RetryPolicy{}));
    if (!identity) return std::printf("ERROR %s\n", identity.error().message.c_str()), 1;
    std::printf("{\"Account\":\"%s\",\"Arn\":\"%s\"}\n", identity->account.c_str(), identity->arn.c_str());
    return 0;
  }
  if (argc < 4) return 2;
  const auto endpoint = aws::resolve_endpoint(service, region, env, std::nullopt).url;
  aws::JsonService config = service == "sagemaker" ? aws::sagemaker_service(endpoint, region)
                            : service == "ecr"     ? aws::ecr_service(endpoint, region)
                                                   : aws::logs_service(endpoint, region);
  aws::JsonClient client(*http, credentials, config);
  auto answer = client.call(argv[2], nlohmann::json::parse(argv[3]));
  if (!answer) return std::printf("ERROR %s\n", answer.error().message.c_str()), 1;
  std::printf("%s\n", answer->dump().c_str());
  return 0;
}
