#include "util/log.hpp"

#include <string>

#include "util/fd.hpp"

namespace sagerun::util::log {
namespace {

bool g_debug = false;

void emit(std::string_view level, std::string_view message) {
  std::string line;
  line.reserve(k_marker.size() + level.size() + message.size() + 1);
  line.append(k_marker).append(level).append(message).push_back('\n');
  write_all(2, line);
}

} // namespace

void info(std::string_view message) { emit("", message); }
void warn(std::string_view message) { emit("warning: ", message); }
void error(std::string_view message) { emit("error: ", message); }
void set_debug(bool enabled) { g_debug = enabled; }
bool debug_enabled() { return g_debug; }
void debug(std::string_view message) {
  if (g_debug) emit("debug: ", message);
}

} // namespace sagerun::util::log
