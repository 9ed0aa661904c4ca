"""What both runtimes must show of a host sized as its instance type (the suites
test_instance_limits.py and test_docker_instance_limits.py run these cases): memory over the
type's is an out-of-memory failure naming the limit, and CPU time is bounded by what the host is
given."""
import json
import re
import shutil
import tempfile

from local_jobs import write_script

# 5 GiB touched (bytearray zero-fills), over ml.t3.medium's 4 GiB.
GREEDY_SCRIPT = r'''
print("allocating", flush=True)
held = bytearray(5 * 1024 * 1024 * 1024)
print("allocated", len(held), flush=True)
'''

# Two busy processes for 3 s: their CPU time is what the host's limit allows.
SPIN_SCRIPT = r'''
import json, multiprocessing, os, time
def spin(seconds):
    end = time.time() + seconds
    while time.time() < end:
        pass
if __name__ == "__main__":
    started, before = time.time(), os.times()
    workers = [multiprocessing.Process(target=spin, args=(3,)) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    after = os.times()
    cpu = (after.children_user + after.children_system) - (before.children_user + before.children_system)
    print("SPUN " + json.dumps({"wall": time.time() - started, "cpu": cpu}), flush=True)
'''

GPU_SCRIPT = r'''
import os, time
print("GPUS=[%s]" % os.environ.get("CUDA_VISIBLE_DEVICES", "unset"), flush=True)
time.sleep(float(os.environ.get("HOLD_SECONDS", "0")))
'''


class Limits:
    """The cases both runtimes must pass (self.jobs set by the subclass)."""

    def job_args(self, script, name, instance_type, *extra):
        folder = self.make_folder()
        write_script(folder, script)
        out = self.make_folder()
        return ["--input", "training=" + folder, "--output", "file://" + out, "--job-name", name,
                "--instance-type", instance_type] + list(extra)

    def make_folder(self):
        folder = tempfile.mkdtemp(prefix="sagerun-limits-")
        self.addCleanup(shutil.rmtree, folder, True)
        return folder

    def test_memory_over_the_type_is_out_of_memory_naming_the_limit(self):
        result = self.jobs.run(self.job_args(GREEDY_SCRIPT, "greedy", "ml.t3.medium"), timeout=240)
        self.assertEqual(result.returncode, 1, result.stderr.decode(errors="replace"))
        described = self.jobs.describe("greedy")
        self.assertEqual(described["TrainingJobStatus"], "Failed")
        reason = described["FailureReason"]
        self.assertTrue(reason.startswith("OutOfMemoryError: Please use an instance type with more memory"), reason)
        self.assertIn("algo-1 was killed by the kernel for running out of memory: its limit is 4 GiB (ml.t3.medium)",
                      reason)
        self.assertNotIn(b"allocated", self.jobs.log("greedy"))

    def test_a_host_gets_no_more_cpu_than_it_is_given(self):
        result = self.jobs.run(self.job_args(SPIN_SCRIPT, "spin", "ml.m5.xlarge", "--machine-cpus", "0.5"),
                               check=0, timeout=240)
        stderr = result.stderr.decode(errors="replace")
        self.assertIn("ml.m5.xlarge has 4 vCPUs but this machine offers 0.5: each host is limited to 0.5 CPUs", stderr)
        spun = json.loads(re.search(rb"SPUN (\{.*\})", self.jobs.log("spin")).group(1))
        # Two spinners would take 2 CPU-seconds a second unlimited; half a CPU allows 0.5.
        self.assertLess(spun["cpu"], 0.5 * spun["wall"] * 1.3 + 0.2, spun)
        self.assertGreater(spun["cpu"], 0.5 * spun["wall"] * 0.5, spun)
