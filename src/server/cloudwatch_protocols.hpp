#pragma once
// CloudWatch's two wire protocols, as its clients speak them:
//   JSON 1.0  POST /, X-Amz-Target: GraniteServiceVersion20100801.<Operation>, a JSON body
//             (boto3 and the AWS CLI v1, with x-amzn-query-mode: true). Answers are
//             application/x-amz-json-1.0, timestamps epoch seconds; errors
//             {"__type": "com.amazonaws.cloudwatch#<Shape>", "message": …} with the query code in
//             `x-amzn-query-error: <Code>;Sender`, which botocore raises as the modelled exception.
//   query     POST / with a form body (Action=…&Version=2010-08-01&…) or a GET's query string
//             (the AWS CLI v2 2.9); answers and errors are text/xml (query_xml.hpp), with the
//             RequestId of the body in x-amzn-RequestId too.
// The operations' errors carry the query codes (cloudwatch_api.hpp); the signature's errors the
// front's JSON types, which the query protocol names as query services do (SignatureDoesNotMatch…).

#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"
#include "server/http_answer.hpp"
#include "server/query_form.hpp"

namespace sagerun::server {

inline constexpr std::string_view k_cloudwatch_target_prefix = "GraniteServiceVersion20100801.";
inline constexpr std::string_view k_cloudwatch_version = "2010-08-01";

HttpAnswer json10_result(const nlohmann::ordered_json& result);
// An operation's error goes with its query code alongside; the front's (the signature check's)
// as the front's other JSON errors go.
enum class ErrorSource { operation, front };
HttpAnswer json10_error(const ApiError& error, ErrorSource source);

HttpAnswer query_result(std::string_view operation, const nlohmann::ordered_json& result,
                        const std::string& request_id);
HttpAnswer query_error_answer(const ApiError& error, const std::string& request_id);

// The members that are numbers or booleans in CloudWatch's requests (a form's are text).
extern const FormShape k_cloudwatch_form_shape;

// Whether a request without X-Amz-Target is a query-protocol call: a form POST, or a GET whose
// query string names an Action.
bool is_query_call(std::string_view method, std::string_view target, std::string_view content_type);

// The form of a query call: the POST body, or the GET's query string.
ApiResult<FormParams> query_call_form(std::string_view method, std::string_view target, std::string_view body);

} // namespace sagerun::server
