#pragma once
// From a located entry to the commands that install its requirements and run it. Everything is
// argv: no shell ever sees a hyperparameter.

#include <optional>
#include <string>
#include <vector>

#include "entrypoint/locate.hpp"

namespace sagerun::entrypoint {

struct Step {
  std::vector<std::string> argv;
  fs::path cwd;
};

enum class InstallRequirements { no, yes };

// pip install for a package folder (with its requirements.txt), or pip install -r for a
// requirements.txt beside the entry; nothing when neither applies.
std::optional<Step> install_step(const Entry& entry, const std::string& python, InstallRequirements requirements);

// pip's verdict in its output: the last line that starts "ERROR: " (or "error: "), without the
// prefix's spaces around it; empty when there is none.
std::string pip_error_line(const std::string& output);

// The command that runs the entry with `args` appended.
Expected<Step> run_step(const Entry& entry, const std::string& python, const std::vector<std::string>& args);

// "#!/usr/bin/env python3 -u" -> {"/usr/bin/env", "python3 -u"} (Linux passes the rest as one argument).
std::vector<std::string> parse_shebang(const std::string& first_line);

} // namespace sagerun::entrypoint
