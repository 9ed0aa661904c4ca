#include "entrypoint/prepare.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "test_support.hpp"
#include "util/atomic_file.hpp"
#include "util/files.hpp"

namespace sagerun::entrypoint {
namespace {

using Argv = std::vector<std::string>;

Entry make_entry(const std::filesystem::path& dir, const std::string& name, const std::string& content,
                 mode_t mode = 0644) {
  EXPECT_TRUE(util::write_file_atomic(dir / name, content));
  ::chmod((dir / name).c_str(), mode);
  return entry_in_folder(dir, "");
}

TEST(Shebang, Parses) {
  EXPECT_EQ(parse_shebang("#!/bin/bash"), (Argv{"/bin/bash"}));
  EXPECT_EQ(parse_shebang("#! /usr/bin/env python3 -u -B"), (Argv{"/usr/bin/env", "python3 -u -B"}));
  EXPECT_EQ(parse_shebang("echo hi"), Argv{});
}

TEST(RunStep, PythonScriptByRelativeName) {
  test::TempDir dir;
  auto entry = make_entry(dir.path(), "train.py", "print(1)");
  auto step = run_step(entry, "python3", {"--epochs", "3"});
  ASSERT_TRUE(step);
  EXPECT_EQ(step->argv, (Argv{"python3", "train.py", "--epochs", "3"}));
  EXPECT_EQ(step->cwd, dir.path());
}

TEST(RunStep, ShellScripts) {
  test::TempDir dir;
  auto plain = make_entry(dir.path(), "train.sh", "echo hi\n");
  EXPECT_EQ(run_step(plain, "python3", {"-a", "1"})->argv, (Argv{"/bin/sh", "train.sh", "-a", "1"}));
  auto bash = make_entry(dir.path(), "train.sh", "#!/bin/bash -e\necho hi\n");
  EXPECT_EQ(run_step(bash, "python3", {})->argv, (Argv{"/bin/bash", "-e", "train.sh"}));
  auto executable = make_entry(dir.path(), "train.sh", "#!/bin/bash\n", 0755);
  EXPECT_EQ(run_step(executable, "python3", {})->argv, (Argv{(dir.path() / "train.sh").string()}));
}

TEST(RunStep, ExecutableMustBeExecutable) {
  test::TempDir dir;
  auto entry = make_entry(dir.path(), "train",
                          "\x7f"
                          "ELF");
  auto step = run_step(entry, "python3", {});
  ASSERT_FALSE(step);
  EXPECT_NE(step.error().message.find("chmod +x"), std::string::npos);
}

TEST(InstallStep, RequirementsAndPackages) {
  test::TempDir dir;
  auto entry = make_entry(dir.path(), "train.py", "");
  EXPECT_FALSE(install_step(entry, "py", InstallRequirements::yes));
  ASSERT_TRUE(util::write_file_atomic(dir.path() / "requirements.txt", "numpy\n"));
  EXPECT_EQ(install_step(entry, "py", InstallRequirements::yes)->argv,
            (Argv{"py", "-m", "pip", "install", "-r", "requirements.txt"}));
  EXPECT_FALSE(install_step(entry, "py", InstallRequirements::no));
  ASSERT_TRUE(util::write_file_atomic(dir.path() / "pyproject.toml", ""));
  auto package = entry_in_folder(dir.path(), "");
  EXPECT_EQ(install_step(package, "py", InstallRequirements::yes)->argv,
            (Argv{"py", "-m", "pip", "install", ".", "-r", "requirements.txt"}));
  EXPECT_EQ(run_step(package, "py", {"-x", "1"})->argv, (Argv{"py", "-m", "train", "-x", "1"}));
}

// A failed install's FailureReason leads with this line: pip's verdict, the last of its errors.
TEST(PipErrorLine, TheLastErrorLineOfPipsOutput) {
  const std::string output =
      "Looking in links: /wheels\n"
      "ERROR: Could not find a version that satisfies the requirement nope==9 (from versions: none)\n"
      "ERROR: No matching distribution found for nope==9\r\n"
      "\n[notice] A new release of pip is available\n";
  EXPECT_EQ(pip_error_line(output), "ERROR: No matching distribution found for nope==9");
  EXPECT_EQ(pip_error_line("error: externally-managed-environment\n\n× This environment is externally managed"),
            "error: externally-managed-environment");
  EXPECT_EQ(pip_error_line("Successfully installed x-1.0\n"), "");
}

} // namespace
} // namespace sagerun::entrypoint
