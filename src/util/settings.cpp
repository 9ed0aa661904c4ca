#include "util/settings.hpp"

#include <charconv>
#include <cmath>
#include <string>

#include "util/text.hpp"

namespace sagerun::util {
namespace {

std::optional<std::string> given(const EnvMap& env, std::string_view name) {
  auto value = lookup(env, std::string(name));
  if (!value || trim(*value).empty()) return std::nullopt;
  return std::string(trim(*value));
}

std::unexpected<Error> refused(std::string_view name, const std::string& value, const std::string& wanted) {
  return fail(ErrorKind::invalid_input, std::string(name) + "='" + value + "' is not " + wanted +
                                            "; set it to such a value or unset it for the default");
}

std::string with_unit(std::string text, std::string_view unit) {
  if (!unit.empty()) text += " " + std::string(unit);
  return text;
}

} // namespace

Expected<std::optional<int64_t>> integer_setting(const EnvMap& env, std::string_view name, IntegerRange range) {
  const auto text = given(env, name);
  if (!text) return std::optional<int64_t>();
  int64_t value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  const std::string wanted = with_unit("a whole number", range.unit) + " from " + std::to_string(range.min) +
                             (range.max == INT64_MAX ? " up" : " to " + std::to_string(range.max));
  if (ec != std::errc() || end != text->data() + text->size() || value < range.min || value > range.max) {
    return refused(name, *text, wanted);
  }
  return std::optional<int64_t>(value);
}

Expected<std::optional<double>> number_setting(const EnvMap& env, std::string_view name, double min, double max,
                                               std::string_view unit) {
  const auto text = given(env, name);
  if (!text) return std::optional<double>();
  double value = 0;
  const auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), value);
  if (ec != std::errc() || end != text->data() + text->size() || !std::isfinite(value) || value <= min || value > max) {
    auto format = [](double number) {
      std::string out = std::to_string(number);
      while (out.ends_with('0'))
        out.pop_back();
      if (out.ends_with('.')) out.pop_back();
      return out;
    };
    return refused(name, *text, with_unit("a number", unit) + " above " + format(min) + " and at most " + format(max));
  }
  return std::optional<double>(value);
}

Expected<std::optional<bool>> flag_setting(const EnvMap& env, std::string_view name) {
  const auto text = given(env, name);
  if (!text) return std::optional<bool>();
  const std::string value = ascii_lower(*text);
  if (value == "1" || value == "true" || value == "yes" || value == "on") return std::optional<bool>(true);
  if (value == "0" || value == "false" || value == "no" || value == "off") return std::optional<bool>(false);
  return refused(name, *text, "1 or 0 (true or false)");
}

} // namespace sagerun::util
