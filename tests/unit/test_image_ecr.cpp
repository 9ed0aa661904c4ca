// ECR for `sagerun image push` over a scripted HTTP peer: the repository found or created (a
// race with another creator included), the login decoded, service errors passed on.
#include <deque>

#include <gtest/gtest.h>

#include "aws/crypto.hpp"
#include "image/ecr.hpp"

namespace sagerun::image {
namespace {

class ScriptedEcr : public aws::HttpClient {
public:
  std::deque<aws::HttpResponse> answers;
  std::vector<std::pair<std::string, nlohmann::json>> sent;
  Expected<aws::HttpResponse> send(const aws::HttpRequest& request, const aws::BodySink&) override {
    sent.emplace_back(aws::find_header(request.headers, "X-Amz-Target").value_or(""),
                      nlohmann::json::parse(request.body));
    auto next = answers.front();
    answers.pop_front();
    return next;
  }
};

aws::HttpResponse ok(const nlohmann::json& body) { return {200, {}, body.dump()}; }
aws::HttpResponse error(const std::string& type, const std::string& message) {
  return {400, {}, nlohmann::json{{"__type", type}, {"message", message}}.dump()};
}

struct Fixture {
  ScriptedEcr http;
  aws::JsonClient client{http, [] { return Expected<aws::Credentials>(aws::Credentials{"AKID", "secret", ""}); },
                         aws::ecr_service("http://127.0.0.1:1", "us-east-1")};
};

const std::string k_target = "AmazonEC2ContainerRegistry_V20150921.";
const nlohmann::json k_repository = {{"repositoryName", "sagemaker-cpu"},
                                     {"repositoryUri", "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-cpu"}};

TEST(ImageEcr, AnExistingRepositoryIsUsed) {
  Fixture f;
  f.http.answers = {ok({{"repositories", {k_repository}}})};
  auto repository = ensure_repository(f.client, "sagemaker-cpu", "123456789012");
  ASSERT_TRUE(repository) << repository.error().message;
  EXPECT_FALSE(repository->created);
  EXPECT_EQ(repository->uri, "123456789012.dkr.ecr.us-east-1.amazonaws.com/sagemaker-cpu");
  ASSERT_EQ(f.http.sent.size(), 1u);
  EXPECT_EQ(f.http.sent[0].first, k_target + "DescribeRepositories");
  EXPECT_EQ(f.http.sent[0].second,
            (nlohmann::json{{"repositoryNames", {"sagemaker-cpu"}}, {"registryId", "123456789012"}}));
}

TEST(ImageEcr, AMissingRepositoryIsCreated) {
  Fixture f;
  f.http.answers = {error("RepositoryNotFoundException", "The repository with name 'sagemaker-cpu' does not exist"),
                    ok({{"repository", k_repository}})};
  auto repository = ensure_repository(f.client, "sagemaker-cpu", "123456789012");
  ASSERT_TRUE(repository) << repository.error().message;
  EXPECT_TRUE(repository->created);
  ASSERT_EQ(f.http.sent.size(), 2u);
  EXPECT_EQ(f.http.sent[1].first, k_target + "CreateRepository");
  EXPECT_EQ(f.http.sent[1].second,
            (nlohmann::json{{"repositoryName", "sagemaker-cpu"}, {"registryId", "123456789012"}}));
}

TEST(ImageEcr, ACreationRaceCountsAsFound) {
  Fixture f;
  f.http.answers = {error("RepositoryNotFoundException", "no"), error("RepositoryAlreadyExistsException", "exists"),
                    ok({{"repositories", {k_repository}}})};
  auto repository = ensure_repository(f.client, "sagemaker-cpu", "123456789012");
  ASSERT_TRUE(repository) << repository.error().message;
  EXPECT_FALSE(repository->created);
  EXPECT_EQ(f.http.sent.size(), 3u);
}

TEST(ImageEcr, OtherErrorsStopThere) {
  Fixture f;
  f.http.answers = {error("AccessDeniedException", "not allowed to ecr:DescribeRepositories")};
  auto repository = ensure_repository(f.client, "sagemaker-cpu", "123456789012");
  ASSERT_FALSE(repository);
  EXPECT_EQ(repository.error().message,
            "DescribeRepositories: AccessDeniedException: not allowed to ecr:DescribeRepositories (HTTP 400)");
  EXPECT_EQ(f.http.sent.size(), 1u);
}

TEST(ImageEcr, LoginFromTheAuthorizationToken) {
  Fixture f;
  f.http.answers = {ok({{"authorizationData",
                         {{{"authorizationToken", aws::base64_encode("AWS:123456789012-auth-token")},
                           {"expiresAt", 1420070400.0},
                           {"proxyEndpoint", "https://123456789012.dkr.ecr.us-east-1.amazonaws.com"}}}}})};
  auto login = get_login(f.client, "123456789012");
  ASSERT_TRUE(login) << login.error().message;
  EXPECT_EQ(login->login.username, "AWS");
  EXPECT_EQ(login->login.password, "123456789012-auth-token");
  EXPECT_EQ(login->host, "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(f.http.sent[0].first, k_target + "GetAuthorizationToken");
  EXPECT_EQ(f.http.sent[0].second, (nlohmann::json{{"registryIds", {"123456789012"}}}));

  f.http.answers = {ok({{"authorizationData", nlohmann::json::array()}})};
  auto none = get_login(f.client, "123456789012");
  ASSERT_FALSE(none);
  EXPECT_NE(none.error().message.find("no authorizationData"), std::string::npos);
}

} // namespace
} // namespace sagerun::image
