#include "job/shapes.hpp"

#include <algorithm>
#include <array>
#include <vector>

namespace sagerun::job::shapes {
namespace {

#include "job/sagemaker_shapes.inc"

constexpr size_t k_shape_count = std::size(k_shapes);

bool is_line_terminator(wchar_t c) { return c == L'\n' || c == L'\r' || c == 0x85 || c == 0x2028 || c == 0x2029; }

// Every regex compiled once; the table is built on first use (thread-safe static init).
const std::vector<std::optional<std::wregex>>& compiled() {
  static const std::vector<std::optional<std::wregex>> table = [] {
    std::vector<std::optional<std::wregex>> out(k_shape_count);
    for (size_t i = 0; i < k_shape_count; ++i) {
      if (k_shapes[i].pattern_kind == PatternKind::regex)
        out[i].emplace(k_shapes[i].regex.begin(), k_shapes[i].regex.end(), std::regex::ECMAScript);
    }
    return out;
  }();
  return table;
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
  const auto& regex = compiled().at(index);
  return regex && std::regex_match(code_points.begin(), code_points.end(), *regex);
}

} // namespace sagerun::job::shapes
