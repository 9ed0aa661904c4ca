#include "contract/settings.hpp"

#include "util/settings.hpp"

namespace sagerun::contract {
namespace {

Expected<void> read_seconds(const util::EnvMap& env, const char* name, int64_t max, std::chrono::seconds& target) {
  auto value = util::integer_setting(env, name, {.min = 0, .max = max, .unit = "of seconds"});
  if (!value) return std::unexpected(value.error());
  if (*value) target = std::chrono::seconds(**value);
  return {};
}

Expected<void> read_flag(const util::EnvMap& env, const char* name, bool& target) {
  auto value = util::flag_setting(env, name);
  if (!value) return std::unexpected(value.error());
  if (*value) target = **value;
  return {};
}

} // namespace

Expected<TrainSettings> read_train_settings(const util::EnvMap& env) {
  TrainSettings settings;
  if (auto read = read_seconds(env, "SAGERUN_STOP_GRACE_SECONDS", 86400, settings.stop_grace); !read)
    return std::unexpected(read.error());
  if (auto read = read_seconds(env, "SAGERUN_HOST_WAIT_SECONDS", 7 * 86400, settings.host_wait); !read)
    return std::unexpected(read.error());
  if (auto read = read_flag(env, "SAGERUN_INSTALL_REQUIREMENTS", settings.install_requirements); !read)
    return std::unexpected(read.error());
  if (auto read = read_flag(env, "SAGERUN_DEBUG", settings.debug); !read) return std::unexpected(read.error());
  return settings;
}

} // namespace sagerun::contract
