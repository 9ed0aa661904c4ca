// sagerun upload SCRIPT_DIR [DATA_DIR] s3://bucket/prefix: stages the seed layout, where the
// script travels with the data — the script folder at prefix/script/, the data under prefix/ —
// so that a job whose `training` channel is s3://bucket/prefix finds input/data/training/script/.
#include <chrono>
#include <cstdio>

#include "aws/s3/uri.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "util/files.hpp"

namespace sagerun::cli {

int cmd_upload(Invocation& invocation) {
  auto& app = invocation.app();
  std::vector<std::string> positional;
  TransferFlags flags;
  app.add_option("SCRIPT_DIR [DATA_DIR] S3_PREFIX", positional,
                 "the script folder, optionally a data folder, and s3://bucket/prefix")
      ->required()
      ->expected(2, 3);
  add_transfer_flags(app, flags);
  if (auto done = invocation.parse()) return *done;
  const auto& aws_flags = invocation.flags().aws;
  const std::string script_dir = positional.front();
  const std::string data_dir = positional.size() == 3 ? positional[1] : "";
  auto location = aws::s3::parse_uri(positional.back());
  if (!location) return report(location.error());
  for (const auto& dir : {script_dir, data_dir}) {
    if (!dir.empty() && !util::is_dir(dir)) return report({util::ErrorKind::not_found, dir + ": not a folder"});
  }
  std::string prefix = location->key;
  while (prefix.ends_with("/"))
    prefix.pop_back();

  auto context = make_s3_context(aws_flags, invocation.env());
  if (!context) return report(context.error());
  aws::transfer::Manager manager(*context->client, transfer_options(flags));
  const auto start = std::chrono::steady_clock::now();
  auto scripts = manager.upload_folder(script_dir, location->bucket, aws::transfer::join_key(prefix, "script"));
  if (!scripts) return report(scripts.error());
  aws::transfer::Stats data{};
  if (!data_dir.empty()) {
    auto uploaded = manager.upload_folder(data_dir, location->bucket, prefix);
    if (!uploaded) return report(uploaded.error());
    data = *uploaded;
  }
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const std::string channel = "s3://" + location->bucket + "/" + prefix;
  if (!flags.quiet) {
    std::fprintf(stderr, "uploaded %zu script files and %zu data files in %.2f s\n", scripts->files, data.files,
                 seconds);
  }
  if (invocation.flags().output == Output::json) {
    print_json({{"TrainingChannel", channel},
                {"Script", channel + "/script"},
                {"ScriptFiles", scripts->files},
                {"DataFiles", data.files},
                {"Bytes", scripts->bytes + data.bytes},
                {"Seconds", seconds}});
  } else {
    std::printf("%s\n", channel.c_str());
  }
  if (!flags.quiet) std::fprintf(stderr, "use it as the training channel: --input training=%s\n", channel.c_str());
  return k_exit_ok;
}

} // namespace sagerun::cli
