// sagerun whoami: the account and identity the credentials chain resolves to (STS
// GetCallerIdentity) and where the credentials came from. Never prints a secret.
#include <cstdio>

#include "aws/curl/session.hpp"
#include "aws/endpoints.hpp"
#include "aws/json_client.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"

namespace sagerun::cli {

int cmd_whoami(Invocation& invocation) {
  if (auto done = invocation.parse()) return *done;
  const auto& aws_flags = invocation.flags().aws;
  const auto& env = invocation.env();
  auto retry = aws::retry_policy_from(env);
  if (!retry) return report(retry.error());
  auto region = aws::resolve_region(env, aws_flags.region, aws_flags.profile);
  const std::string chosen = region ? *region : "us-east-1";
  const auto endpoint = aws::resolve_endpoint("sts", chosen, env, aws_flags.endpoint_url);
  aws::Session session(env, aws_flags.profile);
  auto& provider = session.provider();
  auto identity = aws::get_caller_identity(session.http(), session.credentials(), endpoint.url, chosen, *retry);
  if (!identity) return report(identity.error());
  if (invocation.flags().output == Output::json) {
    print_json({{"Account", identity->account},
                {"Arn", identity->arn},
                {"UserId", identity->user_id},
                {"CredentialsSource", provider.source()}});
    return k_exit_ok;
  }
  std::printf("Account: %s\nArn: %s\nUserId: %s\nCredentials: %s\n", identity->account.c_str(), identity->arn.c_str(),
              identity->user_id.c_str(), provider.source().c_str());
  return k_exit_ok;
}

} // namespace sagerun::cli
