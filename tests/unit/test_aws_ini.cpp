#include "aws/ini.hpp"

#include <fstream>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::aws {
namespace {

void write(const std::filesystem::path& path, const std::string& content) {
  std::filesystem::create_directories(path.parent_path());
  std::ofstream(path) << content;
}

TEST(Ini, SectionsKeysAndComments) {
  const auto file = parse_ini("# leading comment\n"
                              "[default]\n"
                              "aws_access_key_id = AKIDEXAMPLE\n"
                              "; another comment\n"
                              "  # an indented comment\n"
                              "\n"
                              "Region=eu-west-1\n"
                              "output: json\n"
                              "[profile dev]\n"
                              "region = us-east-2\n",
                              "config");
  ASSERT_TRUE(file) << file.error().message;
  ASSERT_NE(file->section("default"), nullptr);
  EXPECT_EQ(file->section("default")->get("aws_access_key_id"), "AKIDEXAMPLE");
  EXPECT_EQ(file->section("default")->get("region"), "eu-west-1"); // keys are case-insensitive
  EXPECT_EQ(file->section("default")->get("REGION"), "eu-west-1");
  EXPECT_EQ(file->section("default")->get("output"), "json");
  EXPECT_EQ(file->section("profile dev")->get("region"), "us-east-2");
  EXPECT_EQ(file->section("dev"), nullptr);
  EXPECT_EQ(file->section("default")->get("missing"), std::nullopt);
}

TEST(Ini, ValuesKeepEverythingAfterTheDelimiterAsTheCliDoes) {
  const auto file = parse_ini("[a]\nurl = http://localhost:9000/x=y\nnote = keep # this\nempty =\n", "f");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->section("a")->get("url"), "http://localhost:9000/x=y");
  EXPECT_EQ(file->section("a")->get("note"), "keep # this");
  EXPECT_EQ(file->section("a")->get("empty"), "");
}

TEST(Ini, NestedSettingsDoNotBreakParsing) {
  const auto file = parse_ini("[default]\n"
                              "region = us-west-2\n"
                              "s3 =\n"
                              "    max_concurrent_requests = 20\n"
                              "\n"
                              "    addressing_style = path\n"
                              "aws_access_key_id = AKID\n"
                              "[profile other]\n"
                              "region = eu-central-1\n",
                              "config");
  ASSERT_TRUE(file) << file.error().message;
  const auto* section = file->section("default");
  EXPECT_EQ(section->get("region"), "us-west-2");
  EXPECT_EQ(section->get("aws_access_key_id"), "AKID");
  EXPECT_EQ(section->get("s3"), "");
  EXPECT_EQ(section->nested.at("s3").at("max_concurrent_requests"), "20");
  EXPECT_EQ(section->nested.at("s3").at("addressing_style"), "path");
  EXPECT_EQ(file->section("profile other")->get("region"), "eu-central-1");
}

TEST(Ini, IndentedLineUnderAValueContinuesIt) {
  const auto file = parse_ini("[a]\nkey = first\n  second\nnext = 1\n", "f");
  ASSERT_TRUE(file);
  EXPECT_EQ(file->section("a")->get("key"), "first\nsecond");
  EXPECT_EQ(file->section("a")->get("next"), "1");
}

TEST(Ini, WindowsLineEndingsAndHeaderComments) {
  const auto file = parse_ini("[default] ; the usual\r\nregion = us-east-1\r\n", "f");
  ASSERT_TRUE(file) << file.error().message;
  EXPECT_EQ(file->section("default")->get("region"), "us-east-1");
}

void expect_error(const std::string& text, const std::string& where, const std::string& what) {
  const auto file = parse_ini(text, "/home/u/.aws/config");
  ASSERT_FALSE(file) << text;
  EXPECT_EQ(file.error().kind, util::ErrorKind::invalid_input);
  EXPECT_NE(file.error().message.find("/home/u/.aws/config:" + where + ": "), std::string::npos)
      << file.error().message;
  EXPECT_NE(file.error().message.find(what), std::string::npos) << file.error().message;
}

TEST(Ini, ErrorsNameTheFileAndLine) {
  expect_error("region = us-east-1\n", "1", "before any [section]");
  expect_error("[default]\nregion us-east-1\n", "2", "key = value");
  expect_error("[default]\n\n[default\n", "3", "']'");
  expect_error("[default]\n[other]\n[default]\n", "3", "first on line 1");
  expect_error("[default]\nregion = a\nREGION = b\n", "3", "appears twice");
  expect_error("[default]\ns3 =\n  no_equals_here\n", "3", "nested under 's3'");
  expect_error("[]\n", "1", "empty section name");
  expect_error("[a] junk\n", "1", "after the section header");
  expect_error("[a]\n= value\n", "2", "without a name");
}

TEST(Ini, LoadReportsMissingFilesAsNotFound) {
  test::TempDir dir;
  const auto missing = load_ini((dir.path() / "absent").string());
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, util::ErrorKind::not_found);
  EXPECT_NE(missing.error().message.find("absent"), std::string::npos);
  EXPECT_FALSE(load_ini(dir.path().string())); // a directory
  write(dir.path() / "config", "[default]\nregion = us-east-1\n");
  const auto file = load_ini((dir.path() / "config").string());
  ASSERT_TRUE(file);
  EXPECT_EQ(file->path, (dir.path() / "config").string());
}

class SharedProfileTest : public ::testing::Test {
protected:
  test::TempDir home;
  util::EnvMap env{{"HOME", home.path().string()}};
  void credentials(const std::string& text) { write(home.path() / ".aws/credentials", text); }
  void config(const std::string& text) { write(home.path() / ".aws/config", text); }
};

TEST_F(SharedProfileTest, DefaultProfileFromBothFilesUnderHome) {
  credentials("[default]\naws_access_key_id = A\nregion = from-credentials\n[dev]\naws_access_key_id = D\n");
  config("[default]\nregion = us-east-1\noutput = json\n");
  const auto profile = load_shared_profile(env, std::nullopt);
  ASSERT_TRUE(profile) << profile.error().message;
  EXPECT_EQ(profile->name, "default");
  EXPECT_EQ(profile->credentials_path, (home.path() / ".aws/credentials").string());
  EXPECT_EQ(profile->config_path, (home.path() / ".aws/config").string());
  EXPECT_EQ(profile->get("aws_access_key_id"), "A");
  EXPECT_EQ(profile->get("region"), "from-credentials"); // the credentials file wins, as in the CLI
  EXPECT_EQ(profile->get("output"), "json");
}

TEST_F(SharedProfileTest, ConfigSectionsNeedTheProfilePrefix) {
  config("[dev]\nregion = wrong\n[profile   prod]\nregion = eu-west-1\n[profile \"quoted\"]\nregion = ap-south-1\n"
         "[profilex]\nregion = wrong\n[sso-session s]\nsso_region = us-east-1\n");
  env["AWS_PROFILE"] = "prod";
  EXPECT_EQ(load_shared_profile(env, std::nullopt)->get("region"), "eu-west-1");
  EXPECT_EQ(load_shared_profile(env, "quoted")->get("region"), "ap-south-1");
  const auto dev = load_shared_profile(env, "dev");
  ASSERT_FALSE(dev);
  EXPECT_NE(dev.error().message.find("The config profile (dev) could not be found"), std::string::npos);
  EXPECT_FALSE(load_shared_profile(env, "profilex"));
}

TEST_F(SharedProfileTest, ProfileDefaultSectionWinsOverDefault) {
  config("[profile default]\nregion = a\n[default]\nregion = b\n");
  EXPECT_EQ(load_shared_profile(env, std::nullopt)->get("region"), "a");
}

TEST_F(SharedProfileTest, FileVariablesOverrideHome) {
  test::TempDir other;
  write(other.path() / "creds", "[x]\naws_access_key_id = X\n");
  write(home.path() / "cfg", "[profile y]\nregion = us-west-1\n");
  env["AWS_SHARED_CREDENTIALS_FILE"] = (other.path() / "creds").string();
  env["AWS_CONFIG_FILE"] = "~/cfg";
  const auto x = load_shared_profile(env, "x");
  ASSERT_TRUE(x) << x.error().message;
  EXPECT_EQ(x->get("aws_access_key_id"), "X");
  EXPECT_EQ(x->credentials_path, (other.path() / "creds").string());
  const auto y = load_shared_profile(env, "y");
  ASSERT_TRUE(y) << y.error().message;
  EXPECT_EQ(y->config_path, (home.path() / "cfg").string());
  EXPECT_EQ(y->get("region"), "us-west-1");
}

TEST_F(SharedProfileTest, MissingFilesAreNoErrorUnlessAProfileWasNamed) {
  const auto profile = load_shared_profile(env, std::nullopt);
  ASSERT_TRUE(profile);
  EXPECT_FALSE(profile->exists());
  env["AWS_PROFILE"] = "default"; // named, even if it is "default": it must exist
  const auto named = load_shared_profile(env, std::nullopt);
  ASSERT_FALSE(named);
  EXPECT_EQ(named.error().kind, util::ErrorKind::not_found);
  EXPECT_NE(named.error().message.find("The config profile (default) could not be found"), std::string::npos);
  EXPECT_TRUE(load_shared_profile(util::EnvMap{}, std::nullopt)); // no HOME at all
}

TEST_F(SharedProfileTest, MalformedFileIsAnError) {
  credentials("[default]\nnot a setting\n");
  const auto profile = load_shared_profile(env, std::nullopt);
  ASSERT_FALSE(profile);
  EXPECT_NE(profile.error().message.find(".aws/credentials:2:"), std::string::npos) << profile.error().message;
}

} // namespace
} // namespace sagerun::aws
