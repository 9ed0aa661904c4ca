#include <gtest/gtest.h>

#include <deque>

#include "aws/errors.hpp"
#include "aws/retry.hpp"
#include "aws/xml.hpp"

namespace sagerun::aws {
namespace {

TEST(Xml, ElementsAndEntities) {
  const std::string doc =
      "<ListBucketResult><Contents><Key>a&amp;b</Key><Size>3</Size></Contents>"
      "<Contents><Key>c&#x263A;&#65;</Key><Size>4</Size></Contents><KeyCount>2</KeyCount><Empty/></ListBucketResult>";
  const auto contents = xml::elements(doc, "Contents");
  ASSERT_EQ(contents.size(), 2u);
  EXPECT_EQ(xml::first(contents[0], "Key"), "a&b");
  EXPECT_EQ(xml::first(contents[1], "Key"), "c\xe2\x98\xba"
                                            "A");
  EXPECT_EQ(xml::first(doc, "KeyCount"), "2"); // not confused with <Key>
  EXPECT_EQ(xml::first(doc, "Empty"), "");
  EXPECT_EQ(xml::first(doc, "Missing"), std::nullopt);
  EXPECT_EQ(xml::escape("<a & 'b'>"), "&lt;a &amp; &apos;b&apos;&gt;");
}

TEST(ServiceError, FromXmlJsonAndStatus) {
  HttpResponse s3{
      404,
      {},
      "<Error><Code>NoSuchKey</Code><Message>The key does not exist</Message><RequestId>r1</RequestId></Error>"};
  auto e = parse_service_error(s3);
  EXPECT_EQ(e.code, "NoSuchKey");
  EXPECT_EQ(e.describe(), "NoSuchKey: The key does not exist (HTTP 404)");
  HttpResponse json{400, {}, R"({"__type":"com.amazonaws.sagemaker#ValidationException","message":"bad name"})"};
  e = parse_service_error(json);
  EXPECT_EQ(e.code, "ValidationException");
  EXPECT_EQ(e.message, "bad name");
  HttpResponse head{404, {{"x-amz-request-id", "r2"}}, ""};
  e = parse_service_error(head);
  EXPECT_EQ(e.code, "NotFound");
  EXPECT_EQ(e.request_id, "r2");
  EXPECT_EQ(to_error(parse_service_error(s3), "GET s3://b/k").kind, util::ErrorKind::not_found);
}

TEST(Retry, WhatIsRetryable) {
  EXPECT_TRUE(is_retryable({500, {}, ""}));
  EXPECT_TRUE(is_retryable({503, {}, "<Error><Code>SlowDown</Code></Error>"}));
  EXPECT_TRUE(is_retryable({429, {}, ""}));
  EXPECT_TRUE(is_retryable({400, {}, R"({"__type":"ThrottlingException"})"}));
  EXPECT_FALSE(is_retryable({404, {}, "<Error><Code>NoSuchKey</Code></Error>"}));
  EXPECT_FALSE(is_retryable({403, {}, ""}));
  EXPECT_FALSE(is_retryable({200, {}, ""}));
}

// Answers from a script of outcomes; counts the attempts.
class ScriptedHttp : public HttpClient {
public:
  std::deque<Expected<HttpResponse>> outcomes;
  int calls = 0;
  Expected<HttpResponse> send(const HttpRequest&, const BodySink&) override {
    ++calls;
    auto next = outcomes.front();
    outcomes.pop_front();
    return next;
  }
};

TEST(Retry, RetriesIdempotentRequestsOnly) {
  const RetryPolicy fast{4, std::chrono::milliseconds(1), std::chrono::milliseconds(2)};
  const auto make = []() -> Expected<HttpRequest> { return HttpRequest{}; };
  ScriptedHttp http;
  http.outcomes = {util::fail(util::ErrorKind::io, "reset"), HttpResponse{503, {}, ""}, HttpResponse{200, {}, "ok"}};
  int restarts = 0;
  auto result = send_with_retries(http, make, {}, Idempotent::yes, fast, [&] { ++restarts; });
  ASSERT_TRUE(result);
  EXPECT_EQ(result->body, "ok");
  EXPECT_EQ(http.calls, 3);
  EXPECT_EQ(restarts, 3);

  ScriptedHttp once;
  once.outcomes = {HttpResponse{500, {}, ""}, HttpResponse{200, {}, ""}};
  EXPECT_EQ(send_with_retries(once, make, {}, Idempotent::no, fast)->status, 500);
  EXPECT_EQ(once.calls, 1);

  ScriptedHttp always;
  for (int i = 0; i < 10; ++i)
    always.outcomes.push_back(HttpResponse{500, {}, ""});
  EXPECT_EQ(send_with_retries(always, make, {}, Idempotent::yes, fast)->status, 500);
  EXPECT_EQ(always.calls, 4);
}

TEST(Retry, PolicyFromEnvironment) {
  EXPECT_EQ(retry_policy_from({{"AWS_MAX_ATTEMPTS", "2"}})->max_attempts, 2);
  EXPECT_EQ(retry_policy_from({})->max_attempts, 5);
  // A bad value is refused, naming the variable: never a silent default.
  const auto bad = retry_policy_from({{"AWS_MAX_ATTEMPTS", "zero"}});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("AWS_MAX_ATTEMPTS='zero'"), std::string::npos);
  EXPECT_FALSE(retry_policy_from({{"AWS_MAX_ATTEMPTS", "0"}}));
}

} // namespace
} // namespace sagerun::aws
