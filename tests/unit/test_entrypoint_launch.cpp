// The distribution a job's hyperparameters ask for, and the launch each host gets from it.
#include "entrypoint/launch.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace sagerun::entrypoint {
namespace {

using contract::Launcher;
using contract::OrderedJson;

contract::ResourceConfig two_hosts(const std::string& current) {
  contract::ResourceConfig resource;
  resource.current_host = current;
  resource.hosts = {"algo-1", "algo-2"};
  resource.network_interface_name = "lo";
  resource.raw = OrderedJson::object();
  return resource;
}

contract::Hyperparameters with(OrderedJson framework) {
  contract::Hyperparameters hps;
  hps.framework = std::move(framework);
  return hps;
}

bool has_pair(const std::vector<std::string>& argv, const std::string& key, const std::string& value) {
  for (size_t i = 0; i + 1 < argv.size(); ++i)
    if (argv[i] == key && argv[i + 1] == value) return true;
  return false;
}

TEST(EntrypointLaunch, TheToolkitsRulesPickTheLauncherAndItsCounts) {
  const auto resource = two_hosts("algo-1");
  auto plain = contract::read_distribution(with(OrderedJson::object()), resource, {});
  ASSERT_TRUE(plain);
  EXPECT_EQ(plain->launcher, Launcher::script);
  auto both = contract::read_distribution(
      with({{"sagemaker_mpi_enabled", true}, {"sagemaker_torch_distributed_enabled", true}}), resource, {});
  ASSERT_TRUE(both);
  EXPECT_EQ(both->launcher, Launcher::mpi); // MPI first, as the toolkit
  EXPECT_EQ(both->processes, 2);
  contract::SystemInfo gpus;
  gpus.gpus = 4;
  auto torch = contract::read_distribution(with({{"sagemaker_torch_distributed_enabled", "true"}}), resource, gpus);
  ASSERT_TRUE(torch);
  EXPECT_EQ(torch->launcher, Launcher::torchrun);
  EXPECT_EQ((std::pair{torch->processes_per_host, torch->processes}), (std::pair{4, 8})); // the GPUs per host
  auto given = contract::read_distribution(with({{"sagemaker_mpi_enabled", true},
                                                 {"sagemaker_mpi_num_of_processes_per_host", 3},
                                                 {"sagemaker_mpi_num_processes", "5"}}),
                                           resource, gpus);
  ASSERT_TRUE(given);
  EXPECT_EQ((std::pair{given->processes_per_host, given->processes}), (std::pair{3, 5}));
  auto bad = contract::read_distribution(
      with({{"sagemaker_mpi_enabled", true}, {"sagemaker_mpi_num_of_processes_per_host", "two"}}), resource, {});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("sagemaker_mpi_num_of_processes_per_host"), std::string::npos);
}

TEST(EntrypointLaunch, AwsOnlyLaunchersAreRefusedNamingTheFlag) {
  auto refused = contract::read_distribution(with({{"sagemaker_distributed_dataparallel_enabled", true}}),
                                             two_hosts("algo-1"), {});
  ASSERT_FALSE(refused);
  EXPECT_TRUE(refused.error().message.starts_with("HyperParameters.sagemaker_distributed_dataparallel_enabled: "));
  EXPECT_NE(refused.error().message.find("use torch_distributed"), std::string::npos);
  EXPECT_EQ(contract::refused_launcher(OrderedJson{{"sagemaker_pytorch_xla_multi_worker_enabled", false}}), "");
  EXPECT_NE(contract::refused_launcher(OrderedJson{{"sagemaker_parameter_server_enabled", true}}), "");
}

TEST(EntrypointLaunch, TorchrunOnEveryHostWithItsRank) {
  auto distribution = *contract::read_distribution(
      with({{"sagemaker_torch_distributed_enabled", true}, {"sagemaker_mpi_num_of_processes_per_host", 2}}),
      two_hosts("algo-2"), {});
  util::EnvMap env{{"MASTER_ADDR", "algo-1"}, {"MASTER_PORT", "16500"}, {"NCCL_SOCKET_IFNAME", "mine"}};
  const Step script{{"python3", "train.py", "--lr", "1"}, "/opt/ml/code"};
  const auto launch = plan_launch(distribution, two_hosts("algo-2"), script, "python3", {"train", "--mpi-agent"}, env);
  ASSERT_EQ(launch.role, Role::run);
  const auto& argv = launch.step.argv;
  EXPECT_EQ(argv[0], "python3");
  EXPECT_TRUE(has_pair(argv, "--nnodes", "2"));
  EXPECT_TRUE(has_pair(argv, "--nproc_per_node", "2"));
  EXPECT_TRUE(has_pair(argv, "--node_rank", "1"));
  EXPECT_TRUE(has_pair(argv, "--master_port", "16500"));
  EXPECT_EQ(std::vector<std::string>(argv.end() - 3, argv.end()), (std::vector<std::string>{"train.py", "--lr", "1"}));
  EXPECT_EQ(env["NCCL_SOCKET_IFNAME"], "mine"); // the job's own wins
  EXPECT_EQ(env["GLOO_SOCKET_IFNAME"], "lo");
}

TEST(EntrypointLaunch, MpirunOnTheFirstHostTheOthersServe) {
  auto distribution =
      *contract::read_distribution(with({{"sagemaker_mpi_enabled", true},
                                         {"sagemaker_mpi_num_of_processes_per_host", 2},
                                         {"sagemaker_mpi_custom_mpi_options", "-verbose --display-map"}}),
                                   two_hosts("algo-1"), {});
  util::EnvMap env{{"SM_HPS", "{}"}, {"SECRET_THING", "x"}, {"PATH", "/usr/bin"}};
  const Step script{{"python3", "train.py"}, "/opt/ml/code"};
  const auto first = plan_launch(distribution, two_hosts("algo-1"), script, "python3", {"/t", "--mpi-agent"}, env);
  const auto& argv = first.step.argv;
  EXPECT_EQ(argv[0], "mpirun");
  EXPECT_TRUE(has_pair(argv, "--host", "algo-1:2,algo-2:2"));
  EXPECT_TRUE(has_pair(argv, "-np", "4"));
  EXPECT_TRUE(has_pair(argv, "plm_rsh_agent", "/t --mpi-agent"));
  EXPECT_TRUE(has_pair(argv, "btl_tcp_if_include", "lo"));
  EXPECT_TRUE(has_pair(argv, "-x", "SM_HPS"));
  EXPECT_FALSE(has_pair(argv, "-x", "SECRET_THING")); // only the toolkit's kinds of variable
  EXPECT_NE(std::find(argv.begin(), argv.end(), "--display-map"), argv.end());
  EXPECT_EQ(std::vector<std::string>(argv.end() - 4, argv.end()),
            (std::vector<std::string>{"python3", "-m", "mpi4py", "train.py"}));
  EXPECT_EQ(plan_launch(distribution, two_hosts("algo-2"), script, "python3", {}, env).role, Role::serve_mpi);
}

TEST(EntrypointLaunch, ATorchrunFailureEndsWithTheRanksOwnWords) {
  const std::string tail = "rank 3 fails: out of patience\nTraceback (most recent call last):\n  File run.py\n"
                           "torch.distributed.elastic.multiprocessing.errors.ChildFailedError: \n"
                           "Root Cause (first observed failure):\n  rank : 3\n";
  const auto told = failure_tail(Launcher::torchrun, tail);
  EXPECT_EQ(told, "Root Cause (first observed failure):\n  rank : 3\n\nrank 3 fails: out of patience\n");
  EXPECT_EQ(failure_tail(Launcher::mpi, tail), tail);
}

} // namespace
} // namespace sagerun::entrypoint
