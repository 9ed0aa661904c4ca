"""Hyperparameters reach the script as argv exactly (one argument per value, never a shell), and
the SM_* environment matches the official toolkit's names and formats."""
import json
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

DUMP = ("import json, os, sys\n"
        "json.dump({'argv': sys.argv[1:], 'env': dict(os.environ)},"
        " open(os.path.join(os.environ['SM_MODEL_DIR'], 'seen.json'), 'w'))\n")

SM_VARIABLES = """SM_MODEL_DIR SM_INPUT_DIR SM_INPUT_CONFIG_DIR SM_OUTPUT_DIR SM_OUTPUT_DATA_DIR
SM_OUTPUT_INTERMEDIATE_DIR SM_CHANNELS SM_HPS SM_USER_ARGS SM_HOSTS SM_CURRENT_HOST
SM_CURRENT_INSTANCE_TYPE SM_CURRENT_INSTANCE_GROUP SM_CURRENT_INSTANCE_GROUP_HOSTS SM_INSTANCE_GROUPS
SM_INSTANCE_GROUPS_DICT SM_IS_HETERO SM_DISTRIBUTION_INSTANCE_GROUPS SM_NETWORK_INTERFACE_NAME SM_NUM_CPUS
SM_NUM_GPUS SM_NUM_NEURONS SM_LOG_LEVEL SM_USER_ENTRY_POINT SM_MODULE_NAME SM_MODULE_DIR SM_FRAMEWORK_MODULE
SM_FRAMEWORK_PARAMS SM_RESOURCE_CONFIG SM_INPUT_DATA_CONFIG SM_TRAINING_ENV SM_MASTER_ADDR SM_MASTER_PORT
SM_HOST_COUNT SM_CURRENT_HOST_RANK""".split()


def compact(value):
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


class ArgsAndEnvironment(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()

    def run_dump(self, hyperparameters, extra_env=None, **tree_args):
        tree = harness.Tree(hyperparameters=hyperparameters, **tree_args)
        self.addCleanup(tree.cleanup)
        tree.script(DUMP)
        result = harness.run_train(tree, extra_env)
        self.assertEqual(result.returncode, 0, result.stderr.decode())
        return tree, json.loads(tree.read("model/seen.json")), result

    def test_awkward_values_arrive_as_exactly_one_argument_each(self):
        values = {
            "spaces": "a b  c",
            "quotes": "it's \"quoted\"",
            "newlines": "line1\nline2\n",
            "unicode": "naïve café ✓ 日本",
            "shell": "$(touch /tmp/sagerun-pwned) `id` ; rm -rf / | cat &",
            "empty": "",
            "dashes": "--not-a-flag",
        }
        _, seen, _ = self.run_dump({k: json.dumps(v) for k, v in values.items()})
        argv = seen["argv"]
        expected = []
        for key in sorted(values):
            expected += ["--" + key, values[key]]
        self.assertEqual(argv, expected)
        self.assertFalse(os.path.exists("/tmp/sagerun-pwned"))

    def test_json_values_follow_the_toolkit(self):
        hps = {
            "epochs": "10", "lr": "1e-05", "ratio": "0.5", "big": "1e3", "flag": "true", "off": "false",
            "none": "null", "layers": "[64, 32, \"relu\"]", "opts": "{\"b\": [1, 2], \"a\": true, \"c\": null}",
            "raw": "not json", "x": "1",
        }
        _, seen, _ = self.run_dump(hps)
        self.assertEqual(seen["argv"], [
            "--big", "1000.0", "--epochs", "10", "--flag", "True", "--layers", "[64, 32, 'relu']",
            "--lr", "1e-05", "--none", "", "--off", "False", "--opts", "a=True,b=[1, 2],c=None",
            "--ratio", "0.5", "--raw", "not json", "-x", "1"])
        env = seen["env"]
        self.assertEqual(env["SM_HP_LAYERS"], '[64,32,"relu"]')
        self.assertEqual(env["SM_HP_OPTS"], '{"a":true,"b":[1,2],"c":null}')
        self.assertEqual(env["SM_HP_FLAG"], "true")
        self.assertEqual(env["SM_HP_NONE"], "")
        self.assertEqual(env["SM_HP_RAW"], "not json")
        self.assertEqual(env["SM_HP_LR"], "1e-05")
        self.assertEqual(json.loads(env["SM_USER_ARGS"]), seen["argv"])

    def test_every_sm_variable(self):
        resource = {"current_host": "algo-1", "hosts": ["algo-1"], "current_instance_type": "ml.m5.xlarge",
                    "current_group_name": "homogeneousCluster", "network_interface_name": "eth0",
                    "instance_groups": [{"instance_group_name": "homogeneousCluster",
                                         "instance_type": "ml.m5.xlarge", "hosts": ["algo-1"]}]}
        tree, seen, _ = self.run_dump(
            {"epochs": "3", "name": '"résumé"', "sagemaker_program": '"train.py"', "sagemaker_region": '"eu-west-1"',
             "sagemaker_mpi_enabled": "false", "sagemaker_container_log_level": "20"},
            {"TRAINING_JOB_NAME": "job-7", "AWS_REGION": "eu-west-1"},
            channels=("training", "eval"), resource_extra=resource)
        env = seen["env"]
        base = tree.root
        for name in SM_VARIABLES:
            self.assertIn(name, env)
        input_data_config = json.loads(tree.read("input/config/inputdataconfig.json"))
        expected = {
            "SM_MODEL_DIR": base + "/model", "SM_INPUT_DIR": base + "/input",
            "SM_INPUT_CONFIG_DIR": base + "/input/config", "SM_OUTPUT_DIR": base + "/output",
            "SM_OUTPUT_DATA_DIR": base + "/output/data", "SM_OUTPUT_INTERMEDIATE_DIR": base + "/output/intermediate",
            "SM_CHANNELS": '["eval","training"]', "SM_CHANNEL_TRAINING": base + "/input/data/training",
            "SM_CHANNEL_EVAL": base + "/input/data/eval",
            "SM_HPS": compact({"epochs": 3, "name": "résumé"}), "SM_HP_EPOCHS": "3", "SM_HP_NAME": "résumé",
            "SM_USER_ARGS": compact(["--epochs", "3", "--name", "résumé"]),
            "SM_HOSTS": '["algo-1"]', "SM_CURRENT_HOST": "algo-1", "SM_CURRENT_INSTANCE_TYPE": "ml.m5.xlarge",
            "SM_CURRENT_INSTANCE_GROUP": "homogeneousCluster", "SM_CURRENT_INSTANCE_GROUP_HOSTS": '["algo-1"]',
            "SM_INSTANCE_GROUPS": '["homogeneousCluster"]',
            "SM_INSTANCE_GROUPS_DICT": compact({"homogeneousCluster": resource["instance_groups"][0]}),
            "SM_IS_HETERO": "false", "SM_DISTRIBUTION_INSTANCE_GROUPS": "[]", "SM_NETWORK_INTERFACE_NAME": "eth0",
            "SM_NUM_CPUS": str(os.cpu_count()), "SM_NUM_NEURONS": "0", "SM_LOG_LEVEL": "20",
            "SM_USER_ENTRY_POINT": "train.py", "SM_MODULE_NAME": "train",
            "SM_MODULE_DIR": base + "/input/data/training/script", "SM_FRAMEWORK_MODULE": "",
            "SM_FRAMEWORK_PARAMS": '{"sagemaker_mpi_enabled":false}',
            "SM_RESOURCE_CONFIG": compact(resource), "SM_INPUT_DATA_CONFIG": compact(input_data_config),
            "SM_MASTER_ADDR": "algo-1", "SM_MASTER_PORT": "7777", "SM_HOST_COUNT": "1", "SM_CURRENT_HOST_RANK": "0",
            "CURRENT_HOST": "algo-1", "SAGEMAKER_REGION": "eu-west-1", "TRAINING_JOB_NAME": "job-7",
        }
        for name, value in expected.items():
            self.assertEqual(env[name], value, name)
        gpus = len([d for d in os.listdir("/dev") if d.startswith("nvidia") and d[6:].isdigit()])
        self.assertEqual(env["SM_NUM_GPUS"], str(gpus))
        training_env = json.loads(env["SM_TRAINING_ENV"])
        self.assertEqual(env["SM_TRAINING_ENV"], compact(training_env))
        self.assertEqual(training_env["hyperparameters"], {"epochs": 3, "name": "résumé"})
        self.assertEqual(training_env["job_name"], "job-7")
        self.assertEqual(training_env["channel_input_dirs"]["eval"], base + "/input/data/eval")
        self.assertEqual(training_env["master_hostname"], "algo-1")
        self.assertTrue(training_env["is_master"])
        self.assertEqual(env["PYTHONPATH"].split(":")[0], base + "/input/data/training/script")

    def test_multi_host_rank_and_master(self):
        _, seen, _ = self.run_dump({}, {"SAGERUN_HOST_WAIT_SECONDS": "5"},
                                   hosts=("localhost", "algo-2"), current_host="algo-2")
        env = seen["env"]
        self.assertEqual(env["SM_HOSTS"], '["localhost","algo-2"]')
        self.assertEqual(env["SM_HOST_COUNT"], "2")
        self.assertEqual(env["SM_CURRENT_HOST_RANK"], "0")  # sorted: algo-2 < localhost
        self.assertEqual(env["SM_MASTER_ADDR"], "localhost")

    def test_secrets_are_masked_in_the_log(self):
        _, seen, result = self.run_dump({"api_key": '"hunter2-secret"', "epochs": "1"},
                                        {"SAGERUN_DEBUG": "1", "WANDB_API_KEY": "wandb-secret-value"})
        self.assertEqual(seen["argv"], ["--api_key", "hunter2-secret", "--epochs", "1"])
        self.assertIn(b"--api_key ****", result.stderr)
        self.assertNotIn(b"hunter2-secret", result.stderr)
        self.assertNotIn(b"wandb-secret-value", result.stderr)
        self.assertIn(b"WANDB_API_KEY=****", result.stderr)


if __name__ == "__main__":
    harness.main()
