#include "runner/pack_block.hpp"

#include <gtest/gtest.h>

#include <libdeflate.h>

#include <algorithm>

#include "deflate_test_data.hpp"

namespace sagerun::runner {
namespace {

constexpr size_t k_segment = BlockCoder::k_segment;

BlockCoder coder(int level = 6) {
  auto made = BlockCoder::create(level);
  EXPECT_TRUE(made) << made.error().message;
  return std::move(*made);
}

std::vector<uint8_t> compress(BlockCoder& coder, std::span<const uint8_t> in) {
  std::vector<uint8_t> out(BlockCoder::bound(in.size()));
  const auto n = coder.compress(in, out);
  EXPECT_TRUE(n) << n.error().message;
  out.resize(n.value_or(0));
  return out;
}

size_t count(const std::vector<SegmentKind>& kinds, SegmentKind kind) { return std::ranges::count(kinds, kind); }

TEST(RunnerPackBlock, FloatWeightsAreLiteralCodedRandomBytesStoredTextMatched) {
  auto c = coder();
  const auto floats = c.choose(test::float_weights(8 * k_segment));
  EXPECT_EQ(count(floats, SegmentKind::literals), 8u);
  const auto noise = c.choose(test::random_bytes(8 * k_segment));
  EXPECT_EQ(count(noise, SegmentKind::stored), 8u);
  const auto text = c.choose(test::log_text(8 * k_segment));
  EXPECT_EQ(count(text, SegmentKind::matched), 8u);
}

TEST(RunnerPackBlock, EachSegmentIsChosenForItself) {
  auto c = coder();
  const auto kinds = c.choose(test::concat({test::float_weights(3 * k_segment), test::random_bytes(2 * k_segment),
                                            test::float_weights(k_segment), test::log_text(2 * k_segment)}));
  using enum SegmentKind;
  EXPECT_EQ(kinds, (std::vector{literals, literals, literals, stored, stored, literals, matched, matched}));
}

TEST(RunnerPackBlock, AMatchedSampleSpeaksForTheNextThreeSegments) {
  auto c = coder();
  const auto kinds = c.choose(test::concat({test::log_text(k_segment), test::float_weights(6 * k_segment)}));
  using enum SegmentKind;
  EXPECT_EQ(kinds, (std::vector{matched, matched, matched, matched, literals, literals, literals}));
}

TEST(RunnerPackBlock, AShortRunBetweenMatchedSegmentsIsMatched) {
  auto c = coder();
  const auto two_between = c.choose(
      test::concat({test::log_text(k_segment), test::float_weights(5 * k_segment), test::log_text(k_segment)}));
  EXPECT_EQ(count(two_between, SegmentKind::matched), 7u);
  const auto three_between = c.choose(
      test::concat({test::log_text(k_segment), test::float_weights(6 * k_segment), test::log_text(k_segment)}));
  EXPECT_EQ(count(three_between, SegmentKind::literals), 3u);
}

TEST(RunnerPackBlock, LevelZeroStoresEverything) {
  auto c = coder(0);
  const auto data = test::concat({test::log_text(2 * k_segment), test::float_weights(k_segment)});
  EXPECT_EQ(count(c.choose(data), SegmentKind::stored), 3u);
  const auto out = compress(c, data);
  EXPECT_GT(out.size(), data.size());
  EXPECT_EQ(test::inflate_all(out, 31), data);
}

TEST(RunnerPackBlock, EveryKindReadsBackThroughZlib) {
  auto c = coder();
  for (const auto& data : {test::float_weights(5 * k_segment + 12'345), test::random_bytes(3 * k_segment + 1),
                           test::log_text(4 * k_segment), test::log_text(100)}) {
    const auto out = compress(c, data);
    EXPECT_EQ(test::inflate_all(out, 31), data);
  }
}

TEST(RunnerPackBlock, MixedBlocksAreConsecutiveGzipMembersOfOneValidStream) {
  auto c = coder();
  const auto data = test::concat({test::log_text(3 * k_segment), test::float_weights(3 * k_segment),
                                  test::random_bytes(3 * k_segment), test::log_text(3 * k_segment)});
  const auto out = compress(c, data);
  EXPECT_EQ(test::inflate_all(out, 31), data);
  // Matched, literal and stored together, matched: three members, each a gzip header.
  size_t members = 0;
  for (size_t i = 0; i + 3 < out.size(); ++i)
    if (out[i] == 0x1f && out[i + 1] == 0x8b && out[i + 2] == 8 && out[i + 3] == 0) ++members;
  EXPECT_GE(members, 3u);
  EXPECT_LT(out.size(), data.size() * 2 / 3);
}

TEST(RunnerPackBlock, FloatsShrinkAsMuchAsUnderFullMatching) {
  auto c = coder();
  const auto data = test::float_weights(16 * k_segment);
  const auto ours = compress(c, data);
  libdeflate_compressor* full = libdeflate_alloc_compressor(6);
  std::vector<uint8_t> theirs(libdeflate_gzip_compress_bound(full, data.size()));
  theirs.resize(libdeflate_gzip_compress(full, data.data(), data.size(), theirs.data(), theirs.size()));
  libdeflate_free_compressor(full);
  EXPECT_LT(static_cast<double>(ours.size()), 1.005 * static_cast<double>(theirs.size()));
}

TEST(RunnerPackBlock, TheBoundHoldsForAnyMixOfKinds) {
  auto c = coder();
  // Alternating kinds: a member for every segment, the worst case for the bound.
  std::vector<uint8_t> data;
  for (int i = 0; i < 4; ++i)
    data = test::concat({data, test::random_bytes(k_segment, i), test::log_text(3 * k_segment, i)});
  const auto out = compress(c, data);
  EXPECT_LE(out.size(), BlockCoder::bound(data.size()));
  EXPECT_EQ(test::inflate_all(out, 31), data);
}

} // namespace
} // namespace sagerun::runner
