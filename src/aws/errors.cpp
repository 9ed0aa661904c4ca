#include "aws/errors.hpp"

#include <nlohmann/json.hpp>

#include "aws/xml.hpp"

namespace sagerun::aws {
namespace {

std::string code_for_status(int status) {
  switch (status) {
  case 301: return "PermanentRedirect";
  case 400: return "BadRequest";
  case 403: return "Forbidden";
  case 404: return "NotFound";
  case 409: return "Conflict";
  case 412: return "PreconditionFailed";
  case 429: return "TooManyRequests";
  case 500: return "InternalError";
  case 503: return "ServiceUnavailable";
  default: return "HTTP" + std::to_string(status);
  }
}

} // namespace

std::string ServiceError::describe() const {
  std::string text = code;
  if (!message.empty()) text += ": " + message;
  text += " (HTTP " + std::to_string(status) + ")";
  return text;
}

ServiceError parse_service_error(const HttpResponse& response) {
  ServiceError error;
  error.status = response.status;
  const std::string& body = response.body;
  if (!body.empty() && body.find('<') != std::string::npos) {
    error.code = xml::first(body, "Code").value_or("");
    error.message = xml::first(body, "Message").value_or("");
    error.request_id = xml::first(body, "RequestId").value_or("");
  } else if (!body.empty() && body.front() == '{') {
    try {
      const auto json = nlohmann::json::parse(body);
      std::string type = json.value("__type", json.value("code", std::string()));
      // "com.amazonaws.sagemaker#ValidationException" → "ValidationException"
      if (const auto hash = type.rfind('#'); hash != std::string::npos) type = type.substr(hash + 1);
      error.code = type;
      error.message = json.value("message", json.value("Message", std::string()));
    } catch (const nlohmann::json::exception&) {
      error.message = "(the error body is not valid JSON)"; // the code then comes from the status
    }
  }
  if (error.code.empty()) {
    error.code = find_header(response.headers, "x-amzn-ErrorType").value_or(code_for_status(response.status));
    if (const auto colon = error.code.find(':'); colon != std::string::npos) error.code.resize(colon);
  }
  if (error.request_id.empty()) {
    error.request_id = find_header(response.headers, "x-amz-request-id")
                           .value_or(find_header(response.headers, "x-amzn-RequestId").value_or(""));
  }
  return error;
}

util::Error to_error(const ServiceError& error, const std::string& context) {
  const auto kind = error.status == 404   ? util::ErrorKind::not_found
                    : error.status >= 500 ? util::ErrorKind::io
                                          : util::ErrorKind::invalid_input;
  util::Error out{kind, context + ": " + error.describe()};
  out.code = error.code;
  out.http_status = error.status;
  return out;
}

} // namespace sagerun::aws
