#pragma once
// The container client (docker, or podman with the same verbs), run as a child process: argv
// only, never a shell. A secret (a registry password) reaches it only through its stdin pipe —
// never its command line or environment, where other users or logs could see it.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/environment.hpp"
#include "util/error.hpp"

namespace sagerun::image {

// Where the client's stdout goes: to our stderr (progress, so that our stdout stays the
// command's answer), or captured. Its stderr always goes to our stderr.
enum class Output { to_stderr, capture };

struct ClientResult {
  int exit_code = 0;  // 128+N when killed by signal N
  std::string output; // stdout, when captured
};

class ContainerCli {
public:
  // program: "docker", "podman" or a path to either.
  ContainerCli(std::string program, util::EnvMap env);

  const std::string& program() const { return m_program; }
  bool is_podman() const;

  // Runs `program args...` to its end. `input`, when given, is written to its stdin (then
  // closed; small: a password, at most a pipe's buffer); stdin is /dev/null otherwise. Fails
  // only when it could not be started.
  Expected<ClientResult> run(const std::vector<std::string>& args, Output output,
                             std::optional<std::string_view> input = std::nullopt) const;

  // The same, with a non-zero exit turned into an error: "`docker push …` failed (exit 1)"
  // followed by `what_to_do`. Returns the captured output.
  Expected<std::string> check(const std::vector<std::string>& args, Output output, const std::string& what_to_do,
                              std::optional<std::string_view> input = std::nullopt) const;

private:
  std::string m_program;
  util::EnvMap m_env;
};

// "docker push host/name:tag" for messages; the arguments never hold a secret.
std::string describe_command(const std::string& program, const std::vector<std::string>& args);

} // namespace sagerun::image
