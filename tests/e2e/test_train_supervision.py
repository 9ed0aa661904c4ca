"""train as PID 1 would be: exit codes, signals forwarded to the whole group, the grace period,
no zombie and no survivor."""
import os
import shutil
import signal
import subprocess
import sys
import time
import unittest
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402


def processes():
    """(pid, state, ppid, cmdline) of every process still readable in /proc."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % pid) as f:
                state, ppid = f.read().rsplit(")", 1)[1].split()[:2]
            with open("/proc/%s/cmdline" % pid, "rb") as f:
                cmdline = f.read()
        except OSError:
            continue
        yield int(pid), state, int(ppid), cmdline


def processes_with(token):
    """PIDs whose command line holds `token`."""
    return [pid for pid, _, _, cmdline in processes() if token.encode() in cmdline]


def children_of(parent):
    return [pid for pid, _, ppid, _ in processes() if ppid == parent]


def zombies_of(parent):
    return [pid for pid, state, ppid, _ in processes() if state == "Z" and ppid == parent]


def wait_for(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.02)
    return False


class Supervision(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        harness.require_binaries()

    def make_tree(self, script, name="train.sh", hyperparameters=None):
        tree = harness.Tree(hyperparameters=hyperparameters)
        self.addCleanup(tree.cleanup)
        tree.script(script, "input/data/training/script/" + name)
        return tree

    def start(self, tree, extra_env=None):
        proc = subprocess.Popen([harness.TRAIN], env=harness.train_env(tree, extra_env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.addCleanup(lambda: proc.poll() is None and proc.kill())
        return proc

    def test_every_exit_code_passes_through(self):
        tree = self.make_tree('exit "$2"\n')
        for code in range(256):
            tree.write_json("input/config/hyperparameters.json", {"code": str(code)})
            result = harness.run_train(tree)
            self.assertEqual(result.returncode, code)
            if code == 0:
                self.assertTrue(tree.exists("output/success"))
                self.assertFalse(tree.exists("output/failure"))
            else:
                self.assertEqual(tree.read("output/failure").splitlines()[0], "exit code %d" % code)
                self.assertFalse(tree.exists("output/success"))

    def test_death_by_signal_is_128_plus_n(self):
        cases = {signal.SIGTERM: "killed by SIGTERM (15)", signal.SIGKILL: "killed by SIGKILL (9) — often out of memory",
                 signal.SIGSEGV: "killed by SIGSEGV (11)"}
        for sig, first_line in cases.items():
            tree = self.make_tree("echo dying >&2\nkill -%d $$\n" % sig)
            result = harness.run_train(tree)
            self.assertEqual(result.returncode, 128 + sig, sig)
            failure = tree.read("output/failure").splitlines()
            self.assertEqual(failure[0], first_line)
            self.assertEqual(failure[1], "dying")

    def test_sigterm_reaches_grandchildren_and_the_script_may_finish(self):
        token = uuid.uuid4().hex
        tree = self.make_tree(
            "sh -c 'trap \"echo grandchild-got-term > $SM_MODEL_DIR/grandchild; exit 0\" TERM; "
            "while :; do sleep 0.05; done' %s &\n"
            "trap 'wait; echo script-got-term > $SM_MODEL_DIR/script; exit 0' TERM\n"
            "echo ready > $SM_MODEL_DIR/ready\nwhile :; do sleep 0.05; done\n" % token)
        proc = self.start(tree)
        self.assertTrue(wait_for(lambda: tree.exists("model/ready") and processes_with(token)))
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0)
        self.assertEqual(tree.read("model/grandchild").strip(), "grandchild-got-term")
        self.assertEqual(tree.read("model/script").strip(), "script-got-term")
        self.assertEqual(processes_with(token), [])

    def test_a_child_ignoring_sigterm_is_killed_after_the_grace(self):
        token = uuid.uuid4().hex
        tree = self.make_tree("trap '' TERM\necho ignoring >&2\nsh -c 'trap \"\" TERM; sleep 600' %s &\n"
                              "echo ready > $SM_MODEL_DIR/ready\nwhile :; do sleep 0.05; done\n" % token)
        proc = self.start(tree, {"SAGERUN_STOP_GRACE_SECONDS": "1"})
        self.assertTrue(wait_for(lambda: tree.exists("model/ready") and processes_with(token)))
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
        elapsed = time.monotonic() - started
        self.assertEqual(proc.returncode, 128 + signal.SIGKILL)
        self.assertGreaterEqual(elapsed, 0.9)
        self.assertLess(elapsed, 5)
        failure = tree.read("output/failure").splitlines()
        self.assertEqual(failure[0], "stopped: SIGTERM, grace expired after 1 s; killed with SIGKILL")
        self.assertIn("ignoring", failure)
        self.assertEqual(processes_with(token), [])

    def test_other_signals_are_forwarded(self):
        tree = self.make_tree("trap 'echo usr1 > $SM_MODEL_DIR/usr1; exit 7' USR1\n"
                              "echo ready > $SM_MODEL_DIR/ready\nwhile :; do sleep 0.05; done\n")
        proc = self.start(tree)
        self.assertTrue(wait_for(lambda: tree.exists("model/ready")))
        proc.send_signal(signal.SIGUSR1)
        proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 7)
        self.assertEqual(tree.read("model/usr1").strip(), "usr1")

    def test_no_zombie_while_running_and_no_survivor_after(self):
        token = uuid.uuid4().hex
        tree = self.make_tree(
            # An orphan that exits at once (must be reaped by train), a background child, and a
            # daemon that left the process group with setsid: none may outlive train.
            "sh -c 'sh -c \"exit 0\" & exit 0'\n"
            "sh -c 'sleep 600' %s &\n"
            "setsid sh -c 'sleep 600; : %s' &\n"
            "sleep 0.5\necho ready > $SM_MODEL_DIR/ready\nsleep 0.5\nexit 0\n" % (token, token))
        proc = self.start(tree)
        self.assertTrue(wait_for(lambda: tree.exists("model/ready")))
        self.assertEqual(len(processes_with(token)), 2)  # both survivors-to-be are running
        self.assertEqual(zombies_of(proc.pid), [])
        proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0)
        self.assertTrue(wait_for(lambda: processes_with(token) == [], timeout=2), processes_with(token))

    @unittest.skipUnless(os.geteuid() == 0 and shutil.which("unshare"), "needs root and unshare for a PID namespace")
    def test_as_pid_1_signals_arrive_and_orphans_are_reaped(self):
        # As in a container: train is PID 1 of its own PID namespace, with its own /proc.
        token = uuid.uuid4().hex
        tree = self.make_tree("sh -c 'sleep 0.1 & exit 0'\nsh -c 'sleep 600' %s &\n"
                              "trap 'echo term > $SM_MODEL_DIR/term; exit 0' TERM\n"
                              "echo $$ > $SM_MODEL_DIR/ready\nwhile :; do sleep 0.05; done\n" % token)
        proc = subprocess.Popen(["unshare", "--pid", "--fork", "--mount-proc", harness.TRAIN],
                                env=harness.train_env(tree), stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        self.assertTrue(wait_for(lambda: children_of(proc.pid)))
        train_pid = children_of(proc.pid)[0]  # PID 1 inside, an ordinary pid out here
        self.addCleanup(lambda: proc.poll() is None and os.kill(train_pid, signal.SIGKILL))
        self.assertTrue(wait_for(lambda: tree.exists("model/ready") and processes_with(token)))
        os.kill(train_pid, signal.SIGTERM)  # what docker stop does to the container's PID 1
        _, stderr = proc.communicate(timeout=20)
        self.assertEqual(proc.returncode, 0, stderr.decode())
        self.assertEqual(tree.read("model/term").strip(), "term")
        self.assertEqual(processes_with(token), [])

    def test_user_failure_file_is_kept(self):
        tree = self.make_tree("echo 'my own reason' > $SM_OUTPUT_DIR/failure\necho noise >&2\nexit 4\n")
        result = harness.run_train(tree)
        self.assertEqual(result.returncode, 4)
        self.assertEqual(tree.read("output/failure"), "my own reason\n")

    def test_failure_file_first_line_then_stderr_tail(self):
        tree = self.make_tree("import sys\nfor i in range(5000):\n    print('progress', i, file=sys.stderr)\n"
                              "raise ValueError('bad learning rate')\n", name="train.py")
        result = harness.run_train(tree)
        self.assertEqual(result.returncode, 1)
        failure = tree.read("output/failure")
        self.assertTrue(failure.startswith("exit code 1\n"))
        self.assertLessEqual(len(failure.encode()), 1024)
        self.assertTrue(failure.rstrip().endswith("ValueError: bad learning rate"))
        self.assertNotIn("progress 0\n", failure)

    def test_stale_results_are_removed_before_a_run(self):
        tree = self.make_tree("exit 0\n")
        tree.write("output/failure", "old failure\n")
        result = harness.run_train(tree)
        self.assertEqual(result.returncode, 0)
        self.assertFalse(tree.exists("output/failure"))

    def test_sagerun_train_is_the_same_entrypoint(self):
        tree = self.make_tree("exit 5\n")
        result = subprocess.run([harness.SAGERUN, "train"], env=harness.train_env(tree), capture_output=True)
        self.assertEqual(result.returncode, 5)
        self.assertEqual(tree.read("output/failure").splitlines()[0], "exit code 5")


if __name__ == "__main__":
    harness.main()
