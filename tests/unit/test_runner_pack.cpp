#include "runner/pack.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>

#include "deflate_test_data.hpp"
#include "test_support.hpp"
#include "util/files.hpp"
#include "util/tar_extract.hpp"

namespace sagerun::runner {
namespace {

namespace fs = std::filesystem;

void write(const fs::path& path, const std::string& content) {
  fs::create_directories(path.parent_path());
  std::ofstream(path, std::ios::binary) << content;
}

// Runs a shell command line (the arguments are test paths without quotes in them); its stdout.
std::string run(const std::string& command, int* status = nullptr) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0)
    output.append(buffer, n);
  const int raw = ::pclose(pipe);
  if (status) *status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return output;
}

std::string quote(const fs::path& path) { return "'" + path.string() + "'"; }

// Every entry under `root` by relative name: "dir", "file:<bytes>", "link:<target>" (+ mode for files).
std::map<std::string, std::string> snapshot(const fs::path& root) {
  std::map<std::string, std::string> entries;
  for (const auto& entry : fs::recursive_directory_iterator(root)) {
    const std::string name = fs::relative(entry.path(), root).string();
    if (entry.is_symlink())
      entries[name] = "link:" + fs::read_symlink(entry.path()).string();
    else if (entry.is_directory())
      entries[name] = "dir";
    else {
      const auto perms = static_cast<unsigned>(entry.status().permissions()) & 0777u;
      entries[name] = "file:" + std::to_string(perms) + ":" + util::read_file(entry.path()).value();
    }
  }
  return entries;
}

std::string long_file_name() { return std::string(60, 'a') + "/" + std::string(70, 'b') + "/" + std::string(150, 'c'); }

// A model folder with what trips tar writers: nesting, an empty file and folder, a file spanning
// many blocks, names and a link target over 100 bytes, symlinks, an executable.
void make_model_folder(const fs::path& root) {
  write(root / "config.json", R"({"hidden": 768, "layers": 12})");
  write(root / "empty.txt", "");
  std::string weights(10'000'000, '\0');
  uint32_t state = 12345;
  for (size_t i = 0; i < weights.size(); ++i) {
    state = state * 1103515245u + 12345u;
    // Half noise, half runs: some of every block compresses, some does not.
    weights[i] = (i / 4096) % 2 ? static_cast<char>(state >> 24) : static_cast<char>(i / 65536);
  }
  write(root / "nested/deeper/deepest/weights.bin", weights);
  write(root / long_file_name(), "long name contents\n");
  fs::create_directories(root / "empty_dir");
  write(root / "code/inference.py", "print('hi')\n");
  fs::permissions(root / "code/inference.py", fs::perms(0755));
  fs::create_symlink("nested/deeper/deepest/weights.bin", root / "latest");
  fs::create_symlink(long_file_name(), root / "long_link");
}

PackOptions small_blocks() {
  PackOptions options;
  options.threads = 3;
  options.block_size = 64 << 10;
  return options;
}

TEST(RunnerPack, GnuTarPythonAndOurReaderGetTheSameTree) {
  test::TempDir dir;
  const fs::path folder = dir.path() / "model";
  make_model_folder(folder);
  const fs::path archive = dir.path() / "model.tar.gz";

  const auto stats = pack_tar_gz(folder, archive, small_blocks());
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->files, 5u);
  EXPECT_EQ(stats->input_bytes, 10'000'000u + 29 + 19 + 12);
  EXPECT_EQ(stats->output_bytes, fs::file_size(archive));
  const auto expected = snapshot(folder);

  int status = -1;
  run("gzip -t " + quote(archive), &status);
  EXPECT_EQ(status, 0) << "gzip -t";

  const fs::path by_tar = dir.path() / "by_tar";
  fs::create_directories(by_tar);
  run("tar -xzf " + quote(archive) + " -C " + quote(by_tar), &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(snapshot(by_tar), expected);

  const fs::path by_python = dir.path() / "by_python";
  run("python3 -c \"import tarfile,sys; tarfile.open(sys.argv[1],'r:gz').extractall(sys.argv[2])\" " + quote(archive) +
          " " + quote(by_python),
      &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(snapshot(by_python), expected);

  const fs::path by_sagerun = dir.path() / "by_sagerun";
  const auto extracted = util::extract_tar(archive, by_sagerun);
  ASSERT_TRUE(extracted) << extracted.error().message;
  EXPECT_EQ(snapshot(by_sagerun), expected);
}

std::string as_string(const std::vector<uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

// Float weights, random bytes and text are coded three ways, across block boundaries; what comes
// out is still one gzip stream of one tar stream to every reader.
TEST(RunnerPack, WeightsNoiseAndTextReadBackThroughEveryReader) {
  test::TempDir dir;
  const fs::path folder = dir.path() / "model";
  write(folder / "model.npy", as_string(test::float_weights(3'000'001)));
  write(folder / "noise.bin", as_string(test::random_bytes(1'000'000)));
  write(folder / "train.log", as_string(test::log_text(2'500'000)));
  const fs::path archive = dir.path() / "model.tar.gz";
  PackOptions options;
  options.threads = 2;
  options.block_size = 1 << 20;
  const auto stats = pack_tar_gz(folder, archive, options);
  ASSERT_TRUE(stats) << stats.error().message;
  // Floats at ~92 %, noise stored, the log well under a third.
  EXPECT_LT(stats->output_bytes, 3'000'001 * 93 / 100 + 1'001'000 + 2'500'000 / 3);
  const auto expected = snapshot(folder);

  int status = -1;
  run("gzip -t " + quote(archive), &status);
  EXPECT_EQ(status, 0) << "gzip -t";
  const fs::path by_tar = dir.path() / "by_tar";
  fs::create_directories(by_tar);
  run("tar -xzf " + quote(archive) + " -C " + quote(by_tar), &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(snapshot(by_tar), expected);
  const fs::path by_python = dir.path() / "by_python";
  run("python3 -c \"import tarfile,sys; tarfile.open(sys.argv[1],'r:gz').extractall(sys.argv[2])\" " + quote(archive) +
          " " + quote(by_python),
      &status);
  EXPECT_EQ(status, 0);
  EXPECT_EQ(snapshot(by_python), expected);
}

TEST(RunnerPack, NamesArePlainRelativeAndSorted) {
  test::TempDir dir;
  write(dir.path() / "m/b.txt", "b");
  write(dir.path() / "m/a/z.txt", "z");
  write(dir.path() / "m/model.pth", "w");
  ASSERT_TRUE(pack_tar_gz(dir.path() / "m", dir.path() / "m.tar.gz"));
  int status = -1;
  EXPECT_EQ(run("tar -tzf " + quote(dir.path() / "m.tar.gz"), &status), "a/\na/z.txt\nb.txt\nmodel.pth\n");
  EXPECT_EQ(status, 0);
  // uid/gid 0 whoever packs, like SageMaker's archives.
  EXPECT_EQ(run("tar -tvzf " + quote(dir.path() / "m.tar.gz") + " model.pth | awk '{print $2}'"), "root/root\n");
}

TEST(RunnerPack, EmptyFolderGivesAValidEmptyArchive) {
  test::TempDir dir;
  fs::create_directories(dir.path() / "empty");
  const fs::path archive = dir.path() / "empty.tar.gz";
  const auto stats = pack_tar_gz(dir.path() / "empty", archive);
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(stats->files, 0u);
  int status = -1;
  EXPECT_EQ(run("tar -tzf " + quote(archive), &status), "");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(
      run("python3 -c \"import tarfile,sys; print(tarfile.open(sys.argv[1],'r:gz').getnames())\" " + quote(archive)),
      "[]\n");
}

TEST(RunnerPack, SocketsAndFifosAreSkipped) {
  test::TempDir dir;
  write(dir.path() / "m/a.txt", "a");
  ASSERT_EQ(::mkfifo((dir.path() / "m/pipe").c_str(), 0600), 0);
  ASSERT_TRUE(pack_tar_gz(dir.path() / "m", dir.path() / "m.tar.gz"));
  EXPECT_EQ(run("tar -tzf " + quote(dir.path() / "m.tar.gz")), "a.txt\n");
}

TEST(RunnerPack, AnArchiveInsideTheFolderDoesNotContainItself) {
  test::TempDir dir;
  write(dir.path() / "a.txt", "a");
  ASSERT_TRUE(pack_tar_gz(dir.path(), dir.path() / "self.tar.gz"));
  EXPECT_EQ(run("tar -tzf " + quote(dir.path() / "self.tar.gz")), "a.txt\n");
}

TEST(RunnerPack, SizesOf8GiBAndMoreUseBase256) {
  test::TempDir dir;
  const uint64_t size = (9ull << 30) + 7;
  write(dir.path() / "header", tar_header_blocks("big.bin", '0', 0644, size, 1700000000));
  EXPECT_EQ(run("python3 -c \"import tarfile,sys; t=tarfile.TarInfo.frombuf(open(sys.argv[1],'rb').read(512),"
                "'utf-8','surrogateescape'); print(t.name, t.size, t.mtime, oct(t.mode))\" " +
                quote(dir.path() / "header")),
            "big.bin " + std::to_string(size) + " 1700000000 0o644\n");
}

TEST(RunnerPack, LongNamesGetAGnuLongLinkEntry) {
  const std::string name(100, 'n');
  const std::string blocks = tar_header_blocks(name, '0', 0644, 1, 0);
  ASSERT_EQ(blocks.size(), 3 * 512u); // ././@LongLink header, the name (with NUL), the entry
  EXPECT_EQ(blocks.substr(0, 13), "././@LongLink");
  EXPECT_EQ(blocks[156], 'L');
  EXPECT_EQ(blocks.substr(512, 101), name + '\0');
  EXPECT_EQ(tar_header_blocks(std::string(99, 'n'), '0', 0644, 1, 0).size(), 512u);
}

bool has_part_files(const fs::path& folder) {
  for (const auto& entry : fs::directory_iterator(folder))
    if (entry.path().filename().string().find(".sagerun-part-") != std::string::npos) return true;
  return false;
}

TEST(RunnerPack, MissingDestinationFolderIsAnIoErrorNamingIt) {
  test::TempDir dir;
  write(dir.path() / "m/a.txt", "a");
  const auto stats = pack_tar_gz(dir.path() / "m", dir.path() / "no/such/m.tar.gz");
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind, util::ErrorKind::io);
  EXPECT_NE(stats.error().message.find("no/such/m.tar.gz"), std::string::npos) << stats.error().message;
  EXPECT_NE(stats.error().message.find("No such file"), std::string::npos) << stats.error().message;
}

TEST(RunnerPack, FailingAfterWritingLeavesNothingBehind) {
  test::TempDir dir;
  make_model_folder(dir.path() / "m");
  // The archive's name is taken by a folder: everything is written, then the rename fails.
  fs::create_directories(dir.path() / "out/m.tar.gz/inside");
  const auto stats = pack_tar_gz(dir.path() / "m", dir.path() / "out/m.tar.gz", small_blocks());
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind, util::ErrorKind::io);
  EXPECT_NE(stats.error().message.find("m.tar.gz"), std::string::npos) << stats.error().message;
  EXPECT_FALSE(has_part_files(dir.path() / "out"));
  EXPECT_TRUE(fs::is_directory(dir.path() / "out/m.tar.gz/inside"));
}

TEST(RunnerPack, UnwritableDestinationFolderLeavesNothingBehind) {
  if (::geteuid() == 0) GTEST_SKIP() << "root writes into any folder";
  test::TempDir dir;
  write(dir.path() / "m/a.txt", "a");
  fs::create_directories(dir.path() / "out");
  fs::permissions(dir.path() / "out", fs::perms(0500));
  const auto stats = pack_tar_gz(dir.path() / "m", dir.path() / "out/m.tar.gz");
  fs::permissions(dir.path() / "out", fs::perms(0700));
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind, util::ErrorKind::io);
  EXPECT_TRUE(fs::is_empty(dir.path() / "out"));
}

TEST(RunnerPack, UnreadableFileFailsAndLeavesNothingBehind) {
  if (::geteuid() == 0) GTEST_SKIP() << "root reads any file";
  test::TempDir dir;
  write(dir.path() / "m/a.txt", "a");
  write(dir.path() / "m/secret.txt", "s");
  fs::permissions(dir.path() / "m/secret.txt", fs::perms::none);
  fs::create_directories(dir.path() / "out");
  const auto stats = pack_tar_gz(dir.path() / "m", dir.path() / "out/m.tar.gz");
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("secret.txt"), std::string::npos) << stats.error().message;
  EXPECT_TRUE(fs::is_empty(dir.path() / "out"));
}

TEST(RunnerPack, MissingFolderIsNotFound) {
  test::TempDir dir;
  const auto stats = pack_tar_gz(dir.path() / "nope", dir.path() / "m.tar.gz");
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind, util::ErrorKind::not_found);
  EXPECT_FALSE(fs::exists(dir.path() / "m.tar.gz"));
}

TEST(RunnerPack, RejectsALevelOutsideLibdeflatesRange) {
  test::TempDir dir;
  PackOptions options;
  options.level = 13;
  const auto stats = pack_tar_gz(dir.path(), dir.path() / "m.tar.gz", options);
  ASSERT_FALSE(stats);
  EXPECT_EQ(stats.error().kind, util::ErrorKind::invalid_input);
}

} // namespace
} // namespace sagerun::runner
