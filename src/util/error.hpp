#pragma once
// The error type every library function returns through std::expected.

#include <expected>
#include <string>
#include <utility>

namespace sagerun::util {

enum class ErrorKind {
  invalid_input, // the user's data or configuration is wrong
  not_found,     // a file, script or resource does not exist
  io,            // the operating system refused (errno in the message)
  unsupported,   // a feature this build does not offer yet
  internal,
};

struct Error {
  ErrorKind kind = ErrorKind::internal;
  std::string message; // what went wrong, where, and what to do
};

template <typename T> using Expected = std::expected<T, Error>;

inline std::unexpected<Error> fail(ErrorKind kind, std::string message) {
  return std::unexpected(Error{kind, std::move(message)});
}

// "what: strerror(errno)" for an OS call that failed.
std::string errno_message(const std::string& what, int error_number);

} // namespace sagerun::util

namespace sagerun {
// Every folder's namespace sits inside sagerun, so this spelling works everywhere.
template <typename T> using Expected = util::Expected<T>;
} // namespace sagerun
