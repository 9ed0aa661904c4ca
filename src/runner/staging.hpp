#pragma once
// Staging a job's input channels into each host's /opt/ml/input/data/<channel>: S3 prefixes
// and manifest files (FullyReplicated, or ShardedByS3Key across hosts), and local folders
// (file:// or a plain path), hard-linked rather than copied where the file system allows.
// A key or path that would land outside the channel folder is refused.

#include <filesystem>
#include <string>
#include <vector>

#include "aws/transfer/transfer.hpp"
#include "job/request.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

struct StagingStats {
  size_t files = 0;
  uint64_t bytes = 0;
};

// One entry per host, in host order (algo-1 first): that host's channel folder.
// S3 channels need `transfer`; it may be null when every channel is local.
Expected<StagingStats> stage_channel(const job::Channel& channel,
                                     const std::vector<std::filesystem::path>& host_folders,
                                     aws::transfer::Manager* transfer);

// Which of `count` objects (sorted by key) host `host_index` of `host_count` gets under
// ShardedByS3Key: object i goes to host i % host_count, as SageMaker splits.
bool shard_includes(size_t object_index, size_t host_index, size_t host_count);

// Parses a ManifestFile body: [{"prefix": "s3://bucket/p/"}, "rel/key1", …] → the prefix URI
// and the relative keys. Errors name the manifest and what is wrong.
struct Manifest {
  std::string prefix_uri;
  std::vector<std::string> relative_keys;
};
Expected<Manifest> parse_manifest(const std::string& body, const std::string& manifest_uri);

} // namespace sagerun::runner
