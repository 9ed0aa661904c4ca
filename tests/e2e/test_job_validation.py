"""Request validation against botocore's SageMaker model.

For every constraint botocore's model puts on the CreateTrainingJobRequest members the runner uses
(TrainingJobName, HyperParameters, AlgorithmSpecification.*, RoleArn, InputDataConfig.*,
OutputDataConfig.*, ResourceConfig.*, StoppingCondition.*, Environment, CheckpointConfig.*, all the
way down), a request is built that breaks exactly that constraint; tests/tools/job_tool must report
exactly one error, at the right path, with the service's constraint text. A valid base request
passes. Missing required members, string lengths/patterns/enums, number bounds, list and map sizes,
map keys/values and scalar list elements are covered; a constraint none of the candidate values
breaks alone (mostly a length that no value matching the pattern can have, such as ChannelName's
minimum 1) is skipped and counted, and the count is bounded.

Patterns are checked here with Python's re after the same Java → Python reading the service gives
them (`.` stops at line terminators, \\d \\w \\s are ASCII, \\p{Alnum}); lengths are UTF-16 units.
The runner's stricter rules (scripts/gen_sagemaker_shapes.py OVERRIDES) are taken from the
generator, so the expectations follow it.

The tool's path comes from env SAGERUN_JOB_TOOL, else <build>/tests/job_tool beside SAGERUN_BIN
(<build>/src/sagerun), which ctest passes.
"""
import copy
import importlib.util
import json
import os
import re
import subprocess
import unittest

try:
    import botocore.loaders
except ImportError:  # pragma: no cover - reported as a skip
    botocore = None

RUNNER_MEMBERS = ["TrainingJobName", "HyperParameters", "AlgorithmSpecification", "RoleArn", "InputDataConfig",
                  "OutputDataConfig", "ResourceConfig", "StoppingCondition", "Environment", "CheckpointConfig"]

# Valid values for string shapes whose pattern a plain "a" does not match.
SAMPLES = {
    "TrainingJobName": "job-1",
    "ArnOrName": "my-algorithm",
    "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
    "ChannelName": "train",
    "S3Uri": "s3://bucket/prefix",
    "FileSystemId": "fs-0123456789abcdef0",
    "HubDataSetArn": "arn:aws:sagemaker:us-east-1:123456789012:hub-content/hub/DataSet/data/1.0.0",
    "TrainingRepositoryCredentialsProviderArn": "arn:aws:lambda:us-east-1:123456789012:function:creds",
    "TrainingPlanArn": "arn:aws:sagemaker:us-east-1:123456789012:training-plan/plan-1",
    "TrainingEnvironmentKey": "MY_VAR",
}

# Values tried when a pattern must be broken: line terminators, characters outside the usual
# classes, and near misses of the URI and ARN shapes.
PATTERN_BREAKERS = ["a\nb", "\n", "_", "a b", "a_b", "!", "-a", "a-", "é", "http://bucket/key", "s3:/bucket",
                    "arn:aws:iam::12345:role/x", "arn:aws:iam::123456789012:user/someone-long", "fs-xyz0000000",
                    "1abc"]

REMOVE = object()


def tool_path():
    explicit = os.environ.get("SAGERUN_JOB_TOOL")
    if explicit:
        return explicit
    sagerun = os.environ.get("SAGERUN_BIN")
    if sagerun:
        return os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(sagerun))), "tests", "job_tool")
    return ""


def load_generator():
    source = os.environ.get("SAGERUN_SOURCE_DIR") or os.path.join(os.path.dirname(__file__), "..", "..")
    spec = importlib.util.spec_from_file_location("gen_sagemaker_shapes",
                                                  os.path.join(source, "scripts", "gen_sagemaker_shapes.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def utf16_length(text):
    return len(text.encode("utf-16-le")) // 2


def java_pattern(pattern):
    """A Java regex as Python's re reads it, for the patterns this model uses."""
    out = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if pattern.startswith("\\p{Alnum}", i):
                out.append("A-Za-z0-9" if in_class else "[A-Za-z0-9]")
                i += len("\\p{Alnum}")
                continue
            out.append(pattern[i:i + 2])
            i += 2
            continue
        if in_class:
            in_class = c != "]"
        elif c == "[":
            in_class = True
        elif c == ".":
            out.append("[^\n\r\x85\u2028\u2029]")
            i += 1
            continue
        out.append(c)
        i += 1
    return re.compile("".join(out), re.ASCII)


def lower_camel(name):
    return name[0].lower() + name[1:]


class Model:
    def __init__(self):
        generator = load_generator()
        self.overrides = generator.OVERRIDES
        self.shapes = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")["shapes"]
        self.display = None
        if os.path.exists(generator.DEFAULT_DISPLAY_MODEL):
            with open(generator.DEFAULT_DISPLAY_MODEL, encoding="utf-8") as f:
                self.display = json.load(f)["shapes"]

    # -- constraints -------------------------------------------------------------------------

    def member_shape(self, parent, member):
        """The member's shape, with the runner's override of its minimum."""
        name = self.shapes[parent]["members"][member]["shape"]
        shape = dict(self.shapes[name])
        extra = self.overrides.get((parent, member), {})
        if "min" in extra:
            shape["min"] = extra["min"]
        shape["name"] = name
        return shape

    def shape(self, name):
        shape = dict(self.shapes[name])
        shape["name"] = name
        return shape

    def required(self, parent, member):
        return member in self.shapes[parent].get("required", []) or \
            self.overrides.get((parent, member), {}).get("required", False)

    def pattern_texts(self, shape):
        """The texts the service may print for the pattern (exactly one when the older model is here)."""
        pattern = shape["pattern"]
        if self.display is not None:
            old = self.display.get(shape["name"], {}).get("pattern")
            return {old} if old is not None and old.lstrip("^").rstrip("$") == pattern else {pattern}
        return {pattern, "^" + pattern, pattern + "$", "^" + pattern + "$"}

    def constraint_texts(self, shape):
        """Every constraint of a scalar shape, in order: list of sets of acceptable texts."""
        what = "value" if shape["type"] in ("integer", "long") else "length"
        out = []
        if "max" in shape:
            out.append({"Member must have %s less than or equal to %d" % (what, shape["max"])})
        if "min" in shape:
            out.append({"Member must have %s greater than or equal to %d" % (what, shape["min"])})
        if "pattern" in shape:
            out.append({"Member must satisfy regular expression pattern: " + p for p in self.pattern_texts(shape)})
        if "enum" in shape:
            out.append({"Member must satisfy enum value set: [" + ", ".join(shape["enum"]) + "]"})
        return out

    def list_texts(self, prefix, shape):
        texts = [""]
        for options in self.constraint_texts(shape):
            texts = [t + (", " if t else "") + o for t in texts for o in sorted(options)]
        return {prefix + "[" + t + "]" for t in texts}

    def broken(self, shape, value):
        """The constraints (indexes into constraint_texts) a scalar value breaks."""
        out = []
        index = 0
        if shape["type"] in ("integer", "long"):
            if "max" in shape:
                out += [index] if value > shape["max"] else []
                index += 1
            if "min" in shape:
                out += [index] if value < shape["min"] else []
            return out
        length = utf16_length(value)
        if "max" in shape:
            out += [index] if length > shape["max"] else []
            index += 1
        if "min" in shape:
            out += [index] if length < shape["min"] else []
            index += 1
        if "pattern" in shape:
            out += [] if java_pattern(shape["pattern"]).fullmatch(value) else [index]
            index += 1
        if "enum" in shape:
            out += [] if value in shape["enum"] else [index]
        return out

    # -- values ------------------------------------------------------------------------------

    def sample(self, shape):
        if shape["type"] in ("integer", "long"):
            return max(shape.get("min", 1), 1)
        if shape["type"] == "boolean":
            return True
        if "enum" in shape:
            return shape["enum"][0]
        value = SAMPLES.get(shape["name"], "a" * max(shape.get("min", 1), 1))
        assert not self.broken(shape, value), (shape["name"], value)
        return value

    def minimal(self, shape):
        kind = shape["type"]
        if kind == "structure":
            if shape["name"] == "DataSource":  # exactly one source
                return {"S3DataSource": self.minimal(self.shape("S3DataSource"))}
            return {m: self.minimal(self.member_shape(shape["name"], m)) for m in shape["members"]
                    if self.required(shape["name"], m)}
        if kind == "list":
            element = self.shape(shape["member"]["shape"])
            return [self.minimal(element)] if shape.get("min", 0) >= 1 else []
        if kind == "map":
            return {}
        return self.sample(shape)

    def violations(self, shape):
        """(value, index of the one constraint it breaks) for each breakable constraint."""
        count = len(self.constraint_texts(shape))
        found = {}
        if shape["type"] in ("integer", "long"):
            candidates = [shape["max"] + 1] if "max" in shape else []
            candidates += [shape["min"] - 1] if "min" in shape else []
        else:
            good = self.sample(shape)
            candidates = []
            if "max" in shape:
                n = shape["max"] + 1
                candidates += [good + fill * n for fill in ("a", "0", "-", "a-", "/")]
                candidates += [(good[0] + "-" * n + good[1:])[:n + len(good)]]
                candidates += [good[0] + "-" * (n - len(good)) + good[1:]]
            if "min" in shape and shape["min"] > 0:
                candidates += [good[:shape["min"] - 1], ""]
            if "pattern" in shape:
                candidates += PATTERN_BREAKERS + [good + b for b in PATTERN_BREAKERS]
            if "enum" in shape:
                candidates += ["NotAnEnumValue"]
        for value in candidates:
            broken = self.broken(shape, value)
            if len(broken) == 1 and broken[0] not in found:
                found[broken[0]] = value
        # Constraints nothing can break: a string's minimum length 0, a pattern matching everything.
        unbreakable = set()
        if shape["type"] == "string":
            index = int("max" in shape)
            if "min" in shape:
                unbreakable |= {index} if shape["min"] <= 0 else set()
                index += 1
            if shape.get("pattern") in ("[\\S\\s]*", "[\\s\\S]*"):
                unbreakable.add(index)
        missing = [i for i in range(count) if i not in found and i not in unbreakable]
        return [(found[i], i) for i in range(count) if i in found], len(missing)


class Case:
    def __init__(self, steps, value, path, texts, shown=None):
        self.steps, self.value, self.path, self.texts, self.shown = steps, value, path, texts, shown


class Cases:
    """Walks the runner's members and makes one case per breakable constraint."""

    def __init__(self, model):
        self.model = model
        self.cases = []
        self.skipped = []

    def structure(self, shape, steps, path):
        for member in shape["members"]:
            if not steps and member not in RUNNER_MEMBERS:
                continue
            child = self.model.member_shape(shape["name"], member)
            child_steps = steps + [(member, child)]
            child_path = (path + "." if path else "") + lower_camel(member)
            if self.model.required(shape["name"], member):
                self.cases.append(Case(child_steps, REMOVE, child_path, {"Member must not be null"}, "null"))
            self.any(child, child_steps, child_path)

    def any(self, shape, steps, path):
        kind = shape["type"]
        if kind == "structure":
            self.structure(shape, steps, path)
        elif kind == "list":
            self.list(shape, steps, path)
        elif kind == "map":
            self.map(shape, steps, path)
        elif kind in ("string", "integer", "long"):
            texts = self.model.constraint_texts(shape)
            values, missing = self.model.violations(shape)
            self.skipped += [path] * missing
            for value, index in values:
                self.cases.append(Case(steps, value, path, texts[index], "'%s'" % value))

    def sizes(self, shape, steps, path, make):
        if "max" in shape:
            self.cases.append(Case(steps, make(shape["max"] + 1), path,
                                   {"Member must have length less than or equal to %d" % shape["max"]}))
        if shape.get("min", 0) > 0:
            self.cases.append(Case(steps, make(shape["min"] - 1), path,
                                   {"Member must have length greater than or equal to %d" % shape["min"]}))

    def list(self, shape, steps, path):
        element = self.model.shape(shape["member"]["shape"])

        def make(n):
            items = [copy.deepcopy(self.model.minimal(element)) for _ in range(n)]
            for i, item in enumerate(items):
                if isinstance(item, dict) and "ChannelName" in item:
                    item["ChannelName"] = "c%d" % i
            return items

        self.sizes(shape, steps, path, make)
        if element["type"] in ("structure", "list", "map"):
            self.any(element, steps + [(0, element)], path + ".1.member")
            return
        values, missing = self.model.violations(element)
        self.skipped += [path + ".1.member"] * missing
        texts = self.model.list_texts("Member must satisfy constraint: ", element)
        for value, _ in values:
            self.cases.append(Case(steps, [value], path, texts))

    def map(self, shape, steps, path):
        key = self.model.shape(shape["key"]["shape"])
        value = self.model.shape(shape["value"]["shape"])
        good_key, good_value = self.model.sample(key), self.model.sample(value)
        self.sizes(shape, steps, path, lambda n: {"%s%d" % (good_key, i): good_value for i in range(n)})
        keys, missing_keys = self.model.violations(key)
        values, missing_values = self.model.violations(value)
        self.skipped += [path + " (keys)"] * missing_keys + [path + " (values)"] * missing_values
        key_texts = self.model.list_texts("Map keys must satisfy constraint: ", key)
        value_texts = self.model.list_texts("Map value must satisfy constraint: ", value)
        for bad, _ in keys:
            self.cases.append(Case(steps, {bad: good_value}, path, key_texts))
        for bad, _ in values:
            self.cases.append(Case(steps, {good_key: bad}, path, value_texts))


def base_request():
    return {
        "TrainingJobName": "job-1",
        "RoleArn": "arn:aws:iam::123456789012:role/SageMakerRole",
        "AlgorithmSpecification": {"TrainingImage": "123456789012.dkr.ecr.us-east-1.amazonaws.com/image:1",
                                   "TrainingInputMode": "File"},
        "HyperParameters": {"epochs": "2"},
        "InputDataConfig": [{"ChannelName": "train",
                             "DataSource": {"S3DataSource": {"S3DataType": "S3Prefix", "S3Uri": "s3://bucket/train"}}}],
        "OutputDataConfig": {"S3OutputPath": "s3://bucket/output"},
        "ResourceConfig": {"InstanceType": "ml.m5.xlarge", "InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {"MaxRuntimeInSeconds": 3600},
    }


def build(model, case):
    """The base request with the case's value placed at its steps (containers made minimal)."""
    request = copy.deepcopy(base_request())
    current = request
    for i, (key, shape) in enumerate(case.steps):
        last = i == len(case.steps) - 1
        if isinstance(key, int):
            while len(current) <= key:
                current.append(model.minimal(shape))
        elif isinstance(current, dict) and "S3DataSource" in current and key in model.shapes["DataSource"]["members"]:
            for other in [k for k in current if k != key]:  # a DataSource holds exactly one source
                del current[other]
        if last:
            if case.value is REMOVE:
                current.pop(key, None)
            else:
                current[key] = case.value
            break
        if not isinstance(key, int) and key not in current:
            current[key] = model.minimal(shape)
        current = current[key]
    return request


@unittest.skipIf(botocore is None, "botocore is not installed")
class Validation(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tool = tool_path()
        if not cls.tool or not os.path.exists(cls.tool):
            raise unittest.SkipTest("job_tool not found (set SAGERUN_JOB_TOOL or SAGERUN_BIN)")
        cls.model = Model()

    def run_tool(self, request, *args, command="validate"):
        result = subprocess.run([self.tool, command, *args], input=json.dumps(request).encode(), capture_output=True,
                                timeout=30)
        return result.returncode, result.stdout.decode().rstrip("\n")

    def test_valid_base_request(self):
        self.assertEqual(self.run_tool(base_request()), (0, ""))
        self.assertEqual(self.run_tool(base_request(), "--local"), (0, ""))

    def test_every_constraint_alone(self):
        walker = Cases(self.model)
        walker.structure(self.model.shape("CreateTrainingJobRequest"), [], "")
        self.assertGreater(len(walker.cases), 100)
        # Only a few lengths are out of reach of any value matching the pattern.
        self.assertLess(len(walker.skipped), 20, walker.skipped)
        covered = set()
        for case in walker.cases:
            request = build(self.model, case)
            code, message = self.run_tool(request)
            with self.subTest(path=case.path, value=repr(case.value)[:80]):
                self.assertEqual(code, 1, message)
                self.assertTrue(message.startswith("1 validation error detected: Value "), message[:300])
                if case.shown is not None:
                    self.assertTrue(message.startswith("1 validation error detected: Value %s at " % case.shown),
                                    message[:300])
                tail = " at '%s' failed to satisfy constraint: " % case.path
                at = message.find(tail)
                self.assertNotEqual(at, -1, message[:300])
                self.assertIn(message[at + len(tail):], case.texts, message[:300])
                covered.add(case.path.split(".")[0])
        self.assertEqual(covered, {lower_camel(m) for m in RUNNER_MEMBERS})

    def test_local_uris_only_with_local_policy(self):
        request = base_request()
        request["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3Uri"] = "file:///data/train"
        request["OutputDataConfig"]["S3OutputPath"] = "/tmp/output"
        request["CheckpointConfig"] = {"S3Uri": "file:///tmp/checkpoints"}
        self.assertEqual(self.run_tool(request, "--local"), (0, ""))
        code, message = self.run_tool(request)
        self.assertEqual(code, 1)
        self.assertTrue(message.startswith("3 validation errors detected: "), message)

    def test_normalize_is_stable(self):
        code, first = self.run_tool(base_request(), command="normalize")
        self.assertEqual(code, 0, first)
        normalized = json.loads(first)
        self.assertEqual(normalized["OutputDataConfig"]["CompressionType"], "GZIP")
        self.assertEqual(normalized["InputDataConfig"][0]["DataSource"]["S3DataSource"]["S3DataDistributionType"],
                         "FullyReplicated")
        code, second = self.run_tool(normalized, command="normalize")
        self.assertEqual(json.loads(second), normalized)


if __name__ == "__main__":
    unittest.main()
