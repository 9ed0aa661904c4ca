#include "runner/credentials_server.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "aws/curl/curl_client.hpp"
#include "test_support.hpp"

namespace sagerun::runner {
namespace {

// The environment source needs no HTTP; anything sent is refused like a closed port.
class RefusingHttp : public aws::HttpClient {
public:
  Expected<aws::HttpResponse> send(const aws::HttpRequest& request, const aws::BodySink& = {}) override {
    return util::fail(util::ErrorKind::io, "connection refused: " + request.url);
  }
};

class RunnerCredentialsServer : public ::testing::Test {
protected:
  test::TempDir home;
  RefusingHttp refusing;
  aws::CredentialsProvider job_credentials{{{"HOME", home.path().string()},
                                            {"AWS_ACCESS_KEY_ID", "AKIDJOBEXAMPLE"},
                                            {"AWS_SECRET_ACCESS_KEY", "job-secret-key"},
                                            {"AWS_SESSION_TOKEN", "job-session-token"}},
                                           {},
                                           refusing};
  std::unique_ptr<aws::HttpClient> http = aws::make_curl_client();

  std::unique_ptr<CredentialsServer> start(aws::CredentialsProvider& provider) {
    auto server = CredentialsServer::start(provider);
    EXPECT_TRUE(server) << server.error().message;
    return server ? std::move(*server) : nullptr;
  }
  aws::HttpResponse get(const std::string& url, const std::string& token) {
    aws::HttpRequest request;
    request.url = url;
    if (!token.empty()) request.headers.emplace_back("Authorization", token);
    auto response = http->send(request);
    EXPECT_TRUE(response) << response.error().message;
    return response ? *response : aws::HttpResponse{};
  }
};

// The container's side, as the AWS SDKs do it: only the two variables, through our own
// container-credentials source.
TEST_F(RunnerCredentialsServer, ContainerResolvesTheJobCredentials) {
  auto server = start(job_credentials);
  ASSERT_TRUE(server);
  auto container_env = server->container_environment();
  ASSERT_EQ(container_env.size(), 2u);
  EXPECT_TRUE(container_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"].starts_with(
      "http://127.0.0.1:" + std::to_string(server->port()) + "/v2/credentials/"));
  EXPECT_EQ(container_env["AWS_CONTAINER_AUTHORIZATION_TOKEN"].size(), 64u);
  for (const auto& [name, value] : container_env)
    EXPECT_EQ(value.find("job-secret-key"), std::string::npos) << name;

  container_env["HOME"] = home.path().string();
  container_env["AWS_EC2_METADATA_DISABLED"] = "true";
  auto resolved = aws::resolve_credentials(container_env, {}, *http);
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "container");
  EXPECT_EQ(resolved->credentials.access_key_id, "AKIDJOBEXAMPLE");
  EXPECT_EQ(resolved->credentials.secret_access_key, "job-secret-key");
  EXPECT_EQ(resolved->credentials.session_token, "job-session-token");
  ASSERT_TRUE(resolved->expiration);
  EXPECT_GT(*resolved->expiration, std::chrono::system_clock::now() + std::chrono::minutes(30));

  const auto body = nlohmann::json::parse(
      get(container_env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], container_env["AWS_CONTAINER_AUTHORIZATION_TOKEN"])
          .body);
  EXPECT_EQ(body["RoleArn"], "");
  EXPECT_TRUE(body["Expiration"].get<std::string>().ends_with("Z"));
}

TEST_F(RunnerCredentialsServer, WrongOrMissingTokenIsForbiddenOtherPathsNotFound) {
  auto server = start(job_credentials);
  ASSERT_TRUE(server);
  auto env = server->container_environment();
  const auto url = env["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
  auto token = env["AWS_CONTAINER_AUTHORIZATION_TOKEN"];

  for (const std::string& wrong : {std::string(), std::string("wrong"), token.substr(0, 63) + "0"}) {
    if (wrong == token) continue;
    const auto response = get(url, wrong);
    EXPECT_EQ(response.status, 403) << wrong;
    EXPECT_EQ(response.body.find("job-secret-key"), std::string::npos);
    EXPECT_EQ(response.body.find("AKIDJOBEXAMPLE"), std::string::npos);
    EXPECT_TRUE(nlohmann::json::parse(response.body).contains("message"));
  }
  const auto base = "http://127.0.0.1:" + std::to_string(server->port());
  EXPECT_EQ(get(base + "/v2/credentials/0123", token).status, 404);
  EXPECT_EQ(get(base + "/", token).status, 404);
  EXPECT_EQ(get(url, token).status, 200);
}

TEST_F(RunnerCredentialsServer, ProviderFailureIsA500WithTheReason) {
  aws::CredentialsProvider none{{{"HOME", home.path().string()}, {"AWS_EC2_METADATA_DISABLED", "true"}}, {}, refusing};
  auto server = start(none);
  ASSERT_TRUE(server);
  auto env = server->container_environment();
  const auto response = get(env["AWS_CONTAINER_CREDENTIALS_FULL_URI"], env["AWS_CONTAINER_AUTHORIZATION_TOKEN"]);
  EXPECT_EQ(response.status, 500);
  const auto body = nlohmann::json::parse(response.body);
  EXPECT_FALSE(body["message"].get<std::string>().empty());
  EXPECT_FALSE(body.contains("AccessKeyId"));
}

TEST_F(RunnerCredentialsServer, EachServerHasItsOwnPathAndTokenAndStopsCleanly) {
  auto first = start(job_credentials);
  auto second = start(job_credentials);
  ASSERT_TRUE(first && second);
  EXPECT_NE(first->port(), second->port());
  auto a = first->container_environment(), b = second->container_environment();
  EXPECT_NE(a["AWS_CONTAINER_AUTHORIZATION_TOKEN"], b["AWS_CONTAINER_AUTHORIZATION_TOKEN"]);
  EXPECT_NE(a["AWS_CONTAINER_CREDENTIALS_FULL_URI"].substr(a["AWS_CONTAINER_CREDENTIALS_FULL_URI"].find("/v2")),
            b["AWS_CONTAINER_CREDENTIALS_FULL_URI"].substr(b["AWS_CONTAINER_CREDENTIALS_FULL_URI"].find("/v2")));
  const auto url = a["AWS_CONTAINER_CREDENTIALS_FULL_URI"];
  first.reset(); // stops and joins
  aws::HttpRequest request;
  request.url = url;
  request.timeout = std::chrono::seconds(2);
  auto after = http->send(request);
  EXPECT_FALSE(after && after->status == 200);
}

} // namespace
} // namespace sagerun::runner
