// sagerun s3 ls|cp|sync: the transfer engine the runner uses, on the command line.
#include <chrono>
#include <cstdio>
#include <iostream>
#include <unistd.h>

#include "aws/s3/uri.hpp"
#include "aws/transfer/stream.hpp"
#include "cli/aws_context.hpp"
#include "cli/command_table.hpp"
#include "util/files.hpp"

namespace sagerun::cli {
namespace {

namespace fs = std::filesystem;
using aws::transfer::Mode;

// As `aws s3api list-objects-v2` answers, for --output json.
nlohmann::json listing_json(const aws::s3::Listing& listing) {
  nlohmann::json contents = nlohmann::json::array();
  for (const auto& object : listing.objects) {
    contents.push_back({{"Key", object.key},
                        {"Size", object.size},
                        {"ETag", "\"" + object.etag + "\""},
                        {"LastModified", object.last_modified}});
  }
  nlohmann::json prefixes = nlohmann::json::array();
  for (const auto& prefix : listing.common_prefixes)
    prefixes.push_back({{"Prefix", prefix}});
  return {{"Contents", contents}, {"CommonPrefixes", prefixes}};
}

int list(const Invocation& invocation, const std::string& uri, bool recursive) {
  auto location = aws::s3::parse_uri(uri);
  if (!location) return report(location.error());
  auto context = make_s3_context(invocation.flags().aws, invocation.env());
  if (!context) return report(context.error());
  auto listing = context->client->list(location->bucket, location->key, recursive ? "" : "/");
  if (!listing) return report(listing.error());
  if (invocation.flags().output == Output::json) {
    print_json(listing_json(*listing));
    return k_exit_ok;
  }
  for (const auto& prefix : listing->common_prefixes) {
    std::printf("%30s %s\n", "PRE", prefix.substr(location->key.size()).c_str());
  }
  for (const auto& object : listing->objects) {
    std::string when = object.last_modified.substr(0, 19);
    if (when.size() > 10) when[10] = ' ';
    const std::string name = recursive ? object.key : object.key.substr(location->key.size());
    std::printf("%s %10llu %s\n", when.c_str(), static_cast<unsigned long long>(object.size), name.c_str());
  }
  return k_exit_ok;
}

void summary(const Invocation& invocation, bool quiet, const char* verb, const aws::transfer::Stats& stats,
             std::chrono::steady_clock::time_point start) {
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (invocation.flags().output == Output::json) {
    print_json({{"Files", stats.files}, {"Bytes", stats.bytes}, {"UpToDate", stats.skipped}, {"Seconds", seconds}});
    return;
  }
  if (quiet) return;
  std::fprintf(stderr, "%s %zu files, %.1f MiB in %.2f s", verb, stats.files,
               static_cast<double>(stats.bytes) / (1 << 20), seconds);
  if (stats.skipped > 0) std::fprintf(stderr, " (%zu up to date)", stats.skipped);
  std::fputc('\n', stderr);
}

// `-` as SOURCE (standard input to one object) or TARGET (one object to standard output).
int stream(const Invocation& invocation, const TransferFlags& flags, const std::string& source,
           const std::string& target, bool recursive, Mode mode) {
  if (recursive || mode == Mode::sync) {
    return report({util::ErrorKind::invalid_input,
                   "`-` (standard input or output) is one object: it cannot be used with --recursive or sync"});
  }
  const bool upload = source == "-";
  auto location = aws::s3::parse_uri(upload ? target : source);
  if (!location) return report(location.error());
  if (location->key.empty() || location->key.ends_with("/")) {
    return report(
        {util::ErrorKind::invalid_input,
         std::string(upload ? "TARGET" : "SOURCE") + " must name one object (s3://bucket/key) when the other is `-`"});
  }
  auto context = make_s3_context(invocation.flags().aws, invocation.env());
  if (!context) return report(context.error());
  const auto start = std::chrono::steady_clock::now();
  auto options = transfer_options(flags);
  options.progress = false;
  if (!upload) {
    // Standard output carries the object: no summary there, whatever --output says.
    auto stats =
        aws::transfer::download_stream(*context->client, location->bucket, location->key, STDOUT_FILENO, options);
    return stats ? k_exit_ok : report(stats.error());
  }
  auto stats = aws::transfer::upload_stream(*context->client, STDIN_FILENO, location->bucket, location->key, options);
  if (!stats) return report(stats.error());
  summary(invocation, flags.quiet, "upload:", *stats, start);
  return k_exit_ok;
}

int transfer(const Invocation& invocation, const TransferFlags& flags, const std::string& source,
             const std::string& target, bool recursive, Mode mode) {
  const bool from_s3 = source.starts_with("s3://");
  const bool to_s3 = target.starts_with("s3://");
  if (from_s3 == to_s3) {
    return report({util::ErrorKind::invalid_input, "one of SOURCE and TARGET must be s3://…, the other a local path"});
  }
  if (source == "-" || target == "-") return stream(invocation, flags, source, target, recursive, mode);
  auto context = make_s3_context(invocation.flags().aws, invocation.env());
  if (!context) return report(context.error());
  aws::transfer::Manager manager(*context->client, transfer_options(flags));
  const auto start = std::chrono::steady_clock::now();
  Expected<aws::transfer::Stats> stats = aws::transfer::Stats{};
  if (to_s3) {
    auto location = aws::s3::parse_uri(target);
    if (!location) return report(location.error());
    if (recursive || mode == Mode::sync) {
      stats = manager.upload_folder(source, location->bucket, location->key, mode);
    } else {
      std::string key = location->key;
      if (key.empty() || key.ends_with("/")) key += fs::path(source).filename().string();
      stats = manager.upload_file(source, location->bucket, key);
    }
  } else {
    auto location = aws::s3::parse_uri(source);
    if (!location) return report(location.error());
    if (recursive || mode == Mode::sync) {
      stats = manager.download_prefix(location->bucket, location->key, target, mode);
    } else {
      fs::path file = target;
      if (util::is_dir(file) || target.ends_with("/")) file /= fs::path(location->key).filename();
      stats = manager.download_file(location->bucket, location->key, file);
    }
  }
  if (!stats) return report(stats.error());
  summary(invocation, flags.quiet, to_s3 ? "upload:" : "download:", *stats, start);
  return k_exit_ok;
}

} // namespace

int cmd_s3(Invocation& invocation) {
  auto& app = invocation.app();
  app.require_subcommand(1);
  TransferFlags flags;
  std::string source, target, uri;
  bool recursive = false;

  auto* ls = app.add_subcommand("ls", "list objects under s3://bucket[/prefix]");
  ls->add_option("uri", uri, "s3://bucket[/prefix]")->required();
  ls->add_flag("--recursive,-r", recursive, "every object under the prefix, not one level");

  auto* cp = app.add_subcommand("cp", "copy a file or (with --recursive) a folder to or from S3");
  cp->add_option("source", source, "a local path, s3://bucket/key, or - (standard input)")->required();
  cp->add_option("target", target, "a local path, s3://bucket/key, or - (standard output)")->required();
  cp->add_flag("--recursive,-r", recursive, "copy a folder / every object under a prefix");
  add_transfer_flags(*cp, flags);

  auto* sync = app.add_subcommand(
      "sync", "make a prefix hold a folder's files, or a folder a prefix's objects (new or changed only)");
  sync->add_option("source", source, "a local folder or s3://bucket/prefix")->required();
  sync->add_option("target", target, "a local folder or s3://bucket/prefix")->required();
  add_transfer_flags(*sync, flags);

  if (auto done = invocation.parse()) return *done;
  if (ls->parsed()) return list(invocation, uri, recursive);
  if (cp->parsed()) return transfer(invocation, flags, source, target, recursive, Mode::copy);
  return transfer(invocation, flags, source, target, true, Mode::sync);
}

} // namespace sagerun::cli
