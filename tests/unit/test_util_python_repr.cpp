#include "util/python_repr.hpp"

#include <gtest/gtest.h>

#include <cmath>

namespace sagerun::util {
namespace {

OrderedJson parse(const char* text) { return OrderedJson::parse(text); }

TEST(PythonStr, Scalars) {
  EXPECT_EQ(python_str(parse("true")), "True");
  EXPECT_EQ(python_str(parse("false")), "False");
  EXPECT_EQ(python_str(parse("null")), "None");
  EXPECT_EQ(python_str(parse("10")), "10");
  EXPECT_EQ(python_str(parse("-3")), "-3");
  EXPECT_EQ(python_str(parse("\"bare text\"")), "bare text");
}

TEST(PythonStr, FloatsFollowPythonRepr) {
  EXPECT_EQ(python_float_repr(1.0), "1.0");
  EXPECT_EQ(python_float_repr(0.1), "0.1");
  EXPECT_EQ(python_float_repr(1e-05), "1e-05");
  EXPECT_EQ(python_float_repr(0.0001), "0.0001");
  EXPECT_EQ(python_float_repr(1000.0), "1000.0");
  EXPECT_EQ(python_float_repr(1e16), "1e+16");
  EXPECT_EQ(python_float_repr(123456789012345678.0), "1.2345678901234568e+17");
  EXPECT_EQ(python_float_repr(NAN), "nan");
  EXPECT_EQ(python_float_repr(-INFINITY), "-inf");
}

TEST(PythonRepr, ListsAndDictsKeepInsertionOrder) {
  EXPECT_EQ(python_str(parse("[1, \"a\", true, null, 0.5]")), "[1, 'a', True, None, 0.5]");
  EXPECT_EQ(python_str(parse("{\"b\": 1, \"a\": [\"x\"]}")), "{'b': 1, 'a': ['x']}");
  EXPECT_EQ(python_str(parse("[]")), "[]");
}

TEST(PythonRepr, StringQuotingAndEscapes) {
  EXPECT_EQ(python_string_repr("it's"), "\"it's\"");
  EXPECT_EQ(python_string_repr("say \"hi\""), "'say \"hi\"'");
  EXPECT_EQ(python_string_repr("both ' and \""), "'both \\' and \"'");
  EXPECT_EQ(python_string_repr("a\nb\tc\\"), "'a\\nb\\tc\\\\'");
  EXPECT_EQ(python_string_repr("\x01"), "'\\x01'");
  EXPECT_EQ(python_string_repr("caf\xc3\xa9 \xe2\x9c\x93"), "'caf\xc3\xa9 \xe2\x9c\x93'");
}

TEST(PythonJsonDumps, CompactSortedAscii) {
  EXPECT_EQ(python_json_dumps(parse("{\"b\": {\"z\": 1, \"y\": 2}, \"a\": \"caf\xc3\xa9\"}")),
            "{\"a\":\"caf\\u00e9\",\"b\":{\"y\":2,\"z\":1}}");
  EXPECT_EQ(python_json_dumps(parse("[1.0, 1e-05, \"\\n\"]")), "[1.0,1e-05,\"\\n\"]");
}

} // namespace
} // namespace sagerun::util
