#include <gtest/gtest.h>

#include "aws/s3/client.hpp"
#include "aws/s3/uri.hpp"
#include "aws/transfer/stream.hpp"
#include "aws/transfer/transfer.hpp"

namespace sagerun::aws {
namespace {

TEST(S3Uri, Parse) {
  auto location = s3::parse_uri("s3://my-bucket/ml/input/");
  ASSERT_TRUE(location);
  EXPECT_EQ(location->bucket, "my-bucket");
  EXPECT_EQ(location->key, "ml/input/");
  EXPECT_EQ(s3::parse_uri("s3://bucket")->key, "");
  EXPECT_FALSE(s3::parse_uri("https://bucket/key"));
  EXPECT_FALSE(s3::parse_uri("s3://b/key")); // too short a bucket name
}

TEST(S3Uri, KeysStayInsideTheFolder) {
  EXPECT_EQ(*s3::local_path_for_key("/t", "in/", "in/a/b.txt"), "/t/a/b.txt");
  EXPECT_EQ(*s3::local_path_for_key("/t", "in", "in/a.txt"), "/t/a.txt");
  EXPECT_EQ(*s3::local_path_for_key("/t", "", "x y+z%.txt"), "/t/x y+z%.txt");
  for (const char* key :
       {"in/../x", "in/a/../../x", "in//x", "in/./x", "in/", "in/a/", "in//etc/passwd", "other/x", "inx"}) {
    EXPECT_FALSE(s3::local_path_for_key("/t", "in", key)) << key;
  }
}

TEST(S3, MultipartEtagIsMd5OfPartMd5s) {
  // Two parts whose MD5s are those of "a" and "b": the value S3 (and moto) report.
  const std::string md5_a = "\x0c\xc1\x75\xb9\xc0\xf1\xb6\xa8\x31\xc3\x99\xe2\x69\x77\x26\x61";
  const std::string md5_b = "\x92\xeb\x5f\xfe\xe6\xae\x2f\xec\x3a\xd7\x1c\x77\x75\x31\x57\x8f";
  const std::vector<s3::PartInfo> parts = {{1, "", md5_a}, {2, "", md5_b}};
  const auto etag = s3::multipart_etag(parts);
  EXPECT_TRUE(etag.ends_with("-2"));
  EXPECT_EQ(etag.size(), 34u);
}

// A stream of unknown length must fit S3's 10,000 parts up to its 5 TiB object limit.
TEST(Transfer, StreamPartsGrowSoTenThousandReachFiveTebibytes) {
  const uint64_t base = 8ull << 20;
  EXPECT_EQ(transfer::stream_part_size(base, 1), base);
  EXPECT_EQ(transfer::stream_part_size(base, 1000), base);
  EXPECT_EQ(transfer::stream_part_size(base, 1001), 2 * base);
  EXPECT_EQ(transfer::stream_part_size(base, 10000), 512 * base);
  EXPECT_EQ(transfer::stream_part_size(1ull << 30, 10000), 5ull << 30); // capped at S3's largest part
  uint64_t total = 0;
  for (int number = 1; number <= 10000; ++number)
    total += transfer::stream_part_size(base, number);
  EXPECT_GE(total, 5ull << 40);
}

TEST(Transfer, JoinKey) {
  EXPECT_EQ(transfer::join_key("", "a/b"), "a/b");
  EXPECT_EQ(transfer::join_key("ml/input", "script/train.py"), "ml/input/script/train.py");
  EXPECT_EQ(transfer::join_key("ml/input/", "x"), "ml/input/x");
}

} // namespace
} // namespace sagerun::aws
