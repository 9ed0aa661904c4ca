#include "contract/sm_environment.hpp"

#include <gtest/gtest.h>

namespace sagerun::contract {
namespace {

struct Fixture {
  Paths paths{"/opt/ml"};
  TrainingConfig config;
  Hyperparameters hps;
  util::EnvMap env;

  explicit Fixture(const char* resource,
                   const char* hyperparameters = R"({"epochs":"10","lr":"0.1","sagemaker_program":"\"train.py\""})") {
    config.resource = *parse_resource_config(resource, "rc");
    config.input_data_config =
        OrderedJson::parse(R"({"training":{"TrainingInputMode":"File"},"eval":{"TrainingInputMode":"File"}})");
    hps = split_hyperparameters(OrderedJson::parse(hyperparameters));
    env = build_sm_environment(paths, config, hps, {"train.py", "/opt/ml/code"}, {4, 1, 0, false},
                               {{"TRAINING_JOB_NAME", "job-1"}, {"AWS_REGION", "eu-west-1"}});
  }
};

TEST(SmEnvironment, PathsAndScalars) {
  Fixture f(R"({"current_host":"algo-1","hosts":["algo-1"]})");
  EXPECT_EQ(f.env["SM_MODEL_DIR"], "/opt/ml/model");
  EXPECT_EQ(f.env["SM_INPUT_DIR"], "/opt/ml/input");
  EXPECT_EQ(f.env["SM_INPUT_CONFIG_DIR"], "/opt/ml/input/config");
  EXPECT_EQ(f.env["SM_OUTPUT_DIR"], "/opt/ml/output");
  EXPECT_EQ(f.env["SM_OUTPUT_DATA_DIR"], "/opt/ml/output/data");
  EXPECT_EQ(f.env["SM_OUTPUT_INTERMEDIATE_DIR"], "/opt/ml/output/intermediate");
  EXPECT_EQ(f.env["SM_CHANNEL_TRAINING"], "/opt/ml/input/data/training");
  EXPECT_EQ(f.env["SM_CHANNEL_EVAL"], "/opt/ml/input/data/eval");
  EXPECT_EQ(f.env["SM_CHANNELS"], R"(["eval","training"])");
  EXPECT_EQ(f.env["SM_HPS"], R"({"epochs":10,"lr":0.1})");
  EXPECT_EQ(f.env["SM_HP_EPOCHS"], "10");
  EXPECT_EQ(f.env["SM_HP_LR"], "0.1");
  EXPECT_EQ(f.env["SM_USER_ARGS"], R"(["--epochs","10","--lr","0.1"])");
  EXPECT_EQ(f.env["SM_USER_ENTRY_POINT"], "train.py");
  EXPECT_EQ(f.env["SM_MODULE_NAME"], "train");
  EXPECT_EQ(f.env["SM_MODULE_DIR"], "/opt/ml/code");
  EXPECT_EQ(f.env["SM_FRAMEWORK_MODULE"], "");
  EXPECT_EQ(f.env["SM_FRAMEWORK_PARAMS"], "{}");
  EXPECT_EQ(f.env["SM_LOG_LEVEL"], "20");
  EXPECT_EQ(f.env["SM_NUM_CPUS"], "4");
  EXPECT_EQ(f.env["SM_NUM_GPUS"], "1");
  EXPECT_EQ(f.env["SM_NUM_NEURONS"], "0");
  EXPECT_EQ(f.env["SM_HOSTS"], R"(["algo-1"])");
  EXPECT_EQ(f.env["SM_CURRENT_HOST"], "algo-1");
  EXPECT_EQ(f.env["SM_CURRENT_INSTANCE_TYPE"], "local");
  EXPECT_EQ(f.env["SM_CURRENT_INSTANCE_GROUP"], "homogeneousCluster");
  EXPECT_EQ(f.env["SM_NETWORK_INTERFACE_NAME"], "eth0");
  EXPECT_EQ(f.env["SM_RESOURCE_CONFIG"], R"({"current_host":"algo-1","hosts":["algo-1"]})");
  EXPECT_EQ(f.env["SM_INPUT_DATA_CONFIG"],
            R"({"eval":{"TrainingInputMode":"File"},"training":{"TrainingInputMode":"File"}})");
  EXPECT_EQ(f.env["SM_MASTER_ADDR"], "algo-1");
  EXPECT_EQ(f.env["SM_MASTER_PORT"], "7777");
  EXPECT_EQ(f.env["SM_HOST_COUNT"], "1");
  EXPECT_EQ(f.env["SM_CURRENT_HOST_RANK"], "0");
  EXPECT_EQ(f.env["SAGEMAKER_REGION"], "eu-west-1");
}

TEST(SmEnvironment, OldResourceConfigHasNoInstanceGroups) {
  Fixture f(R"({"current_host":"algo-2","hosts":["algo-2","algo-1"]})");
  EXPECT_EQ(f.env["SM_HOSTS"], R"(["algo-2","algo-1"])"); // file order, as the toolkit keeps it
  EXPECT_EQ(f.env["SM_INSTANCE_GROUPS"], "[]");
  EXPECT_EQ(f.env["SM_INSTANCE_GROUPS_DICT"], "{}");
  EXPECT_EQ(f.env["SM_CURRENT_INSTANCE_GROUP_HOSTS"], "[]");
  EXPECT_EQ(f.env["SM_IS_HETERO"], "false");
  EXPECT_EQ(f.env["SM_DISTRIBUTION_INSTANCE_GROUPS"], "[]");
  EXPECT_EQ(f.env["SM_HOST_COUNT"], "2");
  EXPECT_EQ(f.env["SM_CURRENT_HOST_RANK"], "1");
  const auto training_env = nlohmann::json::parse(f.env["SM_TRAINING_ENV"]);
  EXPECT_EQ(training_env["master_hostname"], "algo-2");
  EXPECT_EQ(training_env["is_master"], true);
  EXPECT_EQ(training_env["distribution_hosts"], nlohmann::json::parse(R"(["algo-2","algo-1"])"));
}

TEST(SmEnvironment, InstanceGroupsAndDistribution) {
  Fixture f(R"({"current_host":"algo-1","current_instance_type":"ml.p3.2xlarge","current_group_name":"gpu",
    "hosts":["algo-1","algo-2"],"instance_groups":[
      {"instance_group_name":"gpu","instance_type":"ml.p3.2xlarge","hosts":["algo-1"]},
      {"instance_group_name":"cpu","instance_type":"ml.c5.xlarge","hosts":["algo-2"]}]})",
            R"({"sagemaker_pytorch_ddp_enabled":"true"})");
  EXPECT_EQ(f.env["SM_INSTANCE_GROUPS"], R"(["gpu","cpu"])");
  EXPECT_EQ(f.env["SM_INSTANCE_GROUPS_DICT"],
            R"({"cpu":{"hosts":["algo-2"],"instance_group_name":"cpu","instance_type":"ml.c5.xlarge"},)"
            R"("gpu":{"hosts":["algo-1"],"instance_group_name":"gpu","instance_type":"ml.p3.2xlarge"}})");
  EXPECT_EQ(f.env["SM_CURRENT_INSTANCE_GROUP_HOSTS"], R"(["algo-1"])");
  EXPECT_EQ(f.env["SM_IS_HETERO"], "true");
  EXPECT_EQ(f.env["SM_DISTRIBUTION_INSTANCE_GROUPS"], R"(["gpu"])");
  EXPECT_EQ(f.env["SM_FRAMEWORK_PARAMS"], R"({"sagemaker_pytorch_ddp_enabled":true})");
  EXPECT_EQ(f.env["SM_USER_ENTRY_POINT"], "train.py");
}

TEST(SmEnvironment, TrainingEnvHasTheToolkitsKeys) {
  Fixture f(R"({"current_host":"algo-1","hosts":["algo-1"]})");
  const auto training_env = nlohmann::json::parse(f.env["SM_TRAINING_ENV"]);
  std::vector<std::string> keys;
  for (const auto& [key, value] : training_env.items())
    keys.push_back(key);
  const std::vector<std::string> expected = {"additional_framework_parameters",
                                             "channel_input_dirs",
                                             "current_host",
                                             "current_instance_group",
                                             "current_instance_group_hosts",
                                             "current_instance_type",
                                             "distribution_hosts",
                                             "distribution_instance_groups",
                                             "framework_module",
                                             "hosts",
                                             "hyperparameters",
                                             "input_config_dir",
                                             "input_data_config",
                                             "input_dir",
                                             "instance_groups",
                                             "instance_groups_dict",
                                             "is_hetero",
                                             "is_master",
                                             "is_modelparallel_enabled",
                                             "is_smddpmprun_installed",
                                             "job_name",
                                             "log_level",
                                             "master_hostname",
                                             "model_dir",
                                             "module_dir",
                                             "module_name",
                                             "network_interface_name",
                                             "num_cpus",
                                             "num_gpus",
                                             "num_neurons",
                                             "output_data_dir",
                                             "output_dir",
                                             "output_intermediate_dir",
                                             "resource_config",
                                             "user_entry_point"};
  EXPECT_EQ(keys, expected);
  EXPECT_EQ(training_env["job_name"], "job-1");
  EXPECT_TRUE(training_env["is_modelparallel_enabled"].is_null());
  EXPECT_EQ(training_env["channel_input_dirs"]["training"], "/opt/ml/input/data/training");
  // Compact and ASCII-only, like json.dumps(separators=(",", ":"), ensure_ascii=True).
  EXPECT_EQ(f.env["SM_TRAINING_ENV"].find(": "), std::string::npos);
}

TEST(SmEnvironment, HyperparameterNamesAreUppercasedAsIs) {
  Fixture f(R"({"current_host":"algo-1","hosts":["algo-1"]})",
            R"({"learning-rate":"0.5","Name":"\"x\"","opts":"{\"b\":[1]}"})");
  EXPECT_EQ(f.env["SM_HP_LEARNING-RATE"], "0.5");
  EXPECT_EQ(f.env["SM_HP_NAME"], "x");
  EXPECT_EQ(f.env["SM_HP_OPTS"], R"({"b":[1]})");
}

} // namespace
} // namespace sagerun::contract
