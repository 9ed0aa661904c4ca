#pragma once
// Settings read from the environment (SAGERUN_STOP_GRACE_SECONDS, AWS_MAX_ATTEMPTS, …), parsed in
// one way everywhere: unset or empty means "the default"; anything else must parse whole and lie
// in range, or it is an error naming the variable, the value and what it takes — never a silent
// fallback.

#include <cstdint>
#include <optional>
#include <string_view>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::util {

struct IntegerRange {
  int64_t min = 0;
  int64_t max = INT64_MAX;
  std::string_view unit = {}; // "seconds", for the message; empty for a plain number
};

Expected<std::optional<int64_t>> integer_setting(const EnvMap& env, std::string_view name, IntegerRange range);

// A decimal number (fractions allowed), min < value <= max.
Expected<std::optional<double>> number_setting(const EnvMap& env, std::string_view name, double min, double max,
                                               std::string_view unit = {});

// 1/0, true/false, yes/no, on/off (any case).
Expected<std::optional<bool>> flag_setting(const EnvMap& env, std::string_view name);

} // namespace sagerun::util
