#pragma once
// The AWS query protocol's requests (CloudWatch as the AWS CLI v2 2.9 speaks it): a form,
// `Action=GetMetricStatistics&Version=2010-08-01&Namespace=…&Dimensions.member.1.Name=Host&…`,
// in a POST body (application/x-www-form-urlencoded) or a GET's query string. Read strictly:
// '+' is a space, %XX a byte, anything else after a '%' is refused naming the parameter, and
// so is a parameter given twice. Errors are MalformedQueryString (400).
//
// The parameters then become the JSON body of the same call (its JSON 1.0 shape), so one
// implementation serves both protocols: "A.member.N.B=v" is {"A": [ … {"B": "v"} … ]} (N from 1,
// without gaps), the members `integer_members` name become integers and `boolean_members`
// booleans ("true"/"false"); the rest stay strings (timestamps in ISO 8601, as sent).

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"

namespace sagerun::server {

using FormParams = std::vector<std::pair<std::string, std::string>>;

ApiResult<FormParams> parse_form(std::string_view text);

struct FormShape {
  std::initializer_list<std::string_view> integer_members;
  std::initializer_list<std::string_view> boolean_members;
};

// Every parameter but Action and Version, as a JSON object.
ApiResult<nlohmann::json> form_to_json(const FormParams& params, const FormShape& shape);

// The value of `name`, if given.
const std::string* form_value(const FormParams& params, std::string_view name);

} // namespace sagerun::server
