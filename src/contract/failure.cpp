#include "contract/failure.hpp"

#include "util/atomic_file.hpp"
#include "util/files.hpp"
#include "util/ring_buffer.hpp"

namespace sagerun::contract {

std::string compose_failure(std::string_view first_line, std::string_view tail) {
  // One byte stays free for the file's final newline.
  constexpr size_t budget = k_failure_reason_limit - 1;
  std::string text(first_line.substr(0, budget));
  if (text.size() + 1 < budget && !tail.empty()) {
    const std::string lines = util::last_lines(tail, budget - text.size() - 1);
    if (!lines.empty()) text += "\n" + lines;
  }
  return text;
}

Expected<void> write_failure_file(const Paths& paths, std::string_view text) {
  if (auto ok = util::make_directories(paths.output()); !ok) return ok;
  std::string content(text);
  if (content.empty() || content.back() != '\n') content.push_back('\n');
  return util::write_file_atomic(paths.failure_file(), content);
}

Expected<void> write_success_file(const Paths& paths) {
  if (auto ok = util::make_directories(paths.output()); !ok) return ok;
  return util::write_file_atomic(paths.success_file(), "");
}

} // namespace sagerun::contract
