#pragma once
// The AWS query protocol's answers (text/xml), from the result as JSON 1.0 gives it:
//   <GetMetricStatisticsResponse xmlns="http://monitoring.amazonaws.com/doc/2010-08-01/">
//     <GetMetricStatisticsResult> … </GetMetricStatisticsResult>
//     <ResponseMetadata><RequestId>…</RequestId></ResponseMetadata>
//   </GetMetricStatisticsResponse>
// Members become elements in their order, list items <member>, maps (ExtendedStatistics)
// <entry><key/><value/></entry>, and the timestamps (`Timestamp`, the items of `Timestamps`:
// epoch seconds in JSON) ISO 8601 UTC. Errors:
//   <ErrorResponse xmlns="…"><Error><Type>Sender</Type><Code>…</Code><Message>…</Message></Error>
//   <RequestId>…</RequestId></ErrorResponse>

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "server/api_error.hpp"

namespace sagerun::server {

inline constexpr std::string_view k_cloudwatch_xmlns = "http://monitoring.amazonaws.com/doc/2010-08-01/";

// Text made safe for XML: & < > " ' escaped; bytes that are not UTF-8, and control characters
// XML 1.0 cannot hold, become U+FFFD.
std::string xml_escape(std::string_view text);

// Epoch seconds as "2024-01-01T00:00:00Z" (".500Z" when there are milliseconds).
std::string iso8601(double epoch_seconds);

std::string query_response(std::string_view operation, const nlohmann::ordered_json& result,
                           std::string_view request_id);

// Type is Sender for a 4xx, Receiver for a 5xx.
std::string query_error(const ApiError& error, std::string_view request_id);

} // namespace sagerun::server
