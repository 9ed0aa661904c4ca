#pragma once
// One block of the tar stream deflated as consecutive gzip members, spending CPU per 64 KiB
// segment where it pays: libdeflate's full matching where repeated strings shrink the data,
// a literal-only Huffman block where only entropy coding does (float weights), stored where
// nothing does (compressed or random bytes). Segments of one kind in a row share a member.

#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "runner/deflate_blocks.hpp"
#include "util/error.hpp"

struct libdeflate_compressor;

namespace sagerun::runner {

enum class SegmentKind : uint8_t { matched, literals, stored };

class BlockCoder {
public:
  static constexpr size_t k_segment = 64u << 10;

  // `level`: libdeflate's (0–12) for matched segments; 0 stores everything.
  static Expected<BlockCoder> create(int level);

  // Room `compress` needs for `size` input bytes.
  static size_t bound(size_t size);

  // How each segment of `in` would be coded.
  std::vector<SegmentKind> choose(std::span<const uint8_t> in);

  // Writes `in` as gzip members into `out` (at least bound(in.size()) bytes); the bytes written.
  Expected<size_t> compress(std::span<const uint8_t> in, std::span<uint8_t> out);

private:
  struct CompressorDeleter {
    void operator()(libdeflate_compressor* c) const;
  };
  using Compressor = std::unique_ptr<libdeflate_compressor, CompressorDeleter>;

  BlockCoder(int level, Compressor full, Compressor sampler);
  SegmentKind choose_segment(std::span<const uint8_t> segment, deflate::LiteralBlock& plan);
  size_t write_member(std::span<const uint8_t> in, size_t first, size_t end, uint8_t* out) const;

  int m_level;
  Compressor m_full;    // at the requested level
  Compressor m_sampler; // level 1, on a sample of each segment
  std::vector<uint8_t> m_sample_out;
  std::vector<SegmentKind> m_kinds;
  std::vector<deflate::LiteralBlock> m_plans; // per segment, for literal ones
};

} // namespace sagerun::runner
