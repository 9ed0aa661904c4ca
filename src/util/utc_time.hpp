#pragma once
// Seconds since the epoch as UTC text, to the millisecond (rounded), in the forms the project
// writes: ISO 8601 as AWS's XML and the dashboard write it, and a plain one for people.

#include <string>

namespace sagerun::util {

enum class UtcStyle {
  iso,       // "2026-12-02T02:30:01.250Z"
  iso_short, // "2026-12-02T02:30:01Z" when the milliseconds are 0, else as iso
  human,     // "2026-12-02 02:30:01.250"
};

std::string utc_text(double epoch_seconds, UtcStyle style = UtcStyle::iso);

} // namespace sagerun::util
