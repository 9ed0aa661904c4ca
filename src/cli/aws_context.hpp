#pragma once
// What every AWS-facing command shares: the S3 client built from the shared AWS flags (over an
// aws::Session) and the transfer flags.

#include <memory>
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "aws/curl/session.hpp"
#include "aws/s3/client.hpp"
#include "aws/transfer/transfer.hpp"
#include "cli/command_table.hpp"
#include "util/environment.hpp"

namespace sagerun::cli {

struct S3Context {
  std::unique_ptr<aws::Session> session;
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

} // namespace sagerun::cli
