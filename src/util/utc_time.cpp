#include "util/utc_time.hpp"

#include <chrono>
#include <cmath>
#include <cstdio>

namespace sagerun::util {

std::string utc_text(double epoch_seconds, UtcStyle style) {
  const auto ms = std::chrono::milliseconds(std::llround(epoch_seconds * 1000.0));
  const std::chrono::sys_time<std::chrono::milliseconds> time(ms);
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day date(days);
  const std::chrono::hh_mm_ss clock(time - days);
  const int millis = static_cast<int>(clock.subseconds().count());
  const char separator = style == UtcStyle::human ? ' ' : 'T';
  char text[48];
  int used = std::snprintf(text, sizeof text, "%04d-%02u-%02u%c%02d:%02d:%02d", static_cast<int>(date.year()),
                           static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()), separator,
                           static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                           static_cast<int>(clock.seconds().count()));
  if (style != UtcStyle::iso_short || millis != 0)
    used += std::snprintf(text + used, sizeof text - static_cast<size_t>(used), ".%03d", millis);
  if (style != UtcStyle::human) std::snprintf(text + used, sizeof text - static_cast<size_t>(used), "Z");
  return text;
}

} // namespace sagerun::util
