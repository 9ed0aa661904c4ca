// The transfers journal: what was started and not ended, whatever the order, and a torn last line.

#include "store/journal.hpp"

#include <gtest/gtest.h>

#include <fstream>

#include "test_support.hpp"

namespace sagerun::store {
namespace {

TEST(TransferJournal, OpenIsStartedMinusEnded) {
  test::TempDir dir;
  const auto file = dir.path() / "transfers";
  {
    TransferJournal journal(file);
    ASSERT_TRUE(journal.upload_started({"http://127.0.0.1:9", "bkt", "out/model.tar.gz", "id-1"}));
    ASSERT_TRUE(journal.upload_started({"", "bkt", "out/output.tar.gz", "id-2"}));
    journal.upload_ended("id-1");
    ASSERT_TRUE(journal.copy_started("/dest/a"));
    ASSERT_TRUE(journal.copy_started("/dest/b"));
    ASSERT_TRUE(journal.copy_started("/dest/a")); // written twice
    journal.copy_ended("/dest/a");
    journal.copy_ended("/dest/b");
  }
  std::ofstream(file, std::ios::app) << "[\"upload\", \"torn"; // the writer died mid-line
  const auto open = TransferJournal::read_open(file);
  ASSERT_EQ(open.uploads.size(), 1u);
  EXPECT_EQ(open.uploads[0].upload_id, "id-2");
  EXPECT_EQ(open.uploads[0].key, "out/output.tar.gz");
  ASSERT_EQ(open.copies.size(), 1u);
  EXPECT_EQ(open.copies[0], "/dest/a");
  EXPECT_TRUE(TransferJournal::read_open(dir.path() / "none").empty());
}

TEST(TransferJournal, KeysWithAnyCharactersSurvive) {
  test::TempDir dir;
  TransferJournal journal(dir.path() / "t");
  ASSERT_TRUE(journal.upload_started({"e", "b", "a\tkey\nwith \"quotes\"", "id"}));
  const auto open = TransferJournal::read_open(dir.path() / "t");
  ASSERT_EQ(open.uploads.size(), 1u);
  EXPECT_EQ(open.uploads[0].key, "a\tkey\nwith \"quotes\"");
}

} // namespace
} // namespace sagerun::store
