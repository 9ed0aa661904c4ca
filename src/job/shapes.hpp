#pragma once
// The input shape trees of the SageMaker operations the server checks — CreateTrainingJob, AddTags,
// DeleteTags, ListTags, DeleteTrainingJob — generated from botocore's SageMaker model by
// scripts/gen_sagemaker_shapes.py into sagemaker_shapes.inc, for the validator.

#include <cstdint>
#include <optional>
#include <regex>
#include <span>
#include <string_view>

namespace sagerun::job::shapes {

enum class ShapeType { structure, list, map, string, integer, long_, boolean };

// How a string's pattern is checked. `any`, `single_line` (Java's `.*`: no line terminator) and
// `single_line_nonempty` (`.+`) need no regex; `tag_text` is the tags' `[\p{L}\p{Z}\p{N}_.:/=+\-@]*`,
// checked against Unicode's categories; `unchecked` patterns use other Java-only syntax.
enum class PatternKind { none, any, single_line, single_line_nonempty, regex, tag_text, unchecked };

inline constexpr uint8_t k_required = 1;  // the member must be given
inline constexpr uint8_t k_local_uri = 2; // an S3 URI that UriPolicy::local also lets be local

struct Member {
  std::string_view name;
  uint16_t shape = 0;
  uint8_t flags = 0;
};

struct Shape { // NOLINT(clang-analyzer-optin.performance.Padding): field order is the .inc designated-initializer order
  std::string_view name = {};
  ShapeType type = ShapeType::string;
  std::optional<int64_t> min = {}; // length (strings, lists, maps) or value (numbers)
  std::optional<int64_t> max = {};
  PatternKind pattern_kind = PatternKind::none;
  std::string_view pattern = {}; // as the service prints it
  std::wstring_view regex = {};  // ECMAScript translation, for PatternKind::regex
  std::span<const std::string_view> enums = {};
  std::span<const Member> members = {};
  uint16_t element = 0; // list
  uint16_t key = 0;     // map
  uint16_t value = 0;   // map
};

// The request shape (CreateTrainingJobRequest), an operation's input shape by name
// ("AddTagsInput"; nullptr when not generated), and any shape by index.
const Shape& request_shape();
const Shape* input_shape(std::string_view name);
const Shape& shape(uint16_t index);
std::span<const Shape> all_shapes();

// The longest value a regex is run on: std::regex recurses per character, so it must never meet
// a megabyte string. Every regex-checked shape has a max below it (a unit test holds this), so a
// longer value has already failed its length check.
inline constexpr size_t k_regex_input_limit = 4096;

// Whether `code_points` matches the shape's pattern as Java's String.matches would (true for
// shapes without a checkable pattern). Regexes are compiled once, on first use.
bool matches_pattern(const Shape& shape, std::wstring_view code_points);

} // namespace sagerun::job::shapes
