// Resolves AWS credentials and the region from this process's environment with the real HTTP
// client, for tests/e2e/test_aws_credentials.py. Prints what was found, never the secret:
//   source=container
//   access_key_id=AKID...
//   session_token=present|absent
//   expiration=2024-01-01T00:00:00Z|none
//   region=us-east-1|none
// Options: --profile P, --region R, --access-key K, --secret-key S, --session-token T,
// --repeat N (then also asks one shared CredentialsProvider N times and prints provider_gets=N).
// Exit status 1 with "error: ..." on stderr when resolution fails, 2 for bad usage.

#include <charconv>
#include <iostream>
#include <string>
#include <string_view>

#include "aws/credentials.hpp"
#include "aws/curl/curl_client.hpp"

namespace {

using namespace sagerun;

int usage(std::string_view problem) {
  std::cerr << "usage: credentials_tool [--profile P] [--region R] [--access-key K] [--secret-key S] "
               "[--session-token T] [--repeat N]: "
            << problem << "\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  aws::CredentialOptions options;
  std::optional<std::string> region_flag;
  int repeat = 0;
  for (int i = 1; i < argc; ++i) {
    const std::string_view name = argv[i];
    if (i + 1 >= argc) return usage("missing value after " + std::string(name));
    const std::string value = argv[++i];
    if (name == "--profile")
      options.profile = value;
    else if (name == "--region")
      region_flag = value;
    else if (name == "--access-key")
      options.access_key = value;
    else if (name == "--secret-key")
      options.secret_key = value;
    else if (name == "--session-token")
      options.session_token = value;
    else if (name == "--repeat") {
      if (std::from_chars(value.data(), value.data() + value.size(), repeat).ec != std::errc() || repeat < 0) {
        return usage("--repeat wants a count");
      }
    } else {
      return usage("unknown option " + std::string(name));
    }
  }

  const auto env = util::current_environment();
  const auto http = aws::make_curl_client();
  const auto resolved = aws::resolve_credentials(env, options, *http);
  if (!resolved) {
    std::cerr << "error: " << resolved.error().message << "\n";
    return 1;
  }
  std::cout << "source=" << resolved->source << "\n"
            << "access_key_id=" << resolved->credentials.access_key_id << "\n"
            << "session_token=" << (resolved->credentials.session_token.empty() ? "absent" : "present") << "\n"
            << "expiration=" << (resolved->expiration ? aws::format_timestamp(*resolved->expiration) : "none") << "\n";
  const auto region = aws::resolve_region(env, region_flag, options.profile);
  std::cout << "region=" << (region ? *region : "none") << "\n";

  if (repeat > 0) {
    aws::CredentialsProvider provider(env, options, *http);
    for (int i = 0; i < repeat; ++i) {
      const auto credentials = provider.get();
      if (!credentials) {
        std::cerr << "error: " << credentials.error().message << "\n";
        return 1;
      }
    }
    std::cout << "provider_source=" << provider.source() << "\n"
              << "provider_gets=" << repeat << "\n";
  }
  return 0;
}
