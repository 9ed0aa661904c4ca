#include "contract/config.hpp"

#include <gtest/gtest.h>

#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::contract {
namespace {

TEST(ResourceConfig, OldFormGetsOneHomogeneousGroup) {
  auto rc = parse_resource_config(R"({"current_host":"algo-2","hosts":["algo-1","algo-2"]})", "rc.json");
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->current_host, "algo-2");
  EXPECT_EQ(rc->current_instance_type, "local");
  EXPECT_EQ(rc->current_group_name, "homogeneousCluster");
  EXPECT_EQ(rc->network_interface_name, "eth0");
  ASSERT_EQ(rc->instance_groups.size(), 1u);
  EXPECT_EQ(rc->instance_groups[0].hosts, (std::vector<std::string>{"algo-1", "algo-2"}));
}

TEST(ResourceConfig, InstanceGroupsForm) {
  auto rc = parse_resource_config(R"({"current_host":"algo-1","current_instance_type":"ml.m5.xlarge",
    "current_group_name":"train","hosts":["algo-1","algo-2"],"network_interface_name":"ethwe",
    "instance_groups":[{"instance_group_name":"train","instance_type":"ml.m5.xlarge","hosts":["algo-1"]},
                       {"instance_group_name":"data","instance_type":"ml.c5.xlarge","hosts":["algo-2"]}]})",
                                  "rc.json");
  ASSERT_TRUE(rc) << rc.error().message;
  EXPECT_EQ(rc->current_instance_type, "ml.m5.xlarge");
  EXPECT_EQ(rc->network_interface_name, "ethwe");
  ASSERT_EQ(rc->instance_groups.size(), 2u);
  EXPECT_EQ(rc->instance_groups[1].name, "data");
  EXPECT_EQ(rc->instance_groups[1].instance_type, "ml.c5.xlarge");
}

TEST(ResourceConfig, ErrorsNameTheFileAndTheProblem) {
  const std::vector<std::pair<const char*, const char*>> cases = {
      {"{", "malformed JSON"},
      {"[]", "expected a JSON object"},
      {R"({"hosts":["algo-1"]})", "missing \"current_host\""},
      {R"({"current_host":"algo-1"})", "missing \"hosts\""},
      {R"({"current_host":"algo-3","hosts":["algo-1"]})", "not in \"hosts\""},
      {R"({"current_host":"algo-1","hosts":[]})", "non-empty list"},
      {R"({"current_host":"algo-1","hosts":["../x"]})", "invalid host name"},
      {R"({"current_host":"algo-1","hosts":["algo-1"],"instance_groups":[{"hosts":["algo-1"]}]})",
       "instance_group_name"},
  };
  for (const auto& [content, expected] : cases) {
    auto rc = parse_resource_config(content, "input/config/resourceconfig.json");
    ASSERT_FALSE(rc) << content;
    EXPECT_NE(rc.error().message.find("input/config/resourceconfig.json"), std::string::npos) << rc.error().message;
    EXPECT_NE(rc.error().message.find(expected), std::string::npos) << rc.error().message;
  }
}

TEST(InputDataConfig, ChannelNamesMustBeSafe) {
  EXPECT_TRUE(parse_input_data_config(R"({"training":{"TrainingInputMode":"File"},"my-val.1_x":{}})", "f"));
  for (const char* bad : {R"({"../etc":{}})", R"({"a/b":{}})", R"({"..":{}})", R"({"":{}})", R"({"ok":"File"})"}) {
    EXPECT_FALSE(parse_input_data_config(bad, "f")) << bad;
  }
}

TEST(MalformedJson, ReportsLineAndColumn) {
  auto hp = parse_hyperparameters("{\n  \"a\": \"1\",\n  oops\n}", "input/config/hyperparameters.json");
  ASSERT_FALSE(hp);
  EXPECT_NE(hp.error().message.find("line 3"), std::string::npos) << hp.error().message;
}

TEST(MalformedJson, NumberTooLargeIsAnErrorNotACrash) {
  // Found by fuzz_config: nlohmann throws out_of_range, not parse_error, for this.
  auto hp = parse_hyperparameters(R"({"a": 41946E6666666})", "input/config/hyperparameters.json");
  ASSERT_FALSE(hp);
  EXPECT_NE(hp.error().message.find("malformed JSON"), std::string::npos) << hp.error().message;
  EXPECT_FALSE(parse_resource_config("[1e999]", "rc"));
}

TEST(ReadTrainingConfig, ReadsEveryFileAndNamesAMissingOne) {
  test::TempDir dir;
  const Paths paths(dir.path());
  ASSERT_TRUE(util::make_directories(paths.input_config()));
  auto missing = read_training_config(paths);
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().kind, util::ErrorKind::not_found);
  EXPECT_NE(missing.error().message.find("input/config/hyperparameters.json: missing"), std::string::npos);

  ASSERT_TRUE(util::write_file_atomic(paths.hyperparameters_file(), R"({"epochs":"3"})"));
  ASSERT_TRUE(util::write_file_atomic(paths.input_data_config_file(), R"({"training":{},"eval":{}})"));
  ASSERT_TRUE(util::write_file_atomic(paths.resource_config_file(), R"({"current_host":"algo-1","hosts":["algo-1"]})"));
  ASSERT_TRUE(util::write_file_atomic(paths.checkpoint_config_file(), R"({"LocalPath":"/opt/ml/checkpoints"})"));
  auto config = read_training_config(paths);
  ASSERT_TRUE(config) << config.error().message;
  EXPECT_EQ(config->channel_names(), (std::vector<std::string>{"eval", "training"}));
  ASSERT_TRUE(config->checkpoint_config);
  EXPECT_EQ((*config->checkpoint_config)["LocalPath"], "/opt/ml/checkpoints");
  EXPECT_FALSE(config->training_job_config);

  ASSERT_TRUE(util::write_file_atomic(paths.training_job_config_file(), "not json"));
  auto bad = read_training_config(paths);
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("input/config/trainingjobconfig.json: malformed JSON"), std::string::npos);
}

} // namespace
} // namespace sagerun::contract
