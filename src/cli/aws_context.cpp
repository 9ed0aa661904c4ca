#include "cli/aws_context.hpp"

#include <unistd.h>

#include "aws/s3/config.hpp"
#include "cli/command_table.hpp"

namespace sagerun::cli {

Expected<S3Context> make_s3_context(const AwsFlags& flags, const util::EnvMap& env) {
  auto config = aws::s3::resolve_config(env, flags.region, flags.profile, flags.endpoint_url);
  if (!config) return std::unexpected(config.error());
  S3Context context;
  context.session = std::make_unique<aws::Session>(env, flags.profile);
  context.client = std::make_unique<aws::s3::Client>(context.session->http(), context.session->credentials(), *config);
  return context;
}

void add_transfer_flags(CLI::App& app, TransferFlags& flags) {
  app.add_option("--concurrency", flags.concurrency, "requests in flight at once")->check(CLI::Range(1, 64));
  app.add_option("--part-size", flags.part_size_mib,
                 "smallest multipart part (parts grow with the file) and download range size in MiB (5 to 5120; "
                 "default 8 up, 64 down)")
      ->check(CLI::Range(5.0, 5120.0));
  app.add_flag("--quiet,-q", flags.quiet, "print nothing but errors");
}

aws::transfer::Options transfer_options(const TransferFlags& flags) {
  aws::transfer::Options options;
  options.concurrency = flags.concurrency;
  if (flags.part_size_mib) {
    options.part_size = static_cast<uint64_t>(*flags.part_size_mib * (1 << 20));
    options.download_range_size = options.part_size;
  }
  options.multipart_threshold = options.part_size;
  options.progress = !flags.quiet && ::isatty(STDERR_FILENO) != 0;
  return options;
}

} // namespace sagerun::cli
