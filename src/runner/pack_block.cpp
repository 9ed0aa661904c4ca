#include "runner/pack_block.hpp"

#include <libdeflate.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>

namespace sagerun::runner {
namespace {

// What the sampler compresses at the start of each segment: enough for level 1 to find the
// repeats of text or tables, little enough to cost a few per cent of a segment's coding.
constexpr size_t k_sample = 4u << 10;
// Segments after a matched one that are matched without a sample of their own.
constexpr size_t k_matched_reach = 3;
// Runs of up to this many literal or stored segments between matched ones are matched.
constexpr size_t k_max_lone_run = 2;
// Segments this small are left to libdeflate, whose block headers are cheaper there.
constexpr size_t k_min_chosen = 1u << 10;
// The member header as libdeflate writes it: deflate, no flags, no time, no extra flags, OS unknown.
constexpr std::array<uint8_t, 10> k_gzip_header = {0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff};
constexpr size_t k_gzip_trailer = 8;   // CRC-32 and size, little-endian
constexpr size_t k_writer_slack = 8;   // BitWriter's stores past the end
constexpr size_t k_segment_slack = 32; // a member of its own per segment, at worst

void put_le32(uint8_t* out, uint32_t value) {
  for (int i = 0; i < 4; ++i, value >>= 8)
    out[i] = static_cast<uint8_t>(value);
}

size_t segments_of(size_t size) {
  return std::max<size_t>(1, (size + BlockCoder::k_segment - 1) / BlockCoder::k_segment);
}

std::span<const uint8_t> segment(std::span<const uint8_t> in, size_t index) {
  const size_t first = index * BlockCoder::k_segment;
  return in.subspan(first, std::min(BlockCoder::k_segment, in.size() - first));
}

size_t hand_member_bound(size_t size) {
  return k_gzip_header.size() + deflate::stored_bytes(size) + k_gzip_trailer + k_writer_slack;
}

// Order-0 entropy of a sample of up to k_sample bytes: n log2 n - sum of c log2 c.
double entropy_bits(const deflate::ByteCounts& counts) {
  static const auto c_log2_c = [] {
    std::vector<float> table(k_sample + 1, 0.0f);
    for (size_t c = 1; c <= k_sample; ++c)
      table[c] = static_cast<float>(static_cast<double>(c) * std::log2(static_cast<double>(c)));
    return table;
  }();
  double n = 0, sum = 0;
  for (const uint32_t c : counts) {
    n += c;
    sum += c_log2_c[c];
  }
  return n > 0 ? n * std::log2(n) - sum : 0;
}

} // namespace

void BlockCoder::CompressorDeleter::operator()(libdeflate_compressor* c) const { libdeflate_free_compressor(c); }

BlockCoder::BlockCoder(int level, Compressor full, Compressor sampler)
    : m_level(level), m_full(std::move(full)), m_sampler(std::move(sampler)),
      m_sample_out(libdeflate_deflate_compress_bound(nullptr, k_sample)) {}

Expected<BlockCoder> BlockCoder::create(int level) {
  Compressor full(libdeflate_alloc_compressor(level));
  Compressor sampler(libdeflate_alloc_compressor(1));
  if (!full || !sampler) return util::fail(util::ErrorKind::internal, "cannot allocate a deflate compressor");
  return BlockCoder(level, std::move(full), std::move(sampler));
}

size_t BlockCoder::bound(size_t size) {
  // libdeflate's bound is the size plus a little per block of its own and per member, so the
  // bounds of the segments add up to at least that of any run of them.
  return segments_of(size) * (libdeflate_gzip_compress_bound(nullptr, k_segment) + k_segment_slack);
}

SegmentKind BlockCoder::choose_segment(std::span<const uint8_t> data, deflate::LiteralBlock& plan) {
  if (m_level == 0) return SegmentKind::stored;
  if (data.size() < k_min_chosen) return SegmentKind::matched;
  // Matching pays where level 1, its block header included, beats the sample's entropy: float
  // noise stays 1-3 % above it (level 1 finds nothing and pays the header), text 5-65 % below;
  // level 6 then finds more than level 1 on 4 KiB does.
  const auto sample = data.first(std::min(k_sample, data.size()));
  const size_t matched = libdeflate_deflate_compress(m_sampler.get(), sample.data(), sample.size(), m_sample_out.data(),
                                                     m_sample_out.size());
  deflate::ByteCounts counts = deflate::count_bytes(sample);
  if (matched != 0 && static_cast<double>(matched * 8) < entropy_bits(counts)) return SegmentKind::matched;
  // Literal coding pays where it saves a sixty-fourth over storing.
  const auto rest = deflate::count_bytes(data.subspan(sample.size()));
  for (size_t b = 0; b < counts.size(); ++b)
    counts[b] += rest[b];
  plan = deflate::LiteralBlock(counts);
  const uint64_t stored = deflate::stored_bytes(data.size());
  return (plan.bits() + 7) / 8 * 64 < stored * 63 ? SegmentKind::literals : SegmentKind::stored;
}

std::vector<SegmentKind> BlockCoder::choose(std::span<const uint8_t> in) {
  const size_t segments = segments_of(in.size());
  m_kinds.resize(segments);
  m_plans.resize(segments);
  for (size_t s = 0; s < segments;) {
    const SegmentKind kind = choose_segment(segment(in, s), m_plans[s]);
    m_kinds[s++] = kind;
    // Text comes in runs: a matched sample speaks for the segments after it, which saves most
    // of the sampling there. Were they floats, matching them costs time, not size.
    for (size_t k = 0; kind == SegmentKind::matched && k < k_matched_reach && s < segments; ++k)
      m_kinds[s++] = SegmentKind::matched;
  }
  // A sample is small: a short run between matched ones is most likely text whose repeats lie
  // beyond the sample, as at the start of a vocabulary; matching it costs little either way.
  for (size_t first = 1; first < segments; ++first) {
    if (m_kinds[first] == SegmentKind::matched || m_kinds[first - 1] != SegmentKind::matched) continue;
    size_t end = first;
    while (end < segments && m_kinds[end] != SegmentKind::matched)
      ++end;
    if (end < segments && end - first <= k_max_lone_run)
      std::fill(&m_kinds[first], &m_kinds[end], SegmentKind::matched);
    first = end;
  }
  return m_kinds;
}

size_t BlockCoder::write_member(std::span<const uint8_t> in, size_t first, size_t end, uint8_t* out) const {
  std::memcpy(out, k_gzip_header.data(), k_gzip_header.size());
  deflate::BitWriter bits(out + k_gzip_header.size());
  for (size_t s = first; s < end; ++s) {
    const auto last = s + 1 == end ? deflate::Last::yes : deflate::Last::no;
    if (m_kinds[s] == SegmentKind::literals)
      m_plans[s].write(bits, segment(in, s), last);
    else
      deflate::write_stored(bits, segment(in, s), last);
  }
  uint8_t* trailer = bits.finish();
  const size_t from = first * k_segment;
  const size_t size = std::min(in.size(), end * k_segment) - from;
  put_le32(trailer, libdeflate_crc32(0, in.data() + from, size));
  put_le32(trailer + 4, static_cast<uint32_t>(size));
  return static_cast<size_t>(trailer + k_gzip_trailer - out);
}

Expected<size_t> BlockCoder::compress(std::span<const uint8_t> in, std::span<uint8_t> out) {
  choose(in);
  const size_t segments = m_kinds.size();
  size_t written = 0;
  for (size_t first = 0; first < segments;) {
    // A run: matched segments in a row, or literal and stored ones in a row.
    const bool matched = m_kinds[first] == SegmentKind::matched;
    size_t end = first + 1;
    while (end < segments && (m_kinds[end] == SegmentKind::matched) == matched)
      ++end;
    const size_t from = first * k_segment;
    const size_t size = std::min(in.size(), end * k_segment) - from;
    const size_t room = out.size() - written;
    size_t n = 0;
    if (matched)
      n = libdeflate_gzip_compress(m_full.get(), in.data() + from, size, out.data() + written, room);
    else if (room >= hand_member_bound(size))
      n = write_member(in, first, end, out.data() + written);
    if (n == 0) return util::fail(util::ErrorKind::internal, "deflate output exceeded its bound");
    written += n;
    first = end;
  }
  return written;
}

} // namespace sagerun::runner
