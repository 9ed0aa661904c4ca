#include "job/shapes.hpp"

#include <algorithm>
#include <array>
#include <mutex>
#include <optional>
#include <regex>

namespace sagerun::job::shapes {
namespace {

#include "job/sagemaker_shapes.inc"

constexpr size_t k_shape_count = std::size(k_shapes);

bool is_line_terminator(wchar_t c) { return c == L'\n' || c == L'\r' || c == 0x85 || c == 0x2028 || c == 0x2029; }

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
  case PatternKind::regex: break;
  }
  const auto index = static_cast<size_t>(&shape - k_shapes);
  return std::regex_match(code_points.begin(), code_points.end(), compiled(index));
}

} // namespace sagerun::job::shapes
