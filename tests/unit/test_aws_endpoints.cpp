#include "aws/endpoints.hpp"

#include <gtest/gtest.h>

namespace sagerun::aws {
namespace {

TEST(Endpoints, RegionalAwsEndpoints) {
  const util::EnvMap env;
  EXPECT_EQ(resolve_endpoint("s3", "us-west-2", env, std::nullopt).url, "https://s3.us-west-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint("sagemaker", "eu-west-1", env, std::nullopt).url,
            "https://api.sagemaker.eu-west-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint("ecr", "us-east-1", env, std::nullopt).url, "https://api.ecr.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint("logs", "ap-south-1", env, std::nullopt).url, "https://logs.ap-south-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint("sts", "us-east-2", env, std::nullopt).url, "https://sts.us-east-2.amazonaws.com");
  EXPECT_EQ(resolve_endpoint("s3", "cn-north-1", env, std::nullopt).url, "https://s3.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(resolve_endpoint("sagemaker", "cn-northwest-1", env, std::nullopt).url,
            "https://api.sagemaker.cn-northwest-1.amazonaws.com.cn");
  const auto s3 = resolve_endpoint("s3", "us-west-2", env, std::nullopt);
  EXPECT_FALSE(s3.path_style);
  EXPECT_EQ(s3.signing_region, "us-west-2");
}

TEST(Endpoints, PrecedenceFlagThenServiceVariableThenGlobalVariable) {
  util::EnvMap env{{"AWS_ENDPOINT_URL", "http://global:1"}, {"AWS_ENDPOINT_URL_S3", "http://s3only:2"}};
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, "http://flag:3").url, "http://flag:3");
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, std::nullopt).url, "http://s3only:2");
  EXPECT_EQ(resolve_endpoint("sagemaker", "us-east-1", env, std::nullopt).url, "http://global:1");
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, std::string()).url, "http://s3only:2"); // empty flag: unset
  env["AWS_ENDPOINT_URL_S3"] = "";
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, std::nullopt).url, "http://global:1");
}

TEST(Endpoints, ServiceVariableNames) {
  const util::EnvMap env{{"AWS_ENDPOINT_URL_SAGEMAKER", "http://sm"},
                         {"AWS_ENDPOINT_URL_ECR", "http://ecr"},
                         {"AWS_ENDPOINT_URL_CLOUDWATCH_LOGS", "http://logs"},
                         {"AWS_ENDPOINT_URL_LOGS", "http://wrong"},
                         {"AWS_ENDPOINT_URL_STS", "http://sts"}};
  EXPECT_EQ(resolve_endpoint("sagemaker", "r", env, std::nullopt).url, "http://sm");
  EXPECT_EQ(resolve_endpoint("ecr", "r", env, std::nullopt).url, "http://ecr");
  EXPECT_EQ(resolve_endpoint("logs", "r", env, std::nullopt).url, "http://logs");
  EXPECT_EQ(resolve_endpoint("sts", "r", env, std::nullopt).url, "http://sts");
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, std::nullopt).url, "https://s3.us-east-1.amazonaws.com");
}

TEST(Endpoints, CustomEndpointsArePathStyleWithoutTrailingSlash) {
  const auto endpoint = resolve_endpoint("s3", "us-east-1", {}, "http://127.0.0.1:5000/");
  EXPECT_EQ(endpoint.url, "http://127.0.0.1:5000");
  EXPECT_TRUE(endpoint.path_style);
  EXPECT_EQ(endpoint.signing_region, "us-east-1");
}

TEST(Endpoints, IgnoreConfiguredEndpointUrls) {
  const util::EnvMap env{{"AWS_ENDPOINT_URL", "http://global"}, {"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"}};
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, std::nullopt).url, "https://s3.us-east-1.amazonaws.com");
  EXPECT_EQ(resolve_endpoint("s3", "us-east-1", env, "http://flag").url, "http://flag"); // the flag still counts
}

TEST(Endpoints, VirtualHostedObjectUrls) {
  const auto endpoint = resolve_endpoint("s3", "eu-west-1", {}, std::nullopt);
  EXPECT_EQ(s3_object_url(endpoint, "my-bucket", "a/b c/ü+=.txt"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/a/b%20c/%C3%BC%2B%3D.txt");
  EXPECT_EQ(s3_object_url(endpoint, "my-bucket", "", "list-type=2&prefix=x%2F"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/?list-type=2&prefix=x%2F");
  EXPECT_EQ(s3_object_url(endpoint, "my-bucket", "k", "uploads"),
            "https://my-bucket.s3.eu-west-1.amazonaws.com/k?uploads");
}

TEST(Endpoints, BucketsThatAreNoDnsLabelUsePathStyleOnAws) {
  const auto endpoint = resolve_endpoint("s3", "us-east-1", {}, std::nullopt);
  EXPECT_EQ(s3_object_url(endpoint, "my.dotted.bucket", "k"), "https://s3.us-east-1.amazonaws.com/my.dotted.bucket/k");
  EXPECT_EQ(s3_object_url(endpoint, "Upper_Case", "k"), "https://s3.us-east-1.amazonaws.com/Upper_Case/k");
  EXPECT_EQ(s3_object_url(endpoint, "-dash", "k"), "https://s3.us-east-1.amazonaws.com/-dash/k");
  EXPECT_TRUE(virtual_hostable_bucket("abc"));
  EXPECT_TRUE(virtual_hostable_bucket("a-b-1"));
  EXPECT_FALSE(virtual_hostable_bucket("ab"));
  EXPECT_FALSE(virtual_hostable_bucket(std::string(64, 'a')));
  EXPECT_FALSE(virtual_hostable_bucket("a.b.c"));
  EXPECT_FALSE(virtual_hostable_bucket("end-"));
}

TEST(Endpoints, PathStyleObjectUrls) {
  const auto endpoint = resolve_endpoint("s3", "us-east-1", {{"AWS_ENDPOINT_URL", "http://localhost:9000"}}, {});
  EXPECT_EQ(s3_object_url(endpoint, "bucket", "dir/file name"), "http://localhost:9000/bucket/dir/file%20name");
  EXPECT_EQ(s3_object_url(endpoint, "bucket", "", "list-type=2"), "http://localhost:9000/bucket?list-type=2");
  EXPECT_EQ(s3_object_url(endpoint, "bucket", "k", "partNumber=1&uploadId=x"),
            "http://localhost:9000/bucket/k?partNumber=1&uploadId=x");
}

} // namespace
} // namespace sagerun::aws
