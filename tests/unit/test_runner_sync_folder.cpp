// The live sync's rules for one folder: keys and paths kept below the destination, links never
// followed (inside the folder or in place of it), a file put only once it held still for a pass
// (or at the final pass), rewrites seen, algo-1 winning a clash, nothing deleted, and a failed
// put tried again at the next pass. Destinations are local folders (the same Storage code).

#include "runner/sync_folder.hpp"

#include <unistd.h>

#include <gtest/gtest.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "test_support.hpp"
#include "util/files.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;

void sync_write(const fs::path& file, const std::string& text) {
  fs::create_directories(file.parent_path());
  std::ofstream(file, std::ios::binary) << text;
}

std::string sync_read(const fs::path& file) { return util::read_file(file).value_or("<missing>"); }

Location s3_at(const std::string& bucket, const std::string& key) {
  Location location;
  location.kind = Location::Kind::s3;
  location.bucket = bucket;
  location.key = key;
  return location;
}

Location folder_at(const fs::path& path) {
  Location location;
  location.path = path;
  return location;
}

TEST(SyncFolderConfined, KeysAndPathsStayBelowTheDestination) {
  auto key = confined_child(s3_at("bkt", "ck/run"), "epoch-1/model.pt");
  ASSERT_TRUE(key) << key.error().message;
  EXPECT_EQ(key->key, "ck/run/epoch-1/model.pt");
  auto bare = confined_child(s3_at("bkt", ""), "a.txt");
  ASSERT_TRUE(bare);
  EXPECT_EQ(bare->key, "a.txt");
  auto path = confined_child(folder_at("/out/job"), "sub/a.txt");
  ASSERT_TRUE(path);
  EXPECT_EQ(path->path, fs::path("/out/job/sub/a.txt"));

  for (const std::string& bad : std::vector<std::string>{"", "/etc/passwd", "../x", "a/../../x", "a//b", "./a", "a/.",
                                                         "a/", std::string("a\0b", 3)}) {
    SCOPED_TRACE(bad);
    EXPECT_FALSE(confined_child(s3_at("bkt", "ck"), bad));
    auto refused = confined_child(folder_at("/out"), bad);
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("cannot be put below file:///out"), std::string::npos);
  }
  auto long_key = confined_child(s3_at("bkt", "ck"), std::string(1100, 'k'));
  ASSERT_FALSE(long_key);
  EXPECT_NE(long_key.error().message.find("1024"), std::string::npos);
}

TEST(SyncFolderScan, LinksAreSkippedNeverFollowed) {
  test::TempDir dir;
  const fs::path tree = dir.path() / "algo-1";
  sync_write(tree / "checkpoints/a.txt", "a");
  sync_write(tree / "checkpoints/sub/b.txt", "b");
  sync_write(dir.path() / "outside/secret.txt", "secret");
  fs::create_symlink(dir.path() / "outside/secret.txt", tree / "checkpoints/link.txt");
  fs::create_directory_symlink(dir.path() / "outside", tree / "checkpoints/linked-folder");
  ::mkfifo((tree / "checkpoints/fifo").c_str(), 0600);

  auto files = scan_folder({tree, "checkpoints"});
  ASSERT_TRUE(files) << files.error().message;
  std::vector<std::string> names;
  for (const auto& [name, mark] : *files)
    names.push_back(name);
  EXPECT_EQ(names, (std::vector<std::string>{"a.txt", "sub/b.txt"}));
  EXPECT_EQ(files->at("a.txt").size, 1u);
  EXPECT_FALSE(open_beneath(tree, "checkpoints/link.txt"));
  EXPECT_FALSE(open_beneath(tree, "checkpoints/linked-folder/secret.txt"));
  EXPECT_FALSE(open_beneath(tree, "checkpoints/fifo"));
  EXPECT_TRUE(open_beneath(tree, "checkpoints/sub/b.txt"));
}

TEST(SyncFolderScan, AFolderReplacedByALinkHasNoFiles) {
  test::TempDir dir;
  const fs::path tree = dir.path() / "algo-1";
  sync_write(dir.path() / "etc/passwd", "root:x:0:0");
  fs::create_directories(tree);
  fs::create_directory_symlink(dir.path() / "etc", tree / "output");
  auto files = scan_folder({tree, "output/intermediate"});
  ASSERT_TRUE(files) << files.error().message;
  EXPECT_TRUE(files->empty());
  fs::create_directory_symlink(dir.path() / "etc", tree / "checkpoints");
  files = scan_folder({tree, "checkpoints"});
  ASSERT_TRUE(files);
  EXPECT_TRUE(files->empty());
  EXPECT_FALSE(open_beneath(tree, "checkpoints/passwd"));
  EXPECT_TRUE(scan_folder({tree, "missing"})->empty());
}

class SyncFolderTest : public ::testing::Test {
protected:
  fs::path host(int index) const { return dir.path() / ("algo-" + std::to_string(index)); }
  FolderSync folder_sync(int hosts = 1) const {
    std::vector<SyncSource> sources;
    for (int i = 1; i <= hosts; ++i)
      sources.push_back({host(i), "checkpoints"});
    return FolderSync("the checkpoints", sources, folder_at(out()));
  }
  fs::path out() const { return dir.path() / "out"; }
  size_t run_pass(FolderSync& sync, PassKind kind) {
    auto put = sync.pass(storage, kind);
    EXPECT_TRUE(put) << put.error().message;
    return put.value_or(0);
  }

  test::TempDir dir;
  Storage storage{nullptr, nullptr};
};

TEST_F(SyncFolderTest, AFileIsPutOnceItHeldStillForAPass) {
  auto sync = folder_sync();
  sync_write(host(1) / "checkpoints/state.txt", "v1");
  EXPECT_EQ(run_pass(sync, PassKind::live), 0u); // first seen: it may still be written
  EXPECT_FALSE(fs::exists(out() / "state.txt"));
  EXPECT_EQ(run_pass(sync, PassKind::live), 1u);
  EXPECT_EQ(sync_read(out() / "state.txt"), "v1");
  EXPECT_EQ(run_pass(sync, PassKind::live), 0u); // unchanged: not put again

  // Rewritten in place with the same size: ctime (and mtime) move on, so it is seen.
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  sync_write(host(1) / "checkpoints/state.txt", "v2");
  EXPECT_EQ(run_pass(sync, PassKind::live), 0u);
  EXPECT_EQ(sync_read(out() / "state.txt"), "v1");
  EXPECT_EQ(run_pass(sync, PassKind::live), 1u);
  EXPECT_EQ(sync_read(out() / "state.txt"), "v2");
}

TEST_F(SyncFolderTest, AFileStillChangingWaitsAndTheFinalPassPutsIt) {
  auto sync = folder_sync();
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
    sync_write(host(1) / "checkpoints/growing.bin", std::string(static_cast<size_t>(100 * (i + 1)), 'x'));
    EXPECT_EQ(run_pass(sync, PassKind::live), 0u);
  }
  EXPECT_FALSE(fs::exists(out() / "growing.bin"));
  EXPECT_EQ(run_pass(sync, PassKind::final), 1u);
  EXPECT_EQ(sync_read(out() / "growing.bin").size(), 300u);
  EXPECT_EQ(run_pass(sync, PassKind::final), 0u);
}

TEST_F(SyncFolderTest, FilesThereBeforeTheHostsStartCountAsPut) {
  sync_write(host(1) / "checkpoints/downloaded.txt", "from s3");
  auto sync = folder_sync();
  sync.take_as_put();
  EXPECT_EQ(run_pass(sync, PassKind::live), 0u);
  EXPECT_EQ(run_pass(sync, PassKind::final), 0u);
  EXPECT_FALSE(fs::exists(out() / "downloaded.txt"));
  std::this_thread::sleep_for(std::chrono::milliseconds(10));
  sync_write(host(1) / "checkpoints/downloaded.txt", "resumed");
  EXPECT_EQ(run_pass(sync, PassKind::final), 1u);
  EXPECT_EQ(sync_read(out() / "downloaded.txt"), "resumed");
}

TEST_F(SyncFolderTest, TheFirstHostWinsAClashAndDeletionsStay) {
  auto sync = folder_sync(2);
  sync_write(host(1) / "checkpoints/shared.txt", "algo-1");
  sync_write(host(2) / "checkpoints/shared.txt", "algo-2");
  sync_write(host(2) / "checkpoints/algo-2/own.txt", "mine");
  EXPECT_EQ(run_pass(sync, PassKind::final), 2u);
  EXPECT_EQ(sync_read(out() / "shared.txt"), "algo-1");
  EXPECT_EQ(sync_read(out() / "algo-2/own.txt"), "mine");
  fs::remove(host(2) / "checkpoints/algo-2/own.txt");
  EXPECT_EQ(run_pass(sync, PassKind::final), 0u);
  EXPECT_EQ(sync_read(out() / "algo-2/own.txt"), "mine"); // as SageMaker: never deleted
}

TEST_F(SyncFolderTest, AFailedPutNamesTheFolderAndIsTriedAgain) {
  auto sync = folder_sync();
  sync_write(out(), "a file where the destination folder should be");
  sync_write(host(1) / "checkpoints/state.txt", "v1");
  auto failed = sync.pass(storage, PassKind::final);
  ASSERT_FALSE(failed);
  EXPECT_NE(failed.error().message.find("the checkpoints to file://" + out().string() + ": state.txt: "),
            std::string::npos)
      << failed.error().message;
  fs::remove(out());
  EXPECT_EQ(run_pass(sync, PassKind::final), 1u);
  EXPECT_EQ(sync_read(out() / "state.txt"), "v1");
}

} // namespace
} // namespace sagerun::runner
