// sagerun whoami: the account and identity the credentials chain resolves to (STS
// GetCallerIdentity) and where the credentials came from. Never prints a secret.
#include <cstdio>

#include "aws/curl/curl_client.hpp"
#include "aws/endpoints.hpp"
#include "aws/json_client.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"

namespace sagerun::cli {

int cmd_whoami(std::span<char*> args) {
  CLI::App app{"Show the AWS account and identity sagerun's credentials resolve to.", "sagerun whoami"};
  AwsFlags aws_flags;
  add_aws_flags(app, aws_flags);
  try {
    app.parse(static_cast<int>(args.size()), args.data());
  } catch (const CLI::ParseError& e) {
    return app.exit(e) == 0 ? k_exit_ok : k_exit_usage;
  }
  const auto env = util::current_environment();
  auto region = aws::resolve_region(env, aws_flags.region, aws_flags.profile);
  const std::string chosen = region ? *region : "us-east-1";
  const auto endpoint = aws::resolve_endpoint("sts", chosen, env, aws_flags.endpoint_url);
  auto http = aws::make_curl_client();
  aws::CredentialOptions options;
  options.profile = aws_flags.profile;
  aws::CredentialsProvider provider(env, options, *http);
  auto identity = aws::get_caller_identity(
      *http, [&] { return provider.get(); }, endpoint.url, chosen, aws::retry_policy_from(env));
  if (!identity) return report(identity.error());
  std::printf("Account: %s\nArn: %s\nUserId: %s\nCredentials: %s\n", identity->account.c_str(), identity->arn.c_str(),
              identity->user_id.c_str(), provider.source().c_str());
  return k_exit_ok;
}

} // namespace sagerun::cli
