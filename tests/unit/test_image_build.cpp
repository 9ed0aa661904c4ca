// What `sagerun image build` hands to docker, decided without a daemon: the Dockerfile, the
// context (the source tree, or a prebuilt context), build args (the user's win), flag forms.
#include <fstream>

#include <gtest/gtest.h>

#include "image/build.hpp"
#include "test_support.hpp"

namespace sagerun::image {
namespace {

void touch(const fs::path& path, fs::perms perms = fs::perms::owner_read | fs::perms::owner_write) {
  fs::create_directories(path.parent_path());
  std::ofstream(path) << "x";
  fs::permissions(path, perms);
}

// A fake source tree: CMakeLists.txt and docker/Dockerfile.{cpu,gpu}.
fs::path make_tree(const fs::path& root) {
  touch(root / "CMakeLists.txt");
  touch(root / "docker" / "Dockerfile.cpu");
  touch(root / "docker" / "Dockerfile.gpu");
  return root;
}

std::string arg_of(const BuildPlan& plan, const std::string& key) {
  std::string found = "(unset)";
  for (const auto& [name, value] : plan.args) {
    if (name == key) found = value;
  }
  return found;
}

TEST(ImageBuild, FindsTheSourceTreeAboveTheExecutableThenTheCurrentFolder) {
  test::TempDir dir;
  const auto tree = make_tree(dir.path() / "checkout");
  fs::create_directories(tree / "build" / "src");
  fs::create_directories(dir.path() / "elsewhere");
  EXPECT_EQ(*find_source_tree(std::nullopt, tree / "build" / "src" / "sagerun", dir.path() / "elsewhere"), tree);
  EXPECT_EQ(*find_source_tree(std::nullopt, "/usr/bin/sagerun", tree / "src"), tree);
  EXPECT_EQ(*find_source_tree(tree, "/usr/bin/sagerun", "/"), tree);
  auto missing = find_source_tree(std::nullopt, "/usr/bin/sagerun", dir.path() / "elsewhere");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("pass --source DIR"), std::string::npos);
  auto wrong = find_source_tree(dir.path() / "elsewhere", "", "/");
  ASSERT_FALSE(wrong);
  EXPECT_TRUE(wrong.error().message.starts_with("--source " + (dir.path() / "elsewhere").string()));
}

TEST(ImageBuild, BuildArgs) {
  EXPECT_EQ(*parse_build_arg("PIP_PACKAGES=numpy torch"),
            (std::pair<std::string, std::string>{"PIP_PACKAGES", "numpy torch"}));
  EXPECT_EQ(*parse_build_arg("EMPTY="), (std::pair<std::string, std::string>{"EMPTY", ""}));
  EXPECT_EQ(parse_build_arg("A=b=c")->second, "b=c");
  for (const char* bad : {"NOVALUE", "=x", "1A=x", "A-B=x", "--network=host"}) {
    auto parsed = parse_build_arg(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_TRUE(parsed.error().message.starts_with("--build-arg ")) << parsed.error().message;
  }
}

TEST(ImageBuild, SourcePlanCompilesFromTheTree) {
  test::TempDir dir;
  const auto tree = make_tree(dir.path() / "tree");
  BuildOptions options;
  options.base = "debian:bookworm-slim";
  options.build_args = {"ML_INSTALL=apt"};
  auto plan = plan_build(options, tree, dir.path() / "unused", "");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->context, tree);
  EXPECT_EQ(plan->dockerfile, tree / "docker" / "Dockerfile.cpu");
  EXPECT_EQ(plan->tag, "sagerun-cpu:latest");
  EXPECT_FALSE(plan->prebuilt_train);
  EXPECT_EQ(arg_of(*plan, "BASE_IMAGE"), "debian:bookworm-slim");
  EXPECT_EQ(arg_of(*plan, "TRAIN_FROM"), "(unset)");
  EXPECT_EQ(arg_of(*plan, "BUILDER_IMAGE"), "(unset)");
  EXPECT_EQ(arg_of(*plan, "SAGERUN_VERSION"), SAGERUN_VERSION);
  EXPECT_EQ(plan->args.back(), (std::pair<std::string, std::string>{"ML_INSTALL", "apt"}));
  EXPECT_EQ(build_arguments(*plan),
            (std::vector<std::string>{"build", "--file=" + (tree / "docker" / "Dockerfile.cpu").string(),
                                      "--tag=sagerun-cpu:latest", "--build-arg=SAGERUN_VERSION=" SAGERUN_VERSION,
                                      "--build-arg=BASE_IMAGE=debian:bookworm-slim", "--build-arg=ML_INSTALL=apt",
                                      tree.string()}));
}

TEST(ImageBuild, GpuFlavourAndNetwork) {
  test::TempDir dir;
  const auto tree = make_tree(dir.path() / "tree");
  BuildOptions options;
  options.flavor = Flavor::gpu;
  options.network = "host";
  options.tag = "mine:1";
  auto plan = plan_build(options, tree, dir.path(), "");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->dockerfile, tree / "docker" / "Dockerfile.gpu");
  EXPECT_EQ(plan->tag, "mine:1");
  EXPECT_EQ(default_tag(Flavor::gpu), "sagerun-gpu:latest");
  const auto args = build_arguments(*plan);
  EXPECT_EQ(args[3], "--network=host");
}

TEST(ImageBuild, PrebuiltPlanUsesItsOwnContext) {
  test::TempDir dir;
  const auto tree = make_tree(dir.path() / "tree");
  const auto train = dir.path() / "train";
  touch(train, fs::perms::owner_all);
  BuildOptions options;
  options.train = train;
  options.build_args = {"BASE_IMAGE=sagerun-test-base:bookworm"};
  const auto context = dir.path() / "context";
  auto plan = plan_build(options, tree, context, "abc123");
  ASSERT_TRUE(plan) << plan.error().message;
  EXPECT_EQ(plan->context, context);
  EXPECT_EQ(plan->dockerfile, context / "docker" / "Dockerfile.cpu");
  EXPECT_EQ(*plan->prebuilt_train, train);
  EXPECT_EQ(arg_of(*plan, "TRAIN_FROM"), "prebuilt");
  EXPECT_EQ(arg_of(*plan, "TRAIN_SHA256"), "abc123");
  // The builder stage runs on the base (it compiles nothing), unless the user says otherwise.
  EXPECT_EQ(arg_of(*plan, "BUILDER_IMAGE"), "sagerun-test-base:bookworm");
  options.build_args.push_back("BUILDER_IMAGE=debian:bookworm");
  plan = plan_build(options, tree, context, "abc123");
  ASSERT_TRUE(plan);
  EXPECT_EQ(arg_of(*plan, "BUILDER_IMAGE"), "debian:bookworm");
  int builder_args = 0;
  for (const auto& [key, value] : plan->args)
    builder_args += key == "BUILDER_IMAGE" ? 1 : 0;
  EXPECT_EQ(builder_args, 1);
}

TEST(ImageBuild, TheUsersArgsWin) {
  test::TempDir dir;
  const auto tree = make_tree(dir.path() / "tree");
  BuildOptions options;
  options.base = "a";
  options.build_args = {"BASE_IMAGE=b", "SAGERUN_VERSION=9"};
  auto plan = plan_build(options, tree, dir.path(), "");
  ASSERT_TRUE(plan);
  EXPECT_EQ(plan->args,
            (std::vector<std::pair<std::string, std::string>>{{"BASE_IMAGE", "b"}, {"SAGERUN_VERSION", "9"}}));
}

TEST(ImageBuild, ErrorsNameTheFlag) {
  test::TempDir dir;
  const auto tree = make_tree(dir.path() / "tree");
  BuildOptions options;
  options.dockerfile = dir.path() / "nope";
  auto plan = plan_build(options, tree, dir.path(), "");
  ASSERT_FALSE(plan);
  EXPECT_TRUE(plan.error().message.starts_with("--dockerfile ")) << plan.error().message;
  options.dockerfile.reset();
  options.train = dir.path() / "no-train";
  plan = plan_build(options, tree, dir.path(), "");
  ASSERT_FALSE(plan);
  EXPECT_TRUE(plan.error().message.starts_with("--train ")) << plan.error().message;
  options.train.reset();
  options.build_args = {"bad"};
  EXPECT_FALSE(plan_build(options, tree, dir.path(), ""));
}

} // namespace
} // namespace sagerun::image
