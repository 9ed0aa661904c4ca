#include "server/cloudwatch_protocols.hpp"

#include <array>
#include <utility>

#include "server/query_xml.hpp"
#include "util/text.hpp"

namespace sagerun::server {
namespace {

constexpr const char* k_json10 = "application/x-amz-json-1.0";
constexpr const char* k_xml = "text/xml";

// The query code an error goes by in each protocol, and the JSON shape it is modelled as.
struct CodeNames {
  std::string_view query;
  std::string_view json;
};
constexpr std::array<CodeNames, 6> k_operation_codes = {{
    {"InvalidParameterValue", "InvalidParameterValueException"},
    {"InvalidParameterCombination", "InvalidParameterCombinationException"},
    {"MissingParameter", "MissingRequiredParameterException"},
    {"InvalidNextToken", "InvalidNextToken"},
    {"InternalServiceError", "InternalServiceFault"},
    {"ValidationError", "ValidationException"},
}};
// The signature check's JSON types, as query services name them.
constexpr std::array<CodeNames, 4> k_front_codes = {{
    {"MissingAuthenticationToken", "MissingAuthenticationTokenException"},
    {"IncompleteSignature", "IncompleteSignatureException"},
    {"InvalidClientTokenId", "UnrecognizedClientException"},
    {"SignatureDoesNotMatch", "InvalidSignatureException"},
}};

// The jobs service's own failure is CloudWatch's InternalServiceError.
ApiError as_cloudwatch(ApiError error) {
  if (error.type == "InternalFailure") error.type = "InternalServiceError";
  return error;
}

std::string_view fault(const ApiError& error) { return error.http_status >= 500 ? "Receiver" : "Sender"; }

std::string dump(const nlohmann::ordered_json& value) {
  return value.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

} // namespace

const FormShape k_cloudwatch_form_shape{{"Period", "MaxDatapoints"}, {"ReturnData", "IncludeLinkedAccounts"}};

HttpAnswer json10_result(const nlohmann::ordered_json& result) {
  HttpAnswer answer;
  answer.body = dump(result);
  answer.content_type = k_json10;
  return answer;
}

HttpAnswer json10_error(const ApiError& given, ErrorSource source) {
  const ApiError error = as_cloudwatch(given);
  HttpAnswer answer;
  answer.status = error.http_status;
  answer.content_type = k_json10;
  std::string shape = error.type;
  if (source == ErrorSource::operation) {
    for (const auto& names : k_operation_codes)
      if (names.query == error.type) shape = names.json;
    answer.headers.emplace_back("x-amzn-query-error", error.type + ";" + std::string(fault(error)));
  }
  answer.error_type = shape;
  const std::string type = source == ErrorSource::operation ? "com.amazonaws.cloudwatch#" + shape : shape;
  answer.body = dump({{"__type", type}, {"message", error.message}});
  return answer;
}

HttpAnswer query_result(std::string_view operation, const nlohmann::ordered_json& result,
                        const std::string& request_id) {
  HttpAnswer answer;
  answer.body = query_response(operation, result, request_id);
  answer.content_type = k_xml;
  answer.headers.emplace_back("x-amzn-RequestId", request_id);
  return answer;
}

HttpAnswer query_error_answer(const ApiError& given, const std::string& request_id) {
  ApiError error = as_cloudwatch(given);
  for (const auto& names : k_front_codes)
    if (names.json == error.type) error.type = names.query;
  HttpAnswer answer;
  answer.status = error.http_status;
  answer.error_type = error.type;
  answer.body = query_error(error, request_id);
  answer.content_type = k_xml;
  answer.headers.emplace_back("x-amzn-RequestId", request_id);
  return answer;
}

bool is_query_call(std::string_view method, std::string_view target, std::string_view content_type) {
  if (method == "POST") {
    return util::ascii_lower(std::string(content_type)).starts_with("application/x-www-form-urlencoded");
  }
  const auto question = target.find('?');
  if (method != "GET" || question == std::string_view::npos) return false;
  const std::string_view query = target.substr(question + 1);
  return query.starts_with("Action=") || query.find("&Action=") != std::string_view::npos;
}

ApiResult<FormParams> query_call_form(std::string_view method, std::string_view target, std::string_view body) {
  if (method == "POST") return parse_form(body);
  const auto question = target.find('?');
  return parse_form(question == std::string_view::npos ? std::string_view{} : target.substr(question + 1));
}

} // namespace sagerun::server
