#pragma once
// How a run ends: exit codes, and the output/failure and output/success files.

#include <string>
#include <string_view>

#include "contract/paths.hpp"
#include "util/error.hpp"

namespace sagerun::contract {

// train's own failures, distinct from ordinary script exits (documented in docs/contract.md).
inline constexpr int k_exit_no_script = 66;        // no entry script found (EX_NOINPUT)
inline constexpr int k_exit_install_failed = 69;   // requirements / package install failed (EX_UNAVAILABLE)
inline constexpr int k_exit_internal = 70;         // a bug or OS failure in train itself (EX_SOFTWARE)
inline constexpr int k_exit_hosts_unresolved = 75; // peers never resolved (EX_TEMPFAIL)
inline constexpr int k_exit_bad_config = 78;       // a config file is missing or malformed (EX_CONFIG)
inline constexpr int k_exit_not_executable = 126;  // the entry cannot be executed
inline constexpr int k_exit_not_found = 127;       // the interpreter or program is not there

// The first 1024 characters of the failure file become the job's FailureReason.
inline constexpr size_t k_failure_reason_limit = 1024;

// "first line\n<last lines of tail>", at most k_failure_reason_limit bytes.
std::string compose_failure(std::string_view first_line, std::string_view tail);

// Atomically writes output/failure (creating output/ when missing).
Expected<void> write_failure_file(const Paths& paths, std::string_view text);
Expected<void> write_success_file(const Paths& paths);

} // namespace sagerun::contract
