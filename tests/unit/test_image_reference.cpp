// Image references checked before any daemon or registry is asked: repository names and tags,
// registry hosts, ECR host names, ECR authorization tokens, pushed digests.
#include <gtest/gtest.h>

#include "aws/crypto.hpp"
#include "image/reference.hpp"

namespace sagerun::image {
namespace {

TEST(ImageReference, RepositoryNamesFollowEcr) {
  for (const char* good : {"sagemaker-cpu", "ab", "team/sagemaker-gpu", "a.b_c-d/e0", "x/y/z9"}) {
    EXPECT_TRUE(check_repository_name(good, "NAME")) << good;
  }
  for (const char* bad : {"a", "", "Sagemaker", "-lead", "trail-", "a--b", "a/", "/a", "a//b", "a:b", "a b", "a..b"}) {
    auto checked = check_repository_name(bad, "NAME");
    ASSERT_FALSE(checked) << bad;
    EXPECT_TRUE(checked.error().message.starts_with("NAME: '" + std::string(bad) + "' is not a repository name"));
  }
  EXPECT_TRUE(check_repository_name(std::string(256, 'a'), "NAME"));
  EXPECT_FALSE(check_repository_name(std::string(257, 'a'), "NAME"));
}

TEST(ImageReference, Tags) {
  for (const char* good : {"latest", "v1.2.3", "_x", "A-b_c.d"})
    EXPECT_TRUE(check_tag(good, "--tag")) << good;
  for (const char* bad : {"", ".x", "-x", "a:b", "a/b"})
    EXPECT_FALSE(check_tag(bad, "--tag")) << bad;
  EXPECT_TRUE(check_tag(std::string(128, 'a'), "--tag"));
  EXPECT_FALSE(check_tag(std::string(129, 'a'), "--tag"));
}

TEST(ImageReference, RegistryHosts) {
  EXPECT_EQ(*registry_host("127.0.0.1:5000", "--registry"), "127.0.0.1:5000");
  EXPECT_EQ(*registry_host("registry.example.com", "--registry"), "registry.example.com");
  EXPECT_EQ(*registry_host("https://123456789012.dkr.ecr.us-east-1.amazonaws.com/", "x"),
            "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(*registry_host("[::1]:5000", "--registry"), "[::1]:5000");
  for (const char* bad : {"", "-x", "host/path", "host:port", "a b", "host:123456"}) {
    auto host = registry_host(bad, "--registry");
    ASSERT_FALSE(host) << bad;
    EXPECT_TRUE(host.error().message.starts_with("--registry: ")) << host.error().message;
  }
}

TEST(ImageReference, EcrHosts) {
  auto host = parse_ecr_host("123456789012.dkr.ecr.eu-west-1.amazonaws.com");
  ASSERT_TRUE(host);
  EXPECT_EQ(host->account, "123456789012");
  EXPECT_EQ(host->region, "eu-west-1");
  EXPECT_EQ(parse_ecr_host("123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn")->region, "cn-north-1");
  EXPECT_EQ(parse_ecr_host("123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com")->region, "us-gov-west-1");
  EXPECT_FALSE(parse_ecr_host("12345.dkr.ecr.us-east-1.amazonaws.com"));
  EXPECT_FALSE(parse_ecr_host("127.0.0.1:5000"));
  EXPECT_FALSE(parse_ecr_host("123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example"));
  EXPECT_EQ(ecr_host("123456789012", "us-east-1"), "123456789012.dkr.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(ecr_host("123456789012", "cn-north-1"), "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn");
}

TEST(ImageReference, AuthorizationTokens) {
  auto login = decode_authorization_token(aws::base64_encode("AWS:pass:with:colons"));
  ASSERT_TRUE(login);
  EXPECT_EQ(login->username, "AWS");
  EXPECT_EQ(login->password, "pass:with:colons");
  for (const std::string& bad : {std::string("not base64!"), aws::base64_encode("nocolon"), aws::base64_encode(":pw"),
                                 aws::base64_encode("AWS:")}) {
    auto decoded = decode_authorization_token(bad);
    ASSERT_FALSE(decoded);
    // The token is the password: an error never quotes it.
    EXPECT_EQ(decoded.error().message.find(bad), std::string::npos);
  }
}

TEST(ImageReference, UrisAndDigests) {
  EXPECT_EQ(image_uri("127.0.0.1:5000", "team/cpu", "v1"), "127.0.0.1:5000/team/cpu:v1");
  const std::string digests =
      R"(["other:5000/cpu@sha256:aaa","127.0.0.1:5000/cpu-x@sha256:bbb","127.0.0.1:5000/cpu@sha256:ccc"])";
  EXPECT_EQ(find_repo_digest(digests, "127.0.0.1:5000", "cpu"), "sha256:ccc");
  EXPECT_FALSE(find_repo_digest(digests, "127.0.0.1:5000", "gpu"));
  EXPECT_FALSE(find_repo_digest("null", "h", "r"));
  EXPECT_FALSE(find_repo_digest("not json", "h", "r"));
}

} // namespace
} // namespace sagerun::image
