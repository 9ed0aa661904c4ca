#include "util/tar_extract.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>

#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::util {
namespace {

namespace fs = std::filesystem;

// Builds tar archives member by member, including ones no honest tool would write.
class TarBuilder {
public:
  TarBuilder& member(const std::string& name, char type, const std::string& data = "", const std::string& link = "",
                     unsigned mode = 0644) {
    std::string header(512, '\0');
    std::memcpy(header.data(), name.data(), std::min<size_t>(name.size(), 100));
    std::snprintf(header.data() + 100, 8, "%07o", mode);
    std::snprintf(header.data() + 108, 8, "%07o", 0u);
    std::snprintf(header.data() + 116, 8, "%07o", 0u);
    std::snprintf(header.data() + 124, 12, "%011o", static_cast<unsigned>(data.size()));
    std::snprintf(header.data() + 136, 12, "%011o", 0u);
    header[156] = type;
    std::memcpy(header.data() + 157, link.data(), std::min<size_t>(link.size(), 100));
    std::memcpy(header.data() + 257,
                "ustar\0"
                "00",
                8);
    std::memset(header.data() + 148, ' ', 8);
    unsigned sum = 0;
    for (const char c : header)
      sum += static_cast<unsigned char>(c);
    std::snprintf(header.data() + 148, 8, "%06o", sum);
    m_bytes += header + data + std::string((512 - data.size() % 512) % 512, '\0');
    return *this;
  }
  TarBuilder& file(const std::string& name, const std::string& data, unsigned mode = 0644) {
    return member(name, '0', data, "", mode);
  }
  TarBuilder& long_name(const std::string& name, const std::string& data) {
    member("././@LongLink", 'L', name + '\0');
    return file(name.substr(0, 99), data);
  }

  fs::path write(const fs::path& path, bool gzip = true) const {
    const std::string bytes = m_bytes + std::string(1024, '\0');
    gzFile out = gzopen(path.c_str(), gzip ? "wb" : "wbT");
    gzwrite(out, bytes.data(), static_cast<unsigned>(bytes.size()));
    gzclose(out);
    return path;
  }

private:
  std::string m_bytes;
};

TEST(TarExtract, ExtractsFilesFoldersModesAndLongNames) {
  test::TempDir dir;
  const std::string long_path = "pkg/" + std::string(120, 'x') + ".py";
  const auto archive = TarBuilder()
                           .member("./pkg/", '5')
                           .file("./pkg/train.py", "print('hi')\n")
                           .file("run.sh", "#!/bin/sh\n", 0755)
                           .long_name(long_path, "long")
                           .member("pkg/link.py", '2', "", "train.py")
                           .write(dir.path() / "src.tar.gz");
  auto stats = extract_tar(archive, dir.path() / "code");
  ASSERT_TRUE(stats) << stats.error().message;
  EXPECT_EQ(*read_file(dir.path() / "code/pkg/train.py"), "print('hi')\n");
  EXPECT_EQ(*read_file(dir.path() / "code" / long_path), "long");
  EXPECT_TRUE(is_executable(dir.path() / "code/run.sh"));
  EXPECT_EQ(fs::read_symlink(dir.path() / "code/pkg/link.py"), "train.py");
  EXPECT_EQ(stats->files, 3u);
}

TEST(TarExtract, ReadsUncompressedTar) {
  test::TempDir dir;
  const auto archive = TarBuilder().file("a.txt", "plain").write(dir.path() / "src.tar", false);
  ASSERT_TRUE(extract_tar(archive, dir.path() / "code"));
  EXPECT_EQ(*read_file(dir.path() / "code/a.txt"), "plain");
}

struct Escape {
  const char* what;
  TarBuilder archive;
};

TEST(TarExtract, RefusesEveryWayOut) {
  const std::vector<Escape> cases = {
      {"dot-dot", TarBuilder().file("../evil.txt", "x")},
      {"nested dot-dot", TarBuilder().file("a/../../evil.txt", "x")},
      {"absolute", TarBuilder().file("/tmp/evil.txt", "x")},
      {"symlink out", TarBuilder().member("out", '2', "", "../..")},
      {"absolute symlink", TarBuilder().member("etc", '2', "", "/etc")},
      {"write through symlink",
       TarBuilder().member("dir", '2', "", ".").file("dir/x", "x").member("up", '2', "", "dir/..").file("up/y", "y")},
      {"hard link out", TarBuilder().member("h", '1', "", "../../etc/passwd")},
      {"device", TarBuilder().member("dev", '3')},
  };
  for (const auto& c : cases) {
    test::TempDir dir;
    const auto archive = c.archive.write(dir.path() / "bad.tar.gz");
    auto stats = extract_tar(archive, dir.path() / "root" / "code");
    EXPECT_FALSE(stats) << c.what;
    EXPECT_FALSE(fs::exists(dir.path() / "evil.txt")) << c.what;
    EXPECT_FALSE(fs::exists(dir.path() / "root" / "evil.txt")) << c.what;
    if (!stats) {
      EXPECT_NE(stats.error().message.find("bad.tar.gz"), std::string::npos) << c.what;
    }
  }
}

TEST(TarExtract, NotATarIsAClearError) {
  test::TempDir dir;
  ASSERT_TRUE(write_file_atomic(dir.path() / "notes.tar.gz", std::string(2000, 'z')));
  auto stats = extract_tar(dir.path() / "notes.tar.gz", dir.path() / "code");
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("not a tar archive"), std::string::npos) << stats.error().message;
}

TEST(TarExtract, TruncatedArchiveFails) {
  test::TempDir dir;
  TarBuilder().file("big.bin", std::string(100000, 'b')).write(dir.path() / "full.tar", false);
  auto bytes = *read_file(dir.path() / "full.tar");
  ASSERT_TRUE(write_file_atomic(dir.path() / "cut.tar", bytes.substr(0, 5000)));
  auto stats = extract_tar(dir.path() / "cut.tar", dir.path() / "code");
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("truncated"), std::string::npos);
}

TEST(SafeMemberPath, Normalises) {
  EXPECT_EQ(*safe_member_path("./a//b/./c"), "a/b/c");
  EXPECT_EQ(*safe_member_path("./"), "");
  EXPECT_FALSE(safe_member_path("a/../../b"));
  EXPECT_FALSE(safe_member_path("/abs"));
}

TEST(LinkTargetInside, StaysWithinTheRoot) {
  EXPECT_TRUE(link_target_inside("a/b/link", "../c"));
  EXPECT_TRUE(link_target_inside("a/link", "../c"));
  EXPECT_FALSE(link_target_inside("link", "../c"));
  EXPECT_FALSE(link_target_inside("a/link", "../../c"));
  EXPECT_FALSE(link_target_inside("a/link", "/etc/passwd"));
  EXPECT_TRUE(link_target_inside("a/link", "./x/../y"));
}

} // namespace
} // namespace sagerun::util

namespace sagerun::util {
namespace {

// Each link looks harmless on its own (s -> ., up1 -> s/..): together they once climbed out of
// code/ and left code/pw pointing at /etc/passwd.
TEST(TarExtract, AChainOfLinksCannotClimbOut) {
  test::TempDir dir;
  TarBuilder builder;
  builder.file("train.py", "print(1)\n").member("s", '2', "", ".").member("up1", '2', "", "s/..");
  for (int i = 2; i <= 8; ++i)
    builder.member("up" + std::to_string(i), '2', "", "up" + std::to_string(i - 1) + "/..");
  builder.member("pw", '2', "", "up8/etc/passwd");
  const auto archive = builder.write(dir.path() / "chain.tar.gz");
  const auto code = dir.path() / "deep" / "er" / "code";
  auto stats = extract_tar(archive, code);
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("resolves outside the folder"), std::string::npos) << stats.error().message;
  for (const char* link : {"s", "up1", "up8", "pw"}) {
    struct stat st{};
    EXPECT_NE(::lstat((code / link).c_str(), &st), 0) << link << " was left behind";
  }
}

TEST(TarExtract, LinksBetweenMembersThatStayInsideAreKept) {
  test::TempDir dir;
  const auto archive = TarBuilder()
                           .file("lib/util.py", "x = 1\n")
                           .member("here", '2', "", ".")
                           .member("lib2", '2', "", "here/lib")
                           .member("util.py", '2', "", "lib2/util.py")
                           .member("later", '2', "", "not/yet/there")
                           .write(dir.path() / "ok.tar.gz");
  ASSERT_TRUE(extract_tar(archive, dir.path() / "code"));
  EXPECT_EQ(*read_file(dir.path() / "code" / "util.py"), "x = 1\n");
}

TEST(TarExtract, ResolvesInsideFollowsLinksAsTheKernelWould) {
  test::TempDir dir;
  const auto root = dir.path() / "root";
  ASSERT_TRUE(make_directories(root / "a" / "b"));
  fs::create_symlink("a/b", root / "ab");
  fs::create_symlink("..", root / "a" / "up");
  fs::create_symlink("/etc", root / "abs");
  fs::create_symlink("loop2", root / "loop1");
  fs::create_symlink("loop1", root / "loop2");
  EXPECT_TRUE(resolves_inside(root, "ab/.."));    // a
  EXPECT_TRUE(resolves_inside(root, "a/up"));     // the root itself
  EXPECT_FALSE(resolves_inside(root, "a/up/..")); // its parent
  EXPECT_FALSE(resolves_inside(root, "ab/../../.."));
  EXPECT_FALSE(resolves_inside(root, "abs"));
  EXPECT_FALSE(resolves_inside(root, "loop1"));
  EXPECT_TRUE(resolves_inside(root, "missing/x/y"));
  EXPECT_FALSE(resolves_inside(root, "missing/../../x"));
}

// A bomb is refused by the sizes its headers declare, before its bytes are written.
TEST(TarExtract, TheFilesMayNotExceedTheBudget) {
  test::TempDir dir;
  const auto archive = TarBuilder()
                           .file("a.bin", std::string(600, 'a'))
                           .file("b.bin", std::string(600, 'b'))
                           .write(dir.path() / "two.tar.gz");
  ASSERT_TRUE(extract_tar(archive, dir.path() / "roomy", 1200));
  auto stats = extract_tar(archive, dir.path() / "code", 1000);
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("unpacks to more than 1000 bytes (member 'b.bin' of 600 bytes after 600"),
            std::string::npos)
      << stats.error().message;
  EXPECT_NE(stats.error().message.find("VolumeSizeInGB"), std::string::npos);
  EXPECT_FALSE(is_file(dir.path() / "code" / "b.bin"));
  EXPECT_FALSE(is_file(dir.path() / "code" / "a.bin")); // what came before the refusal went too
}

// A failed extraction takes back what it created, down to the folders, and keeps what was there.
TEST(TarExtract, AFailedExtractionLeavesTheFolderAsItFoundIt) {
  test::TempDir dir;
  const auto code = dir.path() / "code";
  ASSERT_TRUE(make_directories(code / "mine"));
  ASSERT_TRUE(write_file_atomic(code / "mine" / "keep.txt", "kept"));
  const auto archive = TarBuilder()
                           .file("pkg/sub/a.py", "a")
                           .member("pkg/empty", '5')
                           .file("mine/new.py", "n")
                           .member("pkg/link", '2', "", "sub/a.py")
                           .member("pkg/hard", '1', "", "pkg/sub/a.py")
                           .member("dev", '3')
                           .write(dir.path() / "bad.tar.gz");
  auto stats = extract_tar(archive, code);
  ASSERT_FALSE(stats);
  EXPECT_NE(stats.error().message.find("devices and FIFOs"), std::string::npos) << stats.error().message;
  std::vector<std::string> left;
  for (const auto& entry : fs::recursive_directory_iterator(code))
    left.push_back(fs::relative(entry.path(), code).string());
  std::ranges::sort(left);
  EXPECT_EQ(left, (std::vector<std::string>{"mine", "mine/keep.txt"}));
  EXPECT_EQ(*read_file(code / "mine" / "keep.txt"), "kept");
}

} // namespace
} // namespace sagerun::util
