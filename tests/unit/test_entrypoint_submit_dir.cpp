#include "entrypoint/submit_dir.hpp"

#include <gtest/gtest.h>
#include <zlib.h>

#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::entrypoint {
namespace {

TEST(SubmitDirectory, FolderIsCopied) {
  test::TempDir dir;
  ASSERT_TRUE(util::make_directories(dir.path() / "src/pkg"));
  ASSERT_TRUE(util::write_file_atomic(dir.path() / "src/pkg/train.py", "x"));
  ASSERT_TRUE(fetch_submit_directory("file://" + (dir.path() / "src").string(), dir.path() / "code", {}));
  EXPECT_EQ(*util::read_file(dir.path() / "code/pkg/train.py"), "x");
}

TEST(SubmitDirectory, OneScriptIsCopiedAlone) {
  test::TempDir dir;
  ASSERT_TRUE(util::make_directories(dir.path() / "src"));
  ASSERT_TRUE(util::write_file_atomic(dir.path() / "src" / "fit.py", "print(1)\n"));
  ASSERT_TRUE(util::write_file_atomic(dir.path() / "src" / "other.py", "print(2)\n"));
  ASSERT_TRUE(copy_submit_directory(dir.path() / "src" / "fit.py", dir.path() / "code"));
  EXPECT_EQ(util::list_directory(dir.path() / "code"), std::vector<std::string>{"fit.py"});
}

TEST(SubmitDirectory, AFolderHoldingWhereItGoesIsRefused) {
  // `--script ~/train.py`'s folder, say, when the store of jobs is ~/.sagerun: no endless copy.
  test::TempDir dir;
  const auto code = dir.path() / "store" / "jobs" / "j" / "hosts" / "algo-1" / "code";
  ASSERT_TRUE(util::make_directories(code));
  auto refused = copy_submit_directory(dir.path(), code);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("give a folder that holds the code alone"), std::string::npos);
}

TEST(SubmitDirectory, MissingAndUnreachableAreClearErrors) {
  test::TempDir dir;
  auto missing = fetch_submit_directory((dir.path() / "nope.tar.gz").string(), dir.path() / "code", {});
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, util::ErrorKind::not_found);
  const util::EnvMap env = {{"AWS_ENDPOINT_URL", "http://127.0.0.1:9"},
                            {"AWS_REGION", "us-east-1"},
                            {"AWS_ACCESS_KEY_ID", "k"},
                            {"AWS_SECRET_ACCESS_KEY", "s"},
                            {"AWS_MAX_ATTEMPTS", "1"}};
  auto s3 = fetch_submit_directory("s3://bucket/prefix/sourcedir.tar.gz", dir.path() / "code", env);
  ASSERT_FALSE(s3);
  EXPECT_NE(s3.error().message.find("s3://bucket/prefix/sourcedir.tar.gz"), std::string::npos) << s3.error().message;
  EXPECT_FALSE(std::filesystem::exists(dir.path() / ".sagerun-sourcedir.tar.gz"));
}

TEST(SubmitDirectory, CorruptTarballIsRefused) {
  test::TempDir dir;
  gzFile out = gzopen((dir.path() / "src.tar.gz").c_str(), "wb");
  gzwrite(out, "not a tar at all", 16);
  gzclose(out);
  auto result = fetch_submit_directory((dir.path() / "src.tar.gz").string(), dir.path() / "code", {});
  ASSERT_FALSE(result);
  EXPECT_NE(result.error().message.find("sagemaker_submit_directory"), std::string::npos);
}

} // namespace
} // namespace sagerun::entrypoint
