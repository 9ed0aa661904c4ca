#!/usr/bin/env python3
"""Generates src/job/sagemaker_shapes.inc: the input shape trees of the SageMaker operations the
server checks (CreateTrainingJob, AddTags, DeleteTags, ListTags, DeleteTrainingJob) from botocore's
SageMaker model, for the validator (src/job/validate.cpp). Run by hand when botocore's model moves on; the output is
committed:

    python3 scripts/gen_sagemaker_shapes.py > src/job/sagemaker_shapes.inc

Patterns. The model's patterns are Java regular expressions, matched against the whole value
(Java's String.matches). The validator matches them with std::wregex (ECMAScript) on the value's
code points, so each is translated here:
  - `.` becomes Java's "any but a line terminator" ([^\\n\\r\\u0085\\u2028\\u2029]);
  - \\d \\w \\s \\S and \\p{Alnum} become Java's ASCII classes;
  - a trailing lookbehind `(?<!c)` (ECMAScript has none) becomes a leading `(?![\\s\\S]*c$)`;
  - `.*`, `.+` and `[\\S\\s]*` are not regexes at all but fast checks (kind single_line, any).
The tags' pattern `([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)` (Unicode letters, separators and numbers, and
a few marks) is kind `tag_text`, checked against a table of the code points in those Unicode
categories, generated from Python's unicodedata (its Unicode version is named in the output).
A pattern with anything else Java-only is emitted as `unchecked`: lengths are still checked, the
pattern is not.

Messages print a pattern as the service does. The service prints its own model's text, which older
botocore models carried verbatim (with `^`/`$` anchors that newer models strip); when such a model
is at hand (--display-model, by default the awscli one Debian ships) and its pattern is the same
once unanchored, its text is printed; otherwise the reference model's.

Runner rules (OVERRIDES) tighten the model where the service or the runner is stricter than the
current model says: the job-level structures every non-serverless training job needs are required
(older models said so), and InstanceCount/VolumeSizeInGB are at least 1.
"""
import argparse
import json
import os
import sys

import unicodedata

import botocore.loaders

# The input shapes validated, each a root of the emitted tree (the first at index 0).
ROOTS = ["CreateTrainingJobRequest", "AddTagsInput", "DeleteTagsInput", "ListTagsInput", "DeleteTrainingJobRequest"]
TAG_TEXT = "([\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*)"
DEFAULT_DISPLAY_MODEL = "/usr/lib/python3/dist-packages/awscli/botocore/data/sagemaker/2017-07-24/service-2.json"

# (structure shape, member) -> what the runner changes. "required": the member must be given;
# "min": a higher minimum (the member gets its own copy of the shape).
OVERRIDES = {
    ("CreateTrainingJobRequest", "AlgorithmSpecification"): {"required": True},
    ("CreateTrainingJobRequest", "ResourceConfig"): {"required": True},
    ("CreateTrainingJobRequest", "StoppingCondition"): {"required": True},
    ("ResourceConfig", "InstanceCount"): {"min": 1},
    ("ResourceConfig", "VolumeSizeInGB"): {"min": 1},
}

# Members whose S3 URI may also be file://… or an absolute path under UriPolicy::local.
LOCAL_URI_MEMBERS = {("S3DataSource", "S3Uri"), ("OutputDataConfig", "S3OutputPath"), ("CheckpointConfig", "S3Uri")}

LINE_TERMINATORS = "\\n\\r\\u0085\\u2028\\u2029"
CLASS_ESCAPES = {"d": "0-9", "w": "a-zA-Z0-9_", "s": " \\t\\n\\x0B\\f\\r"}


class Unsupported(Exception):
    pass


def translate(pattern):
    """Java regex -> ECMAScript for std::wregex, or raise Unsupported."""
    prefix = ""
    if pattern.endswith(")") and "(?<!" in pattern:
        start = pattern.rindex("(?<!")
        body = pattern[start + 4:-1]
        if len(body) == 1 or (len(body) == 2 and body[0] == "\\"):
            prefix = "(?![\\s\\S]*" + body + "$)"
            pattern = pattern[:start]
        else:
            raise Unsupported("lookbehind")
    out = []
    i = 0
    in_class = False
    while i < len(pattern):
        c = pattern[i]
        if c == "\\":
            if i + 1 >= len(pattern):
                raise Unsupported("trailing backslash")
            e = pattern[i + 1]
            i += 2
            if e == "p" or e == "P":
                if pattern.startswith("{Alnum}", i) and e == "p":
                    out.append("A-Za-z0-9" if in_class else "[A-Za-z0-9]")
                    i += len("{Alnum}")
                    continue
                raise Unsupported("\\p class")
            if e in CLASS_ESCAPES:
                out.append(CLASS_ESCAPES[e] if in_class else "[" + CLASS_ESCAPES[e] + "]")
            elif e in "DWS":
                if in_class:
                    out.append("\\" + e)  # [\S\s] and the like: ECMAScript's own class, close enough
                else:
                    out.append("[^" + CLASS_ESCAPES[e.lower()] + "]")
            elif e.isalnum() and e not in "tnrf":
                raise Unsupported("escape \\" + e)
            else:
                out.append("\\" + e)
            continue
        if in_class:
            if c == "[":
                raise Unsupported("nested class")
            if c == "]":
                in_class = False
            out.append(c)
        elif c == "[":
            in_class = True
            out.append(c)
            if pattern.startswith("^", i + 1):
                out.append("^")
                i += 1
        elif c == ".":
            out.append("[^" + LINE_TERMINATORS + "]")
        elif c in "^$":
            pass  # anchors: matching is whole-string anyway
        elif c == "(" and pattern.startswith("(?", i) and not pattern.startswith("(?:", i) and not pattern.startswith(
                "(?=", i) and not pattern.startswith("(?!", i):
            raise Unsupported("group construct")
        else:
            out.append(c)
        i += 1
    return prefix + "".join(out)


def pattern_kind(pattern):
    plain = pattern.lstrip("^").rstrip("$")
    if plain in ("[\\S\\s]*", "[\\s\\S]*"):
        return "any", ""
    if plain == ".*":
        return "single_line", ""
    if plain == ".+":
        return "single_line_nonempty", ""
    if plain == TAG_TEXT:
        return "tag_text", ""
    try:
        return "regex", translate(plain)
    except Unsupported:
        return "unchecked", ""


def cpp_string(text):
    out = []
    for ch in text:
        if ch in '"\\':
            out.append("\\" + ch)
        elif 32 <= ord(ch) < 127:
            out.append(ch)
        else:
            out.append("\\u%04x" % ord(ch))
    return '"' + "".join(out) + '"'


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--display-model", default=DEFAULT_DISPLAY_MODEL,
                        help="an older model whose anchored pattern texts the service prints (optional)")
    args = parser.parse_args()
    model = botocore.loaders.Loader().load_service_model("sagemaker", "service-2")
    shapes = model["shapes"]
    display = {}
    if args.display_model and os.path.exists(args.display_model):
        with open(args.display_model, encoding="utf-8") as f:
            display = json.load(f)["shapes"]

    order = []  # emitted shapes: (key, source shape name, overrides)
    index = {}

    def visit(name, override=None):
        key = name if not override or "min" not in override else name + "@" + str(override["min"])
        if key in index:
            return index[key]
        index[key] = len(order)
        order.append([key, name, override or {}, None])
        shape = shapes[name]
        kind = shape["type"]
        if kind == "structure":
            members = []
            required = set(shape.get("required", []))
            for member, ref in shape["members"].items():
                extra = OVERRIDES.get((name, member), {})
                child = visit(ref["shape"], extra if "min" in extra else None)
                flags = []
                if member in required or extra.get("required"):
                    flags.append("k_required")
                if (name, member) in LOCAL_URI_MEMBERS:
                    flags.append("k_local_uri")
                members.append((member, child, " | ".join(flags) or "0"))
            order[index[key]][3] = members
        elif kind == "list":
            order[index[key]][3] = visit(shape["member"]["shape"])
        elif kind == "map":
            order[index[key]][3] = (visit(shape["key"]["shape"]), visit(shape["value"]["shape"]))
        elif kind not in ("string", "integer", "long", "boolean"):
            sys.exit("unsupported shape type %s (%s)" % (kind, name))
        return index[key]

    roots = [(name, visit(name)) for name in ROOTS]

    print("// Generated by scripts/gen_sagemaker_shapes.py from botocore %s's SageMaker model and Unicode %s"
          % (botocore.__version__, unicodedata.unidata_version))
    print("// (Python's unicodedata). Do not edit.")
    print("// The input shape trees of %s;" % ", ".join(ROOTS))
    print("// included by src/job/shapes.cpp only.")
    print("// clang-format off")
    for i, (key, name, override, extra) in enumerate(order):
        shape = shapes[name]
        if shape["type"] == "structure":
            print("constexpr Member k_members_%d[] = {" % i)
            for member, child, flags in extra:
                print("  {%s, %d, %s}," % (cpp_string(member), child, flags))
            print("};")
        if "enum" in shape:
            values = ", ".join(cpp_string(v) for v in shape["enum"])
            print("constexpr std::string_view k_enum_%d[] = {%s};" % (i, values))
    print("constexpr Shape k_shapes[] = {")
    for i, (key, name, override, extra) in enumerate(order):
        shape = shapes[name]
        kind = shape["type"]
        fields = [".name = " + cpp_string(name), ".type = ShapeType::" + {"long": "long_"}.get(kind, kind)]
        minimum = override.get("min", shape.get("min"))
        if minimum is not None:
            fields.append(".min = %d" % minimum)
        if "max" in shape:
            fields.append(".max = %d" % shape["max"])
        if "pattern" in shape:
            pk, regex = pattern_kind(shape["pattern"])
            shown = shape["pattern"]
            old = display.get(name, {}).get("pattern")
            if old is not None and old.lstrip("^").rstrip("$") == shown:
                shown = old
            fields.append(".pattern_kind = PatternKind::" + pk)
            fields.append(".pattern = " + cpp_string(shown))
            if regex:
                fields.append(".regex = L" + cpp_string(regex))
        if "enum" in shape:
            fields.append(".enums = k_enum_%d" % i)
        if kind == "structure":
            fields.append(".members = k_members_%d" % i)
        elif kind == "list":
            fields.append(".element = %d" % extra)
        elif kind == "map":
            fields.append(".key = %d" % extra[0])
            fields.append(".value = %d" % extra[1])
        print("  {%s}," % ", ".join(fields))
    print("};")
    print("constexpr Root k_roots[] = {%s};" % ", ".join("{%s, %d}" % (cpp_string(n), i) for n, i in roots))
    print("// The code points of Unicode's categories L, Z and N (Java's \\p{L}, \\p{Z}, \\p{N}), as ranges.")
    print("constexpr CodePointRange k_letters_separators_numbers[] = {")
    ranges = letter_separator_number_ranges()
    for start in range(0, len(ranges), 6):
        print("  " + " ".join("{0x%x, 0x%x}," % r for r in ranges[start:start + 6]))
    print("};")
    print("// clang-format on")


def letter_separator_number_ranges():
    ranges = []
    first = None
    for point in range(0x110001):
        inside = point < 0x110000 and unicodedata.category(chr(point))[0] in "LZN"
        if inside and first is None:
            first = point
        elif not inside and first is not None:
            ranges.append((first, point - 1))
            first = None
    return ranges


if __name__ == "__main__":
    main()
