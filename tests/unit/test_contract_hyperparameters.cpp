#include "contract/hyperparameters.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sagerun::contract {
namespace {

using Args = std::vector<std::string>;

TEST(DecodeValue, LikePythonJsonLoads) {
  EXPECT_EQ(decode_value("5"), 5);
  EXPECT_EQ(decode_value(" 5 "), 5);
  EXPECT_EQ(decode_value("\"x\""), "x");
  EXPECT_EQ(decode_value("true"), true);
  EXPECT_TRUE(decode_value("null").is_null());
  EXPECT_EQ(decode_value("True"), "True"); // not JSON: kept as the string
  EXPECT_EQ(decode_value("0001"), "0001");
  EXPECT_EQ(decode_value("abc"), "abc");
  EXPECT_TRUE(std::isnan(decode_value("NaN").get<double>()));
  EXPECT_EQ(decode_value(7), 7);                                // not a string: unchanged
  EXPECT_TRUE(std::isinf(decode_value("1e999").get<double>())); // json.loads gives inf
}

TEST(SplitHyperparameters, ReservedFrameworkAndUser) {
  const auto raw = OrderedJson::parse(R"({"epochs":"10","sagemaker_program":"\"train.py\"",
    "sagemaker_mpi_enabled":"true","sagemaker_region":"\"us-east-1\"","_tuning_objective_metric":"\"loss\""})");
  const auto hps = split_hyperparameters(raw);
  EXPECT_EQ(hps.user, OrderedJson::parse(R"({"epochs":10})"));
  EXPECT_EQ(hps.framework, OrderedJson::parse(R"({"sagemaker_mpi_enabled":true})"));
  EXPECT_EQ(reserved_string(hps, "sagemaker_program"), "train.py");
  EXPECT_EQ(reserved_string(hps, "sagemaker_submit_directory"), "");
  EXPECT_TRUE(hps.reserved.contains("_tuning_objective_metric"));
}

Args args_for(const char* json) { return to_cmd_args(split_hyperparameters(OrderedJson::parse(json)).user); }

TEST(ToCmdArgs, SortedLongAndShortNames) {
  EXPECT_EQ(args_for(R"({"lr":"0.1","b":"2","epochs":"10"})"), (Args{"-b", "2", "--epochs", "10", "--lr", "0.1"}));
}

TEST(ToCmdArgs, ValuesAsPythonStr) {
  EXPECT_EQ(args_for(R"({"flag":"true","off":"false","none":"null"})"),
            (Args{"--flag", "True", "--none", "", "--off", "False"}));
  EXPECT_EQ(args_for(R"({"name":"\"res net\"","raw":"not json"})"), (Args{"--name", "res net", "--raw", "not json"}));
  EXPECT_EQ(args_for(R"({"layers":"[1, 2, \"x\"]","lr":"1e-05","big":"1e3"})"),
            (Args{"--big", "1000.0", "--layers", "[1, 2, 'x']", "--lr", "1e-05"}));
}

TEST(ToCmdArgs, DictsBecomeKeyValueLists) {
  EXPECT_EQ(args_for(R"({"opts":"{\"z\": 1, \"a\": true, \"m\": {\"y\": null}}"})"),
            (Args{"--opts", "a=True,m={'y': None},z=1"}));
}

TEST(ToCmdArgs, EveryValueIsOneArgument) {
  const auto args = args_for(R"({"text":"\"line one\\nline 'two' \\\"three\\\" $HOME `x` ; rm -rf /\""})");
  ASSERT_EQ(args.size(), 2u);
  EXPECT_EQ(args[1], "line one\nline 'two' \"three\" $HOME `x` ; rm -rf /");
}

} // namespace
} // namespace sagerun::contract
