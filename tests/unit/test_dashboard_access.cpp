// The dashboard's access rules: the token's cookie, query values, which Host names this server,
// and which changes come from the dashboard's own pages.

#include "dashboard/access.hpp"

#include <gtest/gtest.h>

namespace sagerun::dashboard {
namespace {

TEST(DashboardAccess, FindsTheCookieAmongOthers) {
  const aws::Headers headers{{"cookie", "a=1; sagerun_dashboard=tok3n ;b=2"}};
  EXPECT_EQ(find_cookie(headers, k_cookie_name), "tok3n");
  EXPECT_EQ(find_cookie(headers, "b"), "2");
  EXPECT_FALSE(find_cookie(headers, "sagerun"));
  EXPECT_FALSE(find_cookie({{"Cookie", "xsagerun_dashboard=1"}}, k_cookie_name));
  EXPECT_FALSE(find_cookie({}, k_cookie_name));
}

TEST(DashboardAccess, ReadsQueryValuesDecoded) {
  EXPECT_EQ(query_value("status=Completed&name=a%2Db+c", "name"), "a-b c");
  EXPECT_EQ(query_value("token=", "token"), "");
  EXPECT_EQ(query_value("token", "token"), "");
  EXPECT_EQ(query_value("x=%zz%4", "x"), "%zz%4"); // a broken escape stays as it is
  EXPECT_FALSE(query_value("tokens=1", "token"));
}

TEST(DashboardAccess, OnlyAnAddressOrLocalhostWithThePortNamesThisServer) {
  EXPECT_TRUE(names_this_server("127.0.0.1:8080", 8080));
  EXPECT_TRUE(names_this_server("localhost:8080", 8080));
  EXPECT_TRUE(names_this_server("10.1.2.3:8080", 8080));
  EXPECT_TRUE(names_this_server("[::1]:8080", 8080));
  EXPECT_FALSE(names_this_server("127.0.0.1:8081", 8080));
  EXPECT_FALSE(names_this_server("127.0.0.1", 8080));
  EXPECT_FALSE(names_this_server("evil.example:8080", 8080)); // a name rebound to this address
  EXPECT_FALSE(names_this_server("localhost.evil.example:8080", 8080));
  EXPECT_FALSE(names_this_server("[::]:8080", 8080));
  EXPECT_FALSE(names_this_server("", 8080));
}

TEST(DashboardAccess, ChangesOnlyFromTheDashboardsOwnOrigin) {
  const aws::Headers own{{"Host", "127.0.0.1:8080"}, {"Origin", "http://127.0.0.1:8080"}};
  EXPECT_FALSE(cross_origin_refusal(own));
  auto same_site_other_port = own;
  same_site_other_port[1].second = "http://127.0.0.1:9999";
  EXPECT_TRUE(cross_origin_refusal(same_site_other_port));
  EXPECT_TRUE(cross_origin_refusal({{"Host", "127.0.0.1:8080"}})); // no Origin at all
  EXPECT_TRUE(cross_origin_refusal({{"Origin", "http://127.0.0.1:8080"}}));
  auto fetched_cross_site = own;
  fetched_cross_site.emplace_back("Sec-Fetch-Site", "cross-site");
  EXPECT_TRUE(cross_origin_refusal(fetched_cross_site));
  auto fetched_same_origin = own;
  fetched_same_origin.emplace_back("Sec-Fetch-Site", "same-origin");
  EXPECT_FALSE(cross_origin_refusal(fetched_same_origin));
}

TEST(DashboardAccess, SecretsCompareWhole) {
  EXPECT_TRUE(same_secret("abc", "abc"));
  EXPECT_FALSE(same_secret("abc", "abd"));
  EXPECT_FALSE(same_secret("abc", "ab"));
  EXPECT_FALSE(same_secret("", "a"));
}

TEST(DashboardAccess, TheCookieIsHttpOnlyAndStrict) {
  EXPECT_EQ(token_cookie("t"), "sagerun_dashboard=t; Path=/; HttpOnly; SameSite=Strict");
}

} // namespace
} // namespace sagerun::dashboard
