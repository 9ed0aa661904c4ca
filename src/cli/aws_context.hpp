#pragma once
// What every AWS-facing command shares: the --endpoint-url/--region/--profile flags, and the
// clients built from them (libcurl transport, the credentials chain, the S3 client).

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "aws/credentials.hpp"
#include "aws/http.hpp"
#include "aws/s3/client.hpp"
#include "aws/transfer/transfer.hpp"
#include "util/environment.hpp"

namespace sagerun::cli {

struct AwsFlags {
  std::optional<std::string> endpoint_url;
  std::optional<std::string> region;
  std::optional<std::string> profile;
};

void add_aws_flags(CLI::App& app, AwsFlags& flags);

struct S3Context {
  std::unique_ptr<aws::HttpClient> http;
  std::unique_ptr<aws::CredentialsProvider> credentials;
  std::unique_ptr<aws::s3::Client> client;
};

Expected<S3Context> make_s3_context(const AwsFlags& flags, const util::EnvMap& env);

struct TransferFlags {
  int concurrency = 10;
  std::optional<double> part_size_mib; // default: 8 MiB parts up, 64 MiB ranges down
  bool quiet = false;
};

void add_transfer_flags(CLI::App& app, TransferFlags& flags);
aws::transfer::Options transfer_options(const TransferFlags& flags);

// Runs a parsed CLI11 app's callback-style command: prints "sagerun: error: …" for failures.
int report(const util::Error& error);

} // namespace sagerun::cli
