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
  Error() = default;
  Error(ErrorKind error_kind, std::string text) : kind(error_kind), message(std::move(text)) {}
  // A service's error (or one our own API answers with).
  Error(ErrorKind error_kind, std::string text, std::string service_code, int status)
      : kind(error_kind), message(std::move(text)), code(std::move(service_code)), http_status(status) {}

  ErrorKind kind = ErrorKind::internal;
  std::string message; // what went wrong, where, and what to do
  // For errors a service answered (or that our own API answers): its code
  // ("ValidationException", "NoSuchKey") and HTTP status, kept as fields so nobody parses
  // them back out of the message. Empty and 0 for every other error.
  std::string code;
  int http_status = 0;
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
