#pragma once
// One object to or from a byte stream that cannot be rewound (a pipe, stdin, stdout), as the AWS
// CLI's `cp - s3://…` and `cp s3://… -`. At most one part is held in memory; each part is sent or
// fetched whole and retried whole, so nothing is written twice. A failed upload is aborted; a
// download checks each range against one ETag, so the bytes written are all of one version.

#include <string>

#include "aws/transfer/transfer.hpp"

namespace sagerun::aws::transfer {

// Reads `fd` to its end into `bucket/key`: one PUT when it fits under the multipart threshold,
// parts otherwise. Parts start at `options.part_size` and double every 1,000 parts, so the
// 10,000-part limit is only reached past S3's 5 TiB object limit.
Expected<Stats> upload_stream(s3::Client& client, int fd, const std::string& bucket, const std::string& key,
                              const Options& options);

// Writes the object to `fd` in ranges of `options.part_size`.
Expected<Stats> download_stream(s3::Client& client, const std::string& bucket, const std::string& key, int fd,
                                const Options& options);

// The size of part `number` (1-based) for a stream upload starting at `base` bytes.
uint64_t stream_part_size(uint64_t base, int number);

} // namespace sagerun::aws::transfer
