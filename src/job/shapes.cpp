#include "job/shapes.hpp"

#include <algorithm>
#include <array>
#include <iterator>
#include <mutex>
#include <optional>
#include <regex>
#include <string_view>

namespace sagerun::job::shapes {
namespace {

struct Root {
  std::string_view name;
  uint16_t shape = 0;
};

struct CodePointRange {
  char32_t first = 0;
  char32_t last = 0;
};

#include "job/sagemaker_shapes.inc"

constexpr size_t k_shape_count = std::size(k_shapes);

bool is_line_terminator(wchar_t c) { return c == L'\n' || c == L'\r' || c == 0x85 || c == 0x2028 || c == 0x2029; }

// Java's [\p{L}\p{Z}\p{N}_.:/=+\-@]: a letter, separator or number, or one of the marks.
bool is_tag_character(wchar_t c) {
  if (c < 0x80 && std::wstring_view(L"_.:/=+-@").find(c) != std::wstring_view::npos) return true;
  const auto point = static_cast<char32_t>(c);
  const auto* range = std::ranges::lower_bound(k_letters_separators_numbers, point, {}, &CodePointRange::last);
  return range != std::end(k_letters_separators_numbers) && range->first <= point;
}

// Each regex compiled on its first use, once (a request touches a few of the model's hundreds;
// compiling them all cost a short-lived `sagerun local` more than the rest of its validation).
struct LazyRegex {
  std::once_flag once;
  std::optional<std::wregex> regex;
};

const std::wregex& compiled(size_t index) {
  static std::array<LazyRegex, k_shape_count> table;
  auto& entry = table[index];
  std::call_once(entry.once, [&] {
    entry.regex.emplace(k_shapes[index].regex.begin(), k_shapes[index].regex.end(), std::regex::ECMAScript);
  });
  return *entry.regex;
}

} // namespace

const Shape& request_shape() { return k_shapes[0]; }

const Shape* input_shape(std::string_view name) {
  const auto* root = std::ranges::find(k_roots, name, &Root::name);
  return root == std::end(k_roots) ? nullptr : &k_shapes[root->shape];
}

const Shape& shape(uint16_t index) { return k_shapes[index]; }

std::span<const Shape> all_shapes() { return k_shapes; }

bool matches_pattern(const Shape& shape, std::wstring_view code_points) {
  switch (shape.pattern_kind) {
  case PatternKind::none:
  case PatternKind::any:
  case PatternKind::unchecked: return true;
  case PatternKind::single_line_nonempty:
    if (code_points.empty()) return false;
    [[fallthrough]];
  case PatternKind::single_line: return std::ranges::none_of(code_points, is_line_terminator);
  case PatternKind::tag_text: return std::ranges::all_of(code_points, is_tag_character);
  case PatternKind::regex: break;
  }
  const auto index = static_cast<size_t>(&shape - k_shapes);
  return std::regex_match(code_points.begin(), code_points.end(), compiled(index));
}

} // namespace sagerun::job::shapes
