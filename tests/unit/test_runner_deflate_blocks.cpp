#include "runner/deflate_blocks.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>

#include "deflate_test_data.hpp"

namespace sagerun::runner::deflate {
namespace {

// Sum of 2^-length over the used symbols, times 2^15: 2^15 exactly for a complete code.
uint64_t kraft_sum(std::span<const uint8_t> lengths) {
  uint64_t sum = 0;
  for (const uint8_t length : lengths)
    if (length) sum += uint64_t{1} << (15 - length);
  return sum;
}

// One stream of the given literal-only and stored pieces, the last one final.
std::vector<uint8_t> stream_of(std::initializer_list<std::pair<bool, std::vector<uint8_t>>> pieces) {
  size_t total = 64;
  for (const auto& [literal, data] : pieces)
    total += stored_bytes(data.size()) + 2048;
  std::vector<uint8_t> out(total);
  BitWriter bits(out.data());
  size_t i = 0;
  for (const auto& [literal, data] : pieces) {
    const Last last = ++i == pieces.size() ? Last::yes : Last::no;
    if (literal)
      LiteralBlock(count_bytes(data)).write(bits, data, last);
    else
      write_stored(bits, data, last);
  }
  out.resize(static_cast<size_t>(bits.finish() - out.data()));
  return out;
}

TEST(RunnerDeflateBlocks, CodeLengthsAreHuffmansForASmallAlphabet) {
  const std::vector<uint32_t> counts = {1, 1, 2, 4};
  std::vector<uint8_t> lengths(4);
  code_lengths(counts, 15, lengths);
  EXPECT_EQ(lengths, (std::vector<uint8_t>{3, 3, 2, 1}));
}

TEST(RunnerDeflateBlocks, CodeLengthsStayWithinTheLimitAndComplete) {
  // Fibonacci counts make Huffman's code as deep as the alphabet is long.
  std::vector<uint32_t> counts(30);
  counts[0] = counts[1] = 1;
  for (size_t i = 2; i < counts.size(); ++i)
    counts[i] = counts[i - 1] + counts[i - 2];
  std::vector<uint8_t> lengths(counts.size());
  code_lengths(counts, 15, lengths);
  EXPECT_EQ(*std::ranges::max_element(lengths), 15);
  EXPECT_EQ(kraft_sum(lengths), uint64_t{1} << 15);
  // The more frequent a symbol, the shorter (or as short) its code.
  for (size_t i = 1; i < lengths.size(); ++i)
    EXPECT_LE(lengths[i], lengths[i - 1]) << i;
}

TEST(RunnerDeflateBlocks, ALoneSymbolGetsAPartnerSoTheCodeIsComplete) {
  std::vector<uint32_t> counts(19, 0);
  counts[8] = 100;
  std::vector<uint8_t> lengths(19);
  code_lengths(counts, 7, lengths);
  EXPECT_EQ(lengths[8], 1);
  EXPECT_EQ(std::accumulate(lengths.begin(), lengths.end(), 0), 2);
}

TEST(RunnerDeflateBlocks, ALiteralBlockOfFloatsInflatesAndIsAsLongAsPlanned) {
  const auto data = test::float_weights(200'000);
  const LiteralBlock block(count_bytes(data));
  std::vector<uint8_t> out(stored_bytes(data.size()) + 64);
  BitWriter bits(out.data());
  block.write(bits, data, Last::yes);
  const size_t size = static_cast<size_t>(bits.finish() - out.data());
  EXPECT_EQ(size, (block.bits() + 7) / 8);
  EXPECT_LT(size, data.size() * 95 / 100); // the exponent bytes shrink
  EXPECT_EQ(test::inflate_all(std::span(out).first(size), -15), data);
}

TEST(RunnerDeflateBlocks, SkewedDataNeedsLengthLimitedCodesAndInflates) {
  // Byte b appears about 1.6^b times: unlimited, the rarest codes would be over 15 bits.
  std::vector<uint8_t> data;
  double count = 1;
  for (int b = 0; b < 26; ++b, count *= 1.6)
    data.insert(data.end(), static_cast<size_t>(count), static_cast<uint8_t>(b));
  std::mt19937 rng(7);
  std::ranges::shuffle(data, rng);
  const auto out = stream_of({{true, data}});
  EXPECT_EQ(test::inflate_all(out, -15), data);
}

TEST(RunnerDeflateBlocks, StoredBlocksSplitAt65535BytesAndFollowLiteralOnesMidByte) {
  const auto floats = test::float_weights(10'001);
  const auto noise = test::random_bytes(150'000);
  const auto out = stream_of({{true, floats}, {false, noise}, {true, floats}, {false, {}}});
  EXPECT_EQ(test::inflate_all(out, -15), test::concat({floats, noise, floats}));
  EXPECT_LE(stored_bytes(noise.size()), noise.size() + 15);
}

TEST(RunnerDeflateBlocks, AnEmptyLiteralBlockInflates) {
  const auto out = stream_of({{true, {}}});
  EXPECT_EQ(test::inflate_all(out, -15), std::vector<uint8_t>{});
}

} // namespace
} // namespace sagerun::runner::deflate
