#pragma once
// An error as the AWS JSON 1.1 services send it: an HTTP status, the `__type` and the message
// (`{"__type":"ValidationException","message":"…"}`), so boto3 and the AWS CLI raise the
// service's own exception classes.

#include <expected>
#include <string>

#include "util/error.hpp"

namespace sagerun::server {

struct ApiError {
  int http_status = 400;
  std::string type;
  std::string message;
};

template <typename T> using ApiResult = std::expected<T, ApiError>;

inline std::unexpected<ApiError> api_error(int http_status, std::string type, std::string message) {
  return std::unexpected(ApiError{http_status, std::move(type), std::move(message)});
}

inline std::unexpected<ApiError> validation_error(std::string message) {
  return api_error(400, "ValidationException", std::move(message));
}

inline std::unexpected<ApiError> invalid_parameter(std::string message) {
  return api_error(400, "InvalidParameterException", std::move(message));
}

// CloudWatch Logs names a broken constraint InvalidParameterException.
inline std::unexpected<ApiError> as_logs_error(ApiError error) {
  if (error.type == "ValidationException") error.type = "InvalidParameterException";
  return std::unexpected(std::move(error));
}

// The response body of an error.
std::string error_body(const ApiError& error);

// An error of the jobs service as the API answers it: its service code and status when it has
// them (ValidationException, ResourceInUse, …), else an InternalFailure (500).
ApiError to_api_error(const util::Error& error);

} // namespace sagerun::server
