// A host's log kept once: the log byte for byte and the times of its parts beside it, read back
// as CloudWatch Logs events (whole lines, as they arrive; progress-bar redraws; long lines; the
// last line without a newline; a log appended to; a log of an older store without times).

#include "store/log_events.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"

namespace sagerun::store {
namespace {

class LogEventsTest : public ::testing::Test {
protected:
  void SetUp() override {
    auto opened = LogTimesWriter::open(times, 0);
    ASSERT_TRUE(opened) << opened.error().message;
    writer.emplace(std::move(*opened));
  }
  // Output arriving at `ms`, as the runner records it.
  void arrive(const std::string& bytes, int64_t ms) {
    writer->mark(written, ms);
    std::ofstream(log, std::ios::app | std::ios::binary) << bytes;
    written += bytes.size();
  }
  std::vector<int64_t> stamps(const LogEvents& events) {
    std::vector<int64_t> out;
    events.scan(0, LogEvents::Direction::forward, [&](size_t, int64_t t, uint32_t) {
      out.push_back(t);
      return true;
    });
    return out;
  }

  test::TempDir dir;
  std::filesystem::path log = dir.path() / "algo-1.log";
  std::filesystem::path times = dir.path() / "algo-1.times";
  std::optional<LogTimesWriter> writer;
  uint64_t written = 0;
};

TEST_F(LogEventsTest, WholeLinesAsTheyArriveStampedWhenTheyEnded) {
  LogEvents events(log, times);
  events.refresh();
  EXPECT_EQ(events.size(), 0u);
  arrive("first\nsec", 1000);
  events.refresh();
  ASSERT_EQ(events.size(), 1u);
  arrive("ond\n\ntab\tinside\n", 2000);
  events.refresh();
  ASSERT_EQ(events.size(), 4u);
  EXPECT_EQ(events.messages(0, 4), (std::vector<std::string>{"first", "second", "", "tab\tinside"}));
  EXPECT_EQ(stamps(events), (std::vector<int64_t>{1000, 2000, 2000, 2000}));
}

TEST_F(LogEventsTest, TheLogIsKeptByteForByteAndTheTimesAreSmall) {
  std::string line(99, 'x');
  line += '\n';
  for (int i = 0; i < 1000; ++i)
    arrive(line, 1000 + i / 10); // ten reads per millisecond: one mark each millisecond
  EXPECT_EQ(std::filesystem::file_size(log), 100'000u);
  EXPECT_LE(std::filesystem::file_size(times), 100u * 5); // 100 marks of a few bytes
  LogEvents events(log, times);
  events.refresh();
  ASSERT_EQ(events.size(), 1000u);
  EXPECT_EQ(stamps(events).back(), 1099);
}

TEST_F(LogEventsTest, ProgressBarsShowTheirLastRedrawAndCrLfEndsAreDropped) {
  arrive("epoch 1 10%\repoch 1 50%\repoch 1 100%\r\nwindows line\r\n", 5);
  LogEvents events(log, times);
  events.refresh();
  EXPECT_EQ(events.messages(0, 2), (std::vector<std::string>{"epoch 1 100%", "windows line"}));
}

TEST_F(LogEventsTest, ALineLongerThanAMessageIsCutAndOneLongerThanAReadIsWhole) {
  arrive(std::string(k_max_message + 10, 'y') + "\n" + "after\n", 7);
  LogEvents events(log, times);
  events.refresh();
  ASSERT_EQ(events.size(), 3u);
  EXPECT_EQ(events.messages(0, 1)[0].size(), k_max_message);
  EXPECT_EQ(events.messages(1, 2)[0], std::string(10, 'y'));
  EXPECT_EQ(events.messages(2, 3)[0], "after");
  arrive(std::string(3 << 20, 'z') + "\n", 8);
  events.refresh();
  ASSERT_EQ(events.size(), 3u + 12u); // 3 MiB in 256 KiB messages
}

TEST_F(LogEventsTest, TheLastLineWithoutANewlineIsAnEventOnceTheOutputEnded) {
  arrive("done\nno newline", 10);
  LogEvents events(log, times);
  events.refresh();
  EXPECT_EQ(events.size(), 1u);
  writer->end(written, 11);
  events.refresh();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events.messages(1, 2)[0], "no newline");
  EXPECT_EQ(stamps(events)[1], 10); // when its bytes arrived
}

TEST_F(LogEventsTest, ALogAppendedToContinuesItsTimes) {
  arrive("one\n", 100);
  writer->end(written, 101);
  writer.reset();
  auto again = LogTimesWriter::open(times, written);
  ASSERT_TRUE(again);
  writer.emplace(std::move(*again));
  arrive("two\n", 200);
  LogEvents events(log, times);
  events.refresh();
  EXPECT_EQ(events.messages(0, 2), (std::vector<std::string>{"one", "two"}));
  EXPECT_EQ(stamps(events), (std::vector<int64_t>{100, 200}));
}

TEST_F(LogEventsTest, ALogWithoutTimesIsStampedWithItsModificationTime) {
  std::ofstream(dir.path() / "old.log") << "a\nb\n";
  LogEvents events(dir.path() / "old.log", dir.path() / "old.times");
  events.refresh();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(stamps(events)[0], events.modified_ms());
}

TEST_F(LogEventsTest, AnOlderStoresEventsFileBecomesTheLogAndItsTimes) {
  // The previous layout: timestamped lines only (a server's job), or beside the log.
  std::ofstream(dir.path() / "algo-2.events") << "1700000001000\thello\n1700000002000\tworld\n";
  LogEvents events(dir.path() / "algo-2.log", dir.path() / "algo-2.times");
  events.refresh();
  ASSERT_EQ(events.size(), 2u);
  EXPECT_EQ(events.messages(0, 2), (std::vector<std::string>{"hello", "world"}));
  EXPECT_EQ(stamps(events), (std::vector<int64_t>{1700000001000, 1700000002000}));
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "algo-2.events"));
  EXPECT_EQ(std::filesystem::file_size(dir.path() / "algo-2.log"), 12u);

  std::ofstream(dir.path() / "algo-3.log") << "a 10%\ra 100%\nb\n";
  std::ofstream(dir.path() / "algo-3.events") << "5\ta 100%\n6\tb\n";
  LogEvents both(dir.path() / "algo-3.log", dir.path() / "algo-3.times");
  both.refresh();
  EXPECT_EQ(both.messages(0, 2), (std::vector<std::string>{"a 100%", "b"}));
  EXPECT_EQ(stamps(both), (std::vector<int64_t>{5, 6}));
}

} // namespace
} // namespace sagerun::store
