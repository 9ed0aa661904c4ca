#pragma once
// Packing a folder as model.tar.gz / output.tar.gz, fast: the tar stream is cut into blocks
// deflated in parallel on every core, each as full matching, literal-only Huffman or stored
// where each pays (runner/pack_block), written as consecutive gzip members, which GNU tar, gzip
// and Python's tarfile read as one stream. The archive is written to a temporary
// name and renamed, so a failed pack never leaves a file that looks whole.

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

#include "util/atomic_file.hpp"
#include "util/error.hpp"

namespace sagerun::runner {

struct PackOptions {
  unsigned threads = 0;             // 0: every core
  uint64_t block_size = 4ull << 20; // uncompressed bytes per gzip member
  int level = 6;                    // libdeflate level (0–12) where matching pays; 6 is gzip's default
  // fsync before the rename: for an archive at its destination, not a scratch copy about to be
  // uploaded.
  util::Durability durability = util::Durability::none;
};

struct PackStats {
  uint64_t files = 0;
  uint64_t input_bytes = 0;  // file contents
  uint64_t output_bytes = 0; // the archive
};

// Writes every file, folder and symlink under `folder` (names relative to it, like
// `tar -czf archive -C folder .`) into `archive`.
Expected<PackStats> pack_tar_gz(const std::filesystem::path& folder, const std::filesystem::path& archive,
                                const PackOptions& options = {});

// The header blocks of one tar entry as pack_tar_gz writes them (GNU format: a ././@LongLink
// entry before names or link targets of 100 bytes or more, base-256 for sizes of 8 GiB or more),
// uid/gid 0. `type` is the tar type flag ('0' file, '5' folder, '2' symlink). For tests.
std::string tar_header_blocks(std::string_view name, char type, uint32_t mode, uint64_t size, int64_t mtime,
                              std::string_view link_target = {});

} // namespace sagerun::runner
