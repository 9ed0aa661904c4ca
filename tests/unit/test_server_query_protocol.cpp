// The query protocol's side of CloudWatch: forms read strictly (decoding, bad escapes and
// repeated parameters named), made into the JSON body of the same call (lists, structures,
// numbers, booleans), and answers and errors written as escaped XML.

#include <gtest/gtest.h>

#include "server/cloudwatch_protocols.hpp"
#include "server/query_form.hpp"
#include "server/query_xml.hpp"

namespace sagerun::server {
namespace {

using nlohmann::json;
using nlohmann::ordered_json;

FormParams form(std::string_view text) {
  auto parsed = parse_form(text);
  EXPECT_TRUE(parsed) << parsed.error().message;
  return parsed ? *parsed : FormParams{};
}

TEST(QueryForm, PlusIsASpaceAndEscapesAreBytes) {
  const auto params = form("Action=ListMetrics&Namespace=%2Faws%2Fsagemaker%2FTrainingJobs&MetricName=a+b%2Bc&"
                           "Empty=&Bare&Eq=x%3Dy=z&&");
  ASSERT_EQ(params.size(), 6u);
  EXPECT_EQ(*form_value(params, "Namespace"), "/aws/sagemaker/TrainingJobs");
  EXPECT_EQ(*form_value(params, "MetricName"), "a b+c");
  EXPECT_EQ(*form_value(params, "Empty"), "");
  EXPECT_EQ(*form_value(params, "Bare"), "");
  EXPECT_EQ(*form_value(params, "Eq"), "x=y=z");
  EXPECT_EQ(form_value(params, "Missing"), nullptr);
  EXPECT_EQ(*form_value(form("Metric%4eame=%E2%9C%93"), "MetricName"), "\xE2\x9C\x93");
}

TEST(QueryForm, ABadEscapeOrARepeatedParameterIsRefusedNamingIt) {
  for (const char* bad : {"Namespace=%G1", "Namespace=ab%4", "Namespace=%", "Namespace=%%41"}) {
    auto parsed = parse_form(bad);
    ASSERT_FALSE(parsed) << bad;
    EXPECT_EQ(parsed.error().type, "MalformedQueryString");
    EXPECT_EQ(parsed.error().http_status, 400);
    EXPECT_NE(parsed.error().message.find("'Namespace'"), std::string::npos) << parsed.error().message;
  }
  auto twice = parse_form("Period=60&Period=1");
  ASSERT_FALSE(twice);
  EXPECT_NE(twice.error().message.find("Period is given more than once"), std::string::npos);
  EXPECT_FALSE(parse_form("=value"));
}

TEST(QueryForm, ListsStructuresNumbersAndBooleansBecomeTheJsonBody) {
  const FormShape shape{{"Period", "MaxDatapoints"}, {"ReturnData"}};
  auto body = form_to_json(form("Action=GetMetricData&Version=2010-08-01&MaxDatapoints=10&"
                                "MetricDataQueries.member.2.Id=b&MetricDataQueries.member.2.ReturnData=false&"
                                "MetricDataQueries.member.1.Id=a&"
                                "MetricDataQueries.member.1.MetricStat.Metric.MetricName=loss&"
                                "MetricDataQueries.member.1.MetricStat.Metric.Dimensions.member.1.Name=Host&"
                                "MetricDataQueries.member.1.MetricStat.Period=60&"
                                "StartTime=2024-01-01T00%3A00%3A00Z"),
                           shape);
  ASSERT_TRUE(body) << body.error().message;
  EXPECT_EQ(*body, json::parse(R"({
    "MaxDatapoints": 10,
    "MetricDataQueries": [
      {"Id": "a", "MetricStat": {"Metric": {"MetricName": "loss", "Dimensions": [{"Name": "Host"}]}, "Period": 60}},
      {"Id": "b", "ReturnData": false}],
    "StartTime": "2024-01-01T00:00:00Z"})"));
  auto lists = form_to_json(form("Statistics.member.1=Average&Statistics.member.2=Maximum"), shape);
  ASSERT_TRUE(lists);
  EXPECT_EQ((*lists)["Statistics"], json::array({"Average", "Maximum"}));
}

TEST(QueryForm, BadShapesAndValuesAreRefusedNamingTheParameter) {
  const FormShape shape{{"Period"}, {"ReturnData"}};
  const auto refused = [&](std::string_view text, std::string_view type, std::string_view named) {
    auto body = form_to_json(form(text), shape);
    ASSERT_FALSE(body) << text;
    EXPECT_EQ(body.error().type, type) << text;
    EXPECT_NE(body.error().message.find(named), std::string::npos) << body.error().message;
  };
  refused("Period=sixty", "InvalidParameterValue", "Period");
  refused("Period=60s", "InvalidParameterValue", "Period");
  refused("Q.member.1.ReturnData=yes", "InvalidParameterValue", "Q.member.1.ReturnData");
  refused("Statistics.member.2=Average", "MalformedQueryString", "Statistics.member.1");
  refused("Statistics.member.0=Average", "MalformedQueryString", "Statistics.member.0");
  refused("Statistics.member.01=Average", "MalformedQueryString", "Statistics.member.01");
  refused("Dimensions=Host&Dimensions.member.1.Name=Host", "MalformedQueryString", "Dimensions");
  refused("Metric..Name=x", "MalformedQueryString", "Metric..Name");
}

TEST(QueryXml, TextIsEscapedAndMadeUtf8) {
  EXPECT_EQ(xml_escape("a<b>&\"c'"), "a&lt;b&gt;&amp;&quot;c&apos;");
  EXPECT_EQ(xml_escape("tab\tnew\nline\r"), "tab\tnew\nline&#13;");
  EXPECT_EQ(xml_escape(std::string("nul\0bell\x07", 9)), "nul\xEF\xBF\xBD"
                                                         "bell\xEF\xBF\xBD");
  EXPECT_EQ(xml_escape("caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x99\x82"), "caf\xC3\xA9 \xE2\x9C\x93 \xF0\x9F\x99\x82");
  EXPECT_EQ(xml_escape("\xC3"), "\xEF\xBF\xBD");                                 // cut short
  EXPECT_EQ(xml_escape("\xC0\xAF"), "\xEF\xBF\xBD\xEF\xBF\xBD");                 // overlong
  EXPECT_EQ(xml_escape("\xED\xA0\x80"), "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"); // a surrogate
}

TEST(QueryXml, TimestampsAreIso8601) {
  EXPECT_EQ(iso8601(1700000000), "2023-11-14T22:13:20Z");
  EXPECT_EQ(iso8601(1700000000.25), "2023-11-14T22:13:20.250Z");
  EXPECT_EQ(iso8601(0), "1970-01-01T00:00:00Z");
}

TEST(QueryXml, AResultIsTheOperationsResponse) {
  const ordered_json result = {{"Label", "a<b"},
                               {"Datapoints", ordered_json::array({{{"Timestamp", 1700000000.0},
                                                                    {"Average", 0.5},
                                                                    {"Unit", "None"},
                                                                    {"ExtendedStatistics", {{"p90", 2.0}}}}})}};
  const std::string xml = query_response("GetMetricStatistics", result, "req-1");
  EXPECT_NE(xml.find("<GetMetricStatisticsResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<GetMetricStatisticsResult><Label>a&lt;b</Label><Datapoints><member>"
                     "<Timestamp>2023-11-14T22:13:20Z</Timestamp><Average>0.5</Average><Unit>None</Unit>"
                     "<ExtendedStatistics><entry><key>p90</key><value>2.0</value></entry></ExtendedStatistics>"
                     "</member></Datapoints></GetMetricStatisticsResult>"),
            std::string::npos)
      << xml;
  EXPECT_NE(xml.find("<ResponseMetadata>\n    <RequestId>req-1</RequestId>"), std::string::npos);
  const std::string data = query_response(
      "GetMetricData", {{"MetricDataResults", ordered_json::array({{{"Timestamps", {1.0, 2.5}}, {"Values", {3.0}}}})}},
      "r");
  EXPECT_NE(data.find("<Timestamps><member>1970-01-01T00:00:01Z</member><member>1970-01-01T00:00:02.500Z</member>"
                      "</Timestamps><Values><member>3.0</member></Values>"),
            std::string::npos)
      << data;
}

TEST(QueryXml, ErrorsAreQueryErrorResponses) {
  const std::string xml = query_error({400, "InvalidParameterValue", "Period & <more>"}, "id-9");
  EXPECT_NE(xml.find("<ErrorResponse xmlns=\"http://monitoring.amazonaws.com/doc/2010-08-01/\">\n  <Error>\n"
                     "    <Type>Sender</Type>\n    <Code>InvalidParameterValue</Code>\n"
                     "    <Message>Period &amp; &lt;more&gt;</Message>\n  </Error>\n  <RequestId>id-9</RequestId>"),
            std::string::npos)
      << xml;
  EXPECT_NE(query_error({500, "InternalServiceError", "x"}, "i").find("<Type>Receiver</Type>"), std::string::npos);
}

TEST(CloudWatchProtocols, Json10ErrorsNameTheShapeAndTheQueryCode) {
  const auto answer = json10_error({400, "InvalidParameterCombination", "too many"}, ErrorSource::operation);
  EXPECT_EQ(answer.status, 400);
  EXPECT_EQ(answer.content_type, "application/x-amz-json-1.0");
  EXPECT_EQ(json::parse(answer.body), json({{"__type", "com.amazonaws.cloudwatch#InvalidParameterCombinationException"},
                                            {"message", "too many"}}));
  ASSERT_EQ(answer.headers.size(), 1u);
  EXPECT_EQ(answer.headers[0],
            (std::pair<std::string, std::string>{"x-amzn-query-error", "InvalidParameterCombination;Sender"}));
  const auto front = json10_error({403, "InvalidSignatureException", "no"}, ErrorSource::front);
  EXPECT_TRUE(front.headers.empty());
  EXPECT_EQ(json::parse(front.body)["__type"], "InvalidSignatureException");
  const auto internal = json10_error({500, "InternalFailure", "x"}, ErrorSource::operation);
  EXPECT_EQ(internal.headers.at(0).second, "InternalServiceError;Receiver");
  // The signature's errors in XML go by the query services' codes.
  const auto xml = query_error_answer({403, "UnrecognizedClientException", "who"}, "rid");
  EXPECT_NE(xml.body.find("<Code>InvalidClientTokenId</Code>"), std::string::npos);
  EXPECT_EQ(xml.content_type, "text/xml");
  EXPECT_EQ(aws::find_header(xml.headers, "x-amzn-RequestId"), "rid");
}

TEST(CloudWatchProtocols, AQueryCallIsAFormPostOrAGetNamingAnAction) {
  EXPECT_TRUE(is_query_call("POST", "/", "application/x-www-form-urlencoded; charset=utf-8"));
  EXPECT_TRUE(is_query_call("POST", "/", "Application/X-WWW-Form-Urlencoded"));
  EXPECT_FALSE(is_query_call("POST", "/", "application/x-amz-json-1.1"));
  EXPECT_TRUE(is_query_call("GET", "/?Action=ListMetrics&Version=2010-08-01", ""));
  EXPECT_TRUE(is_query_call("GET", "/?Version=2010-08-01&Action=ListMetrics", ""));
  EXPECT_FALSE(is_query_call("GET", "/?NoAction=1", ""));
  EXPECT_FALSE(is_query_call("GET", "/", ""));
}

} // namespace
} // namespace sagerun::server
