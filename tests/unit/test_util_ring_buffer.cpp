#include "util/ring_buffer.hpp"

#include <gtest/gtest.h>

namespace sagerun::util {
namespace {

TEST(RingBuffer, KeepsEverythingBelowCapacity) {
  RingBuffer ring(8);
  ring.append("abc");
  ring.append("de");
  EXPECT_EQ(ring.contents(), "abcde");
  EXPECT_FALSE(ring.truncated());
}

TEST(RingBuffer, KeepsTheLastBytesWhenFull) {
  RingBuffer ring(5);
  ring.append("abc");
  ring.append("defg");
  EXPECT_EQ(ring.contents(), "cdefg");
  EXPECT_TRUE(ring.truncated());
  ring.append("hijklmnop");
  EXPECT_EQ(ring.contents(), "lmnop");
  EXPECT_EQ(ring.size(), 5u);
}

TEST(RingBuffer, WrapsManyTimes) {
  RingBuffer ring(7);
  std::string all;
  for (int i = 0; i < 100; ++i) {
    const std::string piece = std::to_string(i) + ",";
    ring.append(piece);
    all += piece;
  }
  EXPECT_EQ(ring.contents(), all.substr(all.size() - 7));
}

TEST(LastLines, KeepsWholeLinesWithinBudget) {
  EXPECT_EQ(last_lines("one\ntwo\nthree\n", 100), "one\ntwo\nthree");
  EXPECT_EQ(last_lines("one\ntwo\nthree\n", 10), "two\nthree");
  EXPECT_EQ(last_lines("one\ntwo\nthree", 9), "two\nthree");
  EXPECT_EQ(last_lines("one\ntwo\nthree", 8), "three");
}

TEST(LastLines, NeverCutsAUtf8Sequence) {
  const std::string text = "\xc3\xa9\xc3\xa9\xc3\xa9"; // "ééé"
  const auto tail = last_lines(text, 3);
  EXPECT_EQ(tail, "\xc3\xa9");
}

} // namespace
} // namespace sagerun::util
