#include "entrypoint/locate.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::entrypoint {
namespace {

struct Tree {
  test::TempDir dir;
  contract::Paths paths{dir.path()};
  contract::TrainingConfig config;

  explicit Tree(const char* channels = R"({"training":{}})") {
    config.input_data_config = contract::OrderedJson::parse(channels);
    config.resource = *contract::parse_resource_config(R"({"current_host":"algo-1","hosts":["algo-1"]})", "rc");
  }
  void write(const std::string& relative, const std::string& content = "x") {
    const auto path = dir.path() / relative;
    EXPECT_TRUE(util::make_directories(path.parent_path()));
    EXPECT_TRUE(util::write_file_atomic(path, content));
  }
  Expected<Entry> locate(const char* hps = "{}", util::EnvMap env = {}) {
    return locate_script(paths, config, contract::split_hyperparameters(contract::OrderedJson::parse(hps)), env);
  }
};

TEST(Locate, SeedLayoutTrainingScriptFolder) {
  Tree tree;
  tree.write("input/data/training/script/train.py");
  auto entry = tree.locate();
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->directory, tree.dir.path() / "input/data/training/script");
  EXPECT_EQ(entry->name, "train.py");
  EXPECT_EQ(entry->kind, ScriptKind::python);
  EXPECT_NE(entry->rule.find("seed"), std::string::npos);
}

TEST(Locate, SeedLayoutChannelNamedScript) {
  Tree tree(R"({"training":{},"script":{}})");
  tree.write("input/data/script/train.sh");
  auto entry = tree.locate();
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->directory, tree.dir.path() / "input/data/script");
  EXPECT_EQ(entry->kind, ScriptKind::shell);
}

TEST(Locate, HandMadeChannelFolderWithoutConfigEntry) {
  Tree tree(R"({})");
  tree.write("input/data/script/train.py");
  auto entry = tree.locate();
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->directory, tree.dir.path() / "input/data/script");
}

TEST(Locate, TrainingComesFirstThenChannelsByName) {
  Tree tree(R"({"alpha":{},"training":{},"beta":{}})");
  tree.write("input/data/alpha/script/train.py");
  tree.write("input/data/beta/scripts/train.py");
  tree.write("input/data/training/scripts/train.sh");
  EXPECT_EQ(tree.locate()->directory, tree.dir.path() / "input/data/training/scripts");
  std::filesystem::remove_all(tree.dir.path() / "input/data/training/scripts");
  EXPECT_EQ(tree.locate()->directory, tree.dir.path() / "input/data/alpha/script");
}

TEST(Locate, CodeFolderBeatsTheSeedConvention) {
  Tree tree;
  tree.write("input/data/training/script/train.py");
  tree.write("code/train.py");
  auto entry = tree.locate();
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->directory, tree.dir.path() / "code");
  EXPECT_EQ(entry->rule, "code folder");
}

TEST(Locate, ScriptModeProgramFromEnvWinsOverHyperparameter) {
  Tree tree;
  tree.write("code/a.py");
  tree.write("code/b.py");
  auto entry = tree.locate(R"({"sagemaker_program":"\"a.py\""})", {{"SAGEMAKER_PROGRAM", "b.py"}});
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->name, "b.py");
  EXPECT_NE(entry->rule.find("script mode"), std::string::npos);
}

TEST(Locate, ScriptModeSubmitDirectoryFolderIsCopiedIntoCode) {
  Tree tree;
  tree.write("src/entry.py", "print(1)");
  const auto submit = (tree.dir.path() / "src").string();
  auto entry =
      tree.locate((R"({"sagemaker_program":"\"entry.py\"","sagemaker_submit_directory":")" + submit + "\"}").c_str());
  // The hyperparameter value is JSON-encoded by the SDK; a bare path is kept as it is.
  ASSERT_TRUE(entry) << entry.error().message;
  EXPECT_EQ(entry->directory, tree.dir.path() / "code");
  EXPECT_TRUE(util::is_file(tree.dir.path() / "code/entry.py"));
  EXPECT_EQ(entry->module_dir, submit);
}

TEST(Locate, UnreachableS3SubmitDirectoryIsAClearError) {
  Tree tree;
  const util::EnvMap env = {{"AWS_ENDPOINT_URL", "http://127.0.0.1:9"},
                            {"AWS_REGION", "us-east-1"},
                            {"AWS_ACCESS_KEY_ID", "k"},
                            {"AWS_SECRET_ACCESS_KEY", "s"},
                            {"AWS_MAX_ATTEMPTS", "1"}};
  auto entry = tree.locate(
      R"({"sagemaker_program":"\"t.py\"","sagemaker_submit_directory":"\"s3://bkt/k/sourcedir.tar.gz\""})", env);
  ASSERT_FALSE(entry);
  EXPECT_NE(entry.error().message.find("s3://bkt/k/sourcedir.tar.gz"), std::string::npos) << entry.error().message;
}

TEST(Locate, PackageFolderRunsAsModule) {
  Tree tree;
  tree.write("input/data/training/script/setup.py");
  tree.write("input/data/training/script/train.py");
  auto entry = tree.locate();
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->kind, ScriptKind::python_package);
  EXPECT_EQ(entry->module, "train");
}

TEST(Locate, NothingFoundListsEveryPlace) {
  Tree tree(R"({"training":{},"script":{}})");
  auto entry = tree.locate(R"({"sagemaker_program":"\"go.py\""})");
  ASSERT_FALSE(entry);
  const auto& message = entry.error().message;
  for (const char* place : {"code/go.py", "input/data/training/script/go.py", "input/data/training/scripts/",
                            "input/data/script/script/", "input/data/script/{train.py", "code/{train.py"}) {
    EXPECT_NE(message.find(place), std::string::npos) << place << " missing from:\n" << message;
  }
}

} // namespace
} // namespace sagerun::entrypoint
