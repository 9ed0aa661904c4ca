#pragma once
// train's own log lines: few, marked with "[sagerun] ", written to stderr in one write each so
// they never tear a line of the script's output apart.

#include <string_view>

namespace sagerun::util::log {

inline constexpr std::string_view k_marker = "[sagerun] ";

void info(std::string_view message);
void warn(std::string_view message);
void error(std::string_view message);

// Debug lines are printed only when enabled (SM_LOG_LEVEL / sagemaker_container_log_level <= 10).
void set_debug(bool enabled);
bool debug_enabled();
void debug(std::string_view message);

} // namespace sagerun::util::log
