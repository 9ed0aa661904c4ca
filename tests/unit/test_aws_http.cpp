#include "aws/http.hpp"

#include <gtest/gtest.h>

namespace sagerun::aws {
namespace {

TEST(ParseUrl, Parts) {
  auto url = parse_url("https://bucket.s3.amazonaws.com/a%20b/c?x=1&y");
  ASSERT_TRUE(url);
  EXPECT_EQ(url->scheme, "https");
  EXPECT_EQ(url->host, "bucket.s3.amazonaws.com");
  EXPECT_EQ(url->port, 443);
  EXPECT_EQ(url->path, "/a%20b/c");
  EXPECT_EQ(url->query, "x=1&y");
  EXPECT_EQ(url->authority(), "bucket.s3.amazonaws.com");
  auto local = parse_url("http://127.0.0.1:5000");
  ASSERT_TRUE(local);
  EXPECT_EQ(local->path, "/");
  EXPECT_EQ(local->authority(), "127.0.0.1:5000");
  auto v6 = parse_url("http://[::1]:8080/x");
  ASSERT_TRUE(v6);
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->authority(), "[::1]:8080");
}

TEST(ParseUrl, Rejects) {
  for (const char* bad : {"ftp://x/", "http://", "http://host:99999/", "http://host:abc/", "no-scheme"}) {
    EXPECT_FALSE(parse_url(bad)) << bad;
  }
}

TEST(UriEncode, Rfc3986) {
  EXPECT_EQ(uri_encode("a b+c%d=e/f~g_h.i-j", false), "a%20b%2Bc%25d%3De%2Ff~g_h.i-j");
  EXPECT_EQ(uri_encode("dir/naïve.txt", true), "dir/na%C3%AFve.txt");
  EXPECT_EQ(uri_decode("dir/na%C3%AFve%20x+y%2"), "dir/naïve x+y%2");
}

TEST(Headers, CaseInsensitiveLookup) {
  const Headers headers = {{"Content-Length", "5"}, {"ETag", "\"abc\""}};
  EXPECT_EQ(find_header(headers, "content-length"), "5");
  EXPECT_EQ(find_header(headers, "etag"), "\"abc\"");
  EXPECT_EQ(find_header(headers, "missing"), std::nullopt);
}

} // namespace
} // namespace sagerun::aws
