// SigV4 verification: requests signed by our signer (the one botocore agrees with) pass; each
// way a request can be wrong gets the service's error type and message.

#include "server/auth.hpp"

#include <algorithm>
#include <gtest/gtest.h>

#include "aws/crypto.hpp"
#include "aws/sigv4.hpp"

namespace sagerun::server {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::system_clock;

const Clock::time_point k_now = std::chrono::sys_days(std::chrono::year(2024) / 3 / 1) + 12h;

aws::HttpRequest signed_request(const aws::Credentials& credentials, Clock::time_point when,
                                const std::string& service = "sagemaker", const std::string& body = "{}") {
  aws::HttpRequest request;
  request.method = "POST";
  request.url = "http://127.0.0.1:8080/";
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", "SageMaker.DescribeTrainingJob"},
                     {"User-Agent", "unit-test"}};
  request.body = body;
  aws::sign_request(request, credentials, {"us-east-1", service, when}, aws::sha256_hex(request.body),
                    aws::PayloadSigning::plain);
  return request;
}

IncomingRequest incoming(const aws::HttpRequest& request) {
  return {request.method, "/", request.headers, request.body};
}

class Auth : public ::testing::Test {
protected:
  aws::Credentials key{"AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", ""};
  Verifier verifier{{key}};
};

TEST_F(Auth, AcceptsARequestSignedWithAConfiguredKey) {
  auto caller = verifier.verify(incoming(signed_request(key, k_now)), k_now);
  ASSERT_TRUE(caller) << caller.error().message;
  EXPECT_EQ(caller->access_key_id, "AKIDEXAMPLE");
  EXPECT_EQ(caller->service, "sagemaker");
  EXPECT_EQ(caller->region, "us-east-1");
  // Within the allowed skew either way.
  EXPECT_TRUE(verifier.verify(incoming(signed_request(key, k_now - 14min)), k_now));
  EXPECT_TRUE(verifier.verify(incoming(signed_request(key, k_now + 14min)), k_now));
}

TEST_F(Auth, MissingAuthorizationIsMissingAuthenticationToken) {
  auto request = signed_request(key, k_now);
  std::erase_if(request.headers, [](const auto& h) { return h.first == "Authorization"; });
  auto caller = verifier.verify(incoming(request), k_now);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().http_status, 403);
  EXPECT_EQ(caller.error().type, "MissingAuthenticationTokenException");
  EXPECT_EQ(caller.error().message, "Missing Authentication Token");
}

TEST_F(Auth, WrongSecretIsInvalidSignature) {
  auto caller = verifier.verify(incoming(signed_request({key.access_key_id, "not-the-secret", ""}, k_now)), k_now);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().http_status, 403);
  EXPECT_EQ(caller.error().type, "InvalidSignatureException");
  EXPECT_TRUE(caller.error().message.starts_with(
      "The request signature we calculated does not match the signature you provided."));
}

TEST_F(Auth, UnknownKeyIsUnrecognizedClient) {
  auto caller = verifier.verify(incoming(signed_request({"AKIDOTHER", key.secret_access_key, ""}, k_now)), k_now);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().http_status, 403);
  EXPECT_EQ(caller.error().type, "UnrecognizedClientException");
  EXPECT_EQ(caller.error().message, "The security token included in the request is invalid.");
}

TEST_F(Auth, OldAndFutureDatesAreRejectedWithTheServiceWording) {
  auto old = verifier.verify(incoming(signed_request(key, k_now - 16min)), k_now);
  ASSERT_FALSE(old);
  EXPECT_EQ(old.error().type, "InvalidSignatureException");
  EXPECT_EQ(old.error().message,
            "Signature expired: 20240301T114400Z is now earlier than 20240301T114500Z (20240301T120000Z - 15 min.)");
  auto future = verifier.verify(incoming(signed_request(key, k_now + 16min)), k_now);
  ASSERT_FALSE(future);
  EXPECT_EQ(future.error().message, "Signature not yet current: 20240301T121600Z is still later than "
                                    "20240301T121500Z (20240301T120000Z + 15 min.)");
}

TEST_F(Auth, TamperedBodyOrHeaderFails) {
  auto request = signed_request(key, k_now);
  request.body = R"({"TrainingJobName":"other"})";
  EXPECT_EQ(verifier.verify(incoming(request), k_now).error().type, "InvalidSignatureException");
  auto retargeted = signed_request(key, k_now);
  for (auto& [name, value] : retargeted.headers)
    if (name == "X-Amz-Target") value = "SageMaker.StopTrainingJob";
  EXPECT_EQ(verifier.verify(incoming(retargeted), k_now).error().type, "InvalidSignatureException");
  // User-Agent is not signed (as botocore leaves it out): a proxy may rewrite it.
  auto agent = signed_request(key, k_now);
  for (auto& [name, value] : agent.headers)
    if (name == "User-Agent") value = "a proxy";
  EXPECT_TRUE(verifier.verify(incoming(agent), k_now));
}

TEST_F(Auth, ScopeDateMustMatchTheRequestDate) {
  auto request = signed_request(key, k_now);
  for (auto& [name, value] : request.headers)
    if (name == "Authorization") value.replace(value.find("/20240301/"), 10, "/20240302/");
  auto caller = verifier.verify(incoming(request), k_now);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().type, "InvalidSignatureException");
  EXPECT_NE(caller.error().message.find("Date in Credential scope does not match"), std::string::npos);
}

TEST_F(Auth, MalformedAuthorizationIsIncompleteSignature) {
  auto request = signed_request(key, k_now);
  for (auto& [name, value] : request.headers)
    if (name == "Authorization") value = "Bearer abc";
  auto caller = verifier.verify(incoming(request), k_now);
  ASSERT_FALSE(caller);
  EXPECT_EQ(caller.error().http_status, 403);
  EXPECT_EQ(caller.error().type, "IncompleteSignatureException");
  EXPECT_NE(caller.error().message.find("Authorization header requires 'Credential' parameter."), std::string::npos);
  std::erase_if(request.headers, [](const auto& h) { return h.first == "X-Amz-Date"; });
  EXPECT_NE(verifier.verify(incoming(request), k_now).error().message.find("'X-Amz-Date' or a 'Date' header"),
            std::string::npos);
}

TEST_F(Auth, SessionTokenMustMatchTheKeys) {
  const aws::Credentials temporary{"ASIAEXAMPLE", "secret", "the-token"};
  const Verifier with_token({temporary});
  EXPECT_TRUE(with_token.verify(incoming(signed_request(temporary, k_now)), k_now));
  auto without = with_token.verify(incoming(signed_request({"ASIAEXAMPLE", "secret", ""}, k_now)), k_now);
  ASSERT_FALSE(without);
  EXPECT_EQ(without.error().type, "UnrecognizedClientException");
  auto other = with_token.verify(incoming(signed_request({"ASIAEXAMPLE", "secret", "other"}, k_now)), k_now);
  EXPECT_EQ(other.error().type, "UnrecognizedClientException");
}

TEST_F(Auth, ReportsTheScopeServiceAndAcceptsAnyRegion) {
  auto caller = verifier.verify(incoming(signed_request(key, k_now, "logs")), k_now);
  ASSERT_TRUE(caller);
  EXPECT_EQ(caller->service, "logs");
  aws::HttpRequest request = signed_request(key, k_now);
  aws::sign_request(request, key, {"eu-west-3", "sagemaker", k_now}, aws::sha256_hex(request.body),
                    aws::PayloadSigning::plain);
  auto west = verifier.verify(incoming(request), k_now);
  ASSERT_TRUE(west);
  EXPECT_EQ(west->region, "eu-west-3");
}

TEST(AmzDate, ParsesTheBasicFormatOnly) {
  EXPECT_EQ(parse_amz_date("20240301T120000Z"), k_now);
  EXPECT_FALSE(parse_amz_date("2024-03-01T12:00:00Z"));
  EXPECT_FALSE(parse_amz_date("20241301T120000Z"));
  // Past 2262 a nanosecond time point overflows (the fuzzer sent year 4048): refused, not wrapped.
  EXPECT_FALSE(parse_amz_date("40480202T000000Z"));
  EXPECT_FALSE(parse_amz_date("19691231T235959Z"));
  EXPECT_FALSE(parse_amz_date("20240301T120000"));
}

} // namespace
} // namespace sagerun::server

namespace sagerun::server {
namespace {

// A valid signature over just the headers named: what a client that leaves some out would send.
aws::HttpRequest signed_over(const aws::Credentials& key, const std::vector<std::string>& names) {
  aws::HttpRequest request;
  request.method = "POST";
  request.body = "{}";
  request.headers = {{"Host", "127.0.0.1:8080"},
                     {"X-Amz-Date", aws::amz_date(k_now)},
                     {"X-Amz-Target", "SageMaker.DescribeTrainingJob"}};
  aws::CanonicalInput input{"POST", "/", "", {}, aws::sha256_hex(request.body)};
  for (const auto& [name, value] : request.headers) {
    std::string lower = name;
    for (auto& c : lower)
      c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    if (std::ranges::find(names, lower) != names.end()) input.headers.emplace_back(name, value);
  }
  const aws::SigningScope scope{"us-east-1", "sagemaker", k_now};
  std::string signed_headers;
  const auto canonical = aws::canonical_request(input, true, &signed_headers);
  const auto signature = aws::signature(key.secret_access_key, scope, aws::string_to_sign(canonical, scope));
  request.headers.emplace_back("Authorization", "AWS4-HMAC-SHA256 Credential=" + key.access_key_id + "/" +
                                                    aws::credential_scope(scope) + ", SignedHeaders=" + signed_headers +
                                                    ", Signature=" + signature);
  return request;
}

TEST_F(Auth, TheTargetTheDateAndTheHostMustBeSigned) {
  EXPECT_TRUE(verifier.verify(incoming(signed_over(key, {"host", "x-amz-date", "x-amz-target"})), k_now));
  // Signed without X-Amz-Target, a DescribeTrainingJob could be replayed as StopTrainingJob.
  auto retargetable = verifier.verify(incoming(signed_over(key, {"host", "x-amz-date"})), k_now);
  ASSERT_FALSE(retargetable);
  EXPECT_EQ(retargetable.error().type, "IncompleteSignatureException");
  EXPECT_EQ(retargetable.error().message, "'X-Amz-Target' must be a 'SignedHeader' in the AWS Authorization.");
  auto undated = verifier.verify(incoming(signed_over(key, {"host", "x-amz-target"})), k_now);
  ASSERT_FALSE(undated);
  EXPECT_EQ(undated.error().message, "'X-Amz-Date' must be a 'SignedHeader' in the AWS Authorization.");
  auto hostless = verifier.verify(incoming(signed_over(key, {"x-amz-date", "x-amz-target"})), k_now);
  ASSERT_FALSE(hostless);
  EXPECT_EQ(hostless.error().message, "'Host' or ':authority' must be a 'SignedHeader' in the AWS Authorization.");
}

} // namespace
} // namespace sagerun::server
