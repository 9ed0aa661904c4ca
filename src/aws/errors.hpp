#pragma once
// AWS service errors, parsed from any response: S3's XML, JSON 1.1's {"__type","message"}, or
// only the status for bodiless responses (HEAD).

#include <string>

#include "aws/http.hpp"
#include "util/error.hpp"

namespace sagerun::aws {

struct ServiceError {
  int status = 0;
  std::string code; // "NoSuchKey", "ValidationException", …
  std::string message;
  std::string request_id;

  // "NoSuchKey: The specified key does not exist. (HTTP 404)"
  std::string describe() const;
};

ServiceError parse_service_error(const HttpResponse& response);

// A util::Error carrying the service's code and message, with `context` ("GET s3://b/k") first;
// the code and HTTP status are also kept as fields (util::Error::code, http_status).
util::Error to_error(const ServiceError& error, const std::string& context);

} // namespace sagerun::aws
