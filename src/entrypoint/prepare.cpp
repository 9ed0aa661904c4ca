#include "entrypoint/prepare.hpp"

#include "util/files.hpp"

namespace sagerun::entrypoint {

std::vector<std::string> parse_shebang(const std::string& first_line) {
  if (!first_line.starts_with("#!")) return {};
  std::string rest = first_line.substr(2);
  const auto blank = [](char c) { return c == ' ' || c == '\t' || c == '\r'; };
  while (!rest.empty() && blank(rest.front()))
    rest.erase(rest.begin());
  while (!rest.empty() && blank(rest.back()))
    rest.pop_back();
  if (rest.empty()) return {};
  size_t end = 0;
  while (end < rest.size() && !blank(rest[end]))
    ++end;
  std::vector<std::string> out{rest.substr(0, end)};
  while (end < rest.size() && blank(rest[end]))
    ++end;
  if (end < rest.size()) out.push_back(rest.substr(end));
  return out;
}

std::optional<Step> install_step(const Entry& entry, const std::string& python, InstallRequirements requirements) {
  const bool has_requirements =
      requirements == InstallRequirements::yes && util::is_file(entry.directory / "requirements.txt");
  if (entry.kind == ScriptKind::python_package) {
    Step step{{python, "-m", "pip", "install", "."}, entry.directory};
    if (has_requirements) {
      step.argv.push_back("-r");
      step.argv.push_back("requirements.txt");
    }
    return step;
  }
  if (has_requirements) return Step{{python, "-m", "pip", "install", "-r", "requirements.txt"}, entry.directory};
  return std::nullopt;
}

std::string pip_error_line(const std::string& output) {
  std::string found;
  size_t start = 0;
  while (start < output.size()) {
    size_t end = output.find('\n', start);
    if (end == std::string::npos) end = output.size();
    std::string_view line(output.data() + start, end - start);
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.remove_suffix(1);
    if (line.starts_with("ERROR: ") || line.starts_with("error: ")) found = std::string(line);
    start = end + 1;
  }
  return found;
}

Expected<Step> run_step(const Entry& entry, const std::string& python, const std::vector<std::string>& args) {
  Step step{{}, entry.directory};
  const auto path = entry.directory / entry.name;
  switch (entry.kind) {
  case ScriptKind::python: step.argv = {python, entry.name}; break;
  case ScriptKind::python_package: step.argv = {python, "-m", entry.module}; break;
  case ScriptKind::shell:
  case ScriptKind::executable: {
    auto shebang = parse_shebang(util::read_first_line(path));
    if (util::is_executable(path)) {
      step.argv = {path.string()}; // the kernel honours its shebang
    } else if (!shebang.empty()) {
      step.argv = std::move(shebang);
      step.argv.push_back(entry.name);
    } else if (entry.kind == ScriptKind::shell) {
      step.argv = {"/bin/sh", entry.name};
    } else {
      return util::fail(util::ErrorKind::invalid_input,
                        path.string() + " is neither executable nor a script with a #! line; run chmod +x on it, "
                                        "or name it train.py / train.sh");
    }
    break;
  }
  }
  step.argv.insert(step.argv.end(), args.begin(), args.end());
  return step;
}

} // namespace sagerun::entrypoint
