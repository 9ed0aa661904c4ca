#include "aws/credentials.hpp"

#include <atomic>
#include <fstream>
#include <functional>
#include <map>
#include <mutex>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

namespace sagerun::aws {
namespace {

using Clock = std::chrono::system_clock;
using namespace std::chrono_literals;

// Serves canned answers by "METHOD URL" and records every request; anything unrouted is refused
// the way a closed port is.
class FakeHttp : public HttpClient {
public:
  using Handler = std::function<Expected<HttpResponse>(const HttpRequest&)>;

  void route(const std::string& method, const std::string& url, Handler handler) {
    m_routes[method + " " + url] = std::move(handler);
  }
  void answer(const std::string& method, const std::string& url, int status, std::string body) {
    route(method, url,
          [status, body](const HttpRequest&) -> Expected<HttpResponse> { return HttpResponse{status, {}, body}; });
  }

  Expected<HttpResponse> send(const HttpRequest& request, const BodySink& = {}) override {
    std::lock_guard lock(m_mutex);
    requests.push_back(request);
    const auto it = m_routes.find(request.method + " " + request.url);
    if (it == m_routes.end()) return util::fail(util::ErrorKind::io, "connection refused: " + request.url);
    return it->second(request);
  }

  size_t count(const std::string& method, const std::string& url) {
    std::lock_guard lock(m_mutex);
    return static_cast<size_t>(std::count_if(requests.begin(), requests.end(),
                                             [&](const HttpRequest& r) { return r.method == method && r.url == url; }));
  }

  std::vector<HttpRequest> requests;

private:
  std::mutex m_mutex;
  std::map<std::string, Handler> m_routes;
};

std::string credentials_json(const std::string& access, const std::string& secret, const std::string& token,
                             std::optional<Clock::time_point> expiration) {
  std::string json =
      R"({"AccessKeyId":")" + access + R"(","SecretAccessKey":")" + secret + R"(","Token":")" + token + "\"";
  if (expiration) json += R"(,"Expiration":")" + format_timestamp(*expiration) + "\"";
  return json + "}";
}

const std::string k_imds = "http://169.254.169.254";
const std::string k_roles = k_imds + "/latest/meta-data/iam/security-credentials/";

class CredentialsTest : public ::testing::Test {
protected:
  test::TempDir home;
  util::EnvMap env{{"HOME", home.path().string()}};
  FakeHttp http;

  void write(const std::string& relative, const std::string& content) {
    const auto path = home.path() / relative;
    std::filesystem::create_directories(path.parent_path());
    std::ofstream(path) << content;
  }
  Expected<ResolvedCredentials> resolve(const CredentialOptions& options = {}) {
    return resolve_credentials(env, options, http);
  }
  void serve_imds(const std::string& role, const std::string& body) {
    http.answer("PUT", k_imds + "/latest/api/token", 200, "TOKEN-123");
    http.route("GET", k_roles, [role](const HttpRequest& r) -> Expected<HttpResponse> {
      if (find_header(r.headers, "X-aws-ec2-metadata-token") != "TOKEN-123") return HttpResponse{401, {}, ""};
      return HttpResponse{200, {}, role};
    });
    http.route("GET", k_roles + role, [body](const HttpRequest& r) -> Expected<HttpResponse> {
      if (find_header(r.headers, "X-aws-ec2-metadata-token") != "TOKEN-123") return HttpResponse{401, {}, ""};
      return HttpResponse{200, {}, body};
    });
  }
};

void expect_no_secret(const util::Error& error, const std::string& secret) {
  EXPECT_EQ(error.message.find(secret), std::string::npos) << error.message;
}

TEST_F(CredentialsTest, FlagsWinOverEverything) {
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env["AWS_PROFILE"] = "does-not-exist"; // flags never look at the profile
  const auto resolved = resolve({.access_key = "FLAGKEY", .secret_key = "flagsecret", .session_token = "tok"});
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "flags");
  EXPECT_EQ(resolved->credentials.access_key_id, "FLAGKEY");
  EXPECT_EQ(resolved->credentials.secret_access_key, "flagsecret");
  EXPECT_EQ(resolved->credentials.session_token, "tok");
  EXPECT_FALSE(resolved->expiration);
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(CredentialsTest, PartialFlagsAreAnError) {
  EXPECT_FALSE(resolve({.access_key = "FLAGKEY"}));
  const auto no_key = resolve({.secret_key = "flagsecret"});
  ASSERT_FALSE(no_key);
  expect_no_secret(no_key.error(), "flagsecret");
}

TEST_F(CredentialsTest, Environment) {
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  env["AWS_SESSION_TOKEN"] = "envtoken";
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "environment");
  EXPECT_EQ(resolved->credentials.access_key_id, "ENVKEY");
  EXPECT_EQ(resolved->credentials.secret_access_key, "envsecret");
  EXPECT_EQ(resolved->credentials.session_token, "envtoken");
  EXPECT_TRUE(http.requests.empty());
}

TEST_F(CredentialsTest, EnvironmentKeyWithoutSecretNamesTheMissingVariable) {
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().kind, util::ErrorKind::invalid_input);
  EXPECT_NE(resolved.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
}

TEST_F(CredentialsTest, EnvironmentBeatsAwsProfile) {
  write(".aws/credentials", "[dev]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  env["AWS_PROFILE"] = "dev";
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "environment");
  EXPECT_EQ(resolved->credentials.access_key_id, "ENVKEY");
}

TEST_F(CredentialsTest, ProfileFlagSetsTheEnvironmentAsideAsTheCliDoes) {
  write(".aws/credentials", "[dev]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  const auto resolved = resolve({.profile = "dev"});
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "shared-credentials-file");
  EXPECT_EQ(resolved->credentials.access_key_id, "FILEKEY");
}

TEST_F(CredentialsTest, SharedCredentialsFileDefaultProfile) {
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n"
                            "aws_session_token = filetoken\n");
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "shared-credentials-file");
  EXPECT_EQ(resolved->credentials.access_key_id, "FILEKEY");
  EXPECT_EQ(resolved->credentials.secret_access_key, "filesecret");
  EXPECT_EQ(resolved->credentials.session_token, "filetoken");
}

TEST_F(CredentialsTest, SharedCredentialsFileVariable) {
  test::TempDir other;
  std::ofstream(other.path() / "creds") << "[ci]\naws_access_key_id = CIKEY\naws_secret_access_key = cisecret\n";
  env["AWS_SHARED_CREDENTIALS_FILE"] = (other.path() / "creds").string();
  env["AWS_PROFILE"] = "ci";
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->credentials.access_key_id, "CIKEY");
}

TEST_F(CredentialsTest, ProfileInConfigFile) {
  write(".aws/config", "[profile dev]\nregion = eu-west-1\naws_access_key_id = CFGKEY\n"
                       "aws_secret_access_key = cfgsecret\n");
  env["AWS_PROFILE"] = "dev";
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "config-file");
  EXPECT_EQ(resolved->credentials.access_key_id, "CFGKEY");
}

TEST_F(CredentialsTest, CredentialsFileBeatsConfigFile) {
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = filesecret\n");
  write(".aws/config", "[default]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n");
  const auto resolved = resolve();
  ASSERT_TRUE(resolved);
  EXPECT_EQ(resolved->source, "shared-credentials-file");
}

TEST_F(CredentialsTest, ConfigFileSectionWithoutProfilePrefixIsNotTheProfile) {
  write(".aws/credentials", "[other]\naws_access_key_id = X\naws_secret_access_key = y\n");
  write(".aws/config", "[dev]\naws_access_key_id = CFGKEY\naws_secret_access_key = cfgsecret\n");
  env["AWS_PROFILE"] = "dev";
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().message.find("The config profile (dev) could not be found"), std::string::npos);
}

TEST_F(CredentialsTest, UnknownProfileIsAnErrorEvenWithEnvironmentKeys) {
  env["AWS_PROFILE"] = "nope";
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "envsecret";
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().kind, util::ErrorKind::not_found);
  EXPECT_NE(resolved.error().message.find("The config profile (nope) could not be found"), std::string::npos);
  EXPECT_FALSE(resolve({.profile = "nope-either"}));
}

TEST_F(CredentialsTest, ProfileKeyWithoutSecretIsAnErrorNamingTheFile) {
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\n");
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().message.find(".aws/credentials"), std::string::npos);
  EXPECT_NE(resolved.error().message.find("aws_secret_access_key"), std::string::npos);
}

TEST_F(CredentialsTest, RoleProfilesAreRefusedRatherThanSkipped) {
  write(".aws/config", "[profile admin]\nrole_arn = arn:aws:iam::1:role/x\nsource_profile = default\n");
  env["AWS_PROFILE"] = "admin";
  serve_imds("role", credentials_json("IMDSKEY", "imdssecret", "t", Clock::now() + 1h));
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().kind, util::ErrorKind::unsupported);
  EXPECT_NE(resolved.error().message.find("role_arn"), std::string::npos);
}

TEST_F(CredentialsTest, ContainerRelativeUriWithAuthorizationToken) {
  env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/v2/credentials/abc";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "Bearer secret-auth";
  const auto expiration = Clock::now() + 6h;
  http.route("GET", "http://169.254.170.2/v2/credentials/abc", [&](const HttpRequest& r) -> Expected<HttpResponse> {
    if (find_header(r.headers, "Authorization") != "Bearer secret-auth") return HttpResponse{401, {}, ""};
    return HttpResponse{200, {}, credentials_json("CONTKEY", "contsecret", "conttoken", expiration)};
  });
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "container");
  EXPECT_EQ(resolved->credentials.access_key_id, "CONTKEY");
  EXPECT_EQ(resolved->credentials.secret_access_key, "contsecret");
  EXPECT_EQ(resolved->credentials.session_token, "conttoken");
  ASSERT_TRUE(resolved->expiration);
  EXPECT_EQ(*resolved->expiration, std::chrono::floor<std::chrono::seconds>(expiration));
  EXPECT_EQ(http.count("PUT", k_imds + "/latest/api/token"), 0u);
}

TEST_F(CredentialsTest, ContainerFullUriWithTokenFileThatWinsOverTheToken) {
  write("token", "from-file\n");
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:8080/creds";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN"] = "from-variable";
  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (home.path() / "token").string();
  http.route("GET", "http://127.0.0.1:8080/creds", [](const HttpRequest& r) -> Expected<HttpResponse> {
    if (find_header(r.headers, "Authorization") != "from-file") return HttpResponse{403, {}, ""};
    return HttpResponse{200, {}, credentials_json("FILETOKENKEY", "s", "t", std::nullopt)};
  });
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->credentials.access_key_id, "FILETOKENKEY");
  EXPECT_FALSE(resolved->expiration);

  env["AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"] = (home.path() / "absent").string();
  const auto unreadable = resolve();
  ASSERT_FALSE(unreadable);
  EXPECT_NE(unreadable.error().message.find("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE"), std::string::npos);
}

TEST_F(CredentialsTest, RelativeUriWinsOverFullUri) {
  env["AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"] = "/rel";
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:1/full";
  http.answer("GET", "http://169.254.170.2/rel", 200, credentials_json("RELKEY", "s", "t", std::nullopt));
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->credentials.access_key_id, "RELKEY");
}

TEST_F(CredentialsTest, ContainerFullUriMustBeLoopbackOrHttps) {
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://example.com/creds";
  const auto refused = resolve();
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("loopback"), std::string::npos);
  EXPECT_TRUE(http.requests.empty());

  for (const auto* url : {"https://example.com/creds", "http://localhost:9/c", "http://[::1]:9/c",
                          "http://127.1.2.3:9/c", "http://169.254.170.23/v1/credentials"}) {
    env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = url;
    http.answer("GET", url, 200, credentials_json("K", "s", "t", std::nullopt));
    EXPECT_TRUE(resolve()) << url;
  }
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1.example.com/c";
  EXPECT_FALSE(resolve());
}

TEST_F(CredentialsTest, ContainerFailureStopsTheChainWithoutLeakingTheBody) {
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:8080/creds";
  serve_imds("role", credentials_json("IMDSKEY", "imdssecret", "t", std::nullopt));
  http.answer("GET", "http://127.0.0.1:8080/creds", 500, R"({"code":"Boom","message":"agent down"})");
  auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().message.find("HTTP 500: Boom: agent down"), std::string::npos) << resolved.error().message;
  EXPECT_EQ(http.count("GET", "http://127.0.0.1:8080/creds"), 3u); // retried
  EXPECT_EQ(http.count("PUT", k_imds + "/latest/api/token"), 0u);

  http.answer("GET", "http://127.0.0.1:8080/creds", 200,
              R"({"AccessKeyId":"K","SecretAccessKey":"leaky-secret",)"
              R"("Expiration":"not a time"})");
  resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().message.find("Expiration"), std::string::npos);
  expect_no_secret(resolved.error(), "leaky-secret");

  http.answer("GET", "http://127.0.0.1:8080/creds", 200, R"({"SecretAccessKey":"leaky-secret"})");
  resolved = resolve();
  ASSERT_FALSE(resolved);
  expect_no_secret(resolved.error(), "leaky-secret");
}

TEST_F(CredentialsTest, InstanceMetadataV2) {
  const auto expiration = Clock::now() + 3h;
  serve_imds("my-role", credentials_json("IMDSKEY", "imdssecret", "imdstoken", expiration));
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->source, "instance-metadata");
  EXPECT_EQ(resolved->credentials.access_key_id, "IMDSKEY");
  EXPECT_EQ(resolved->credentials.session_token, "imdstoken");
  EXPECT_EQ(*resolved->expiration, std::chrono::floor<std::chrono::seconds>(expiration));

  ASSERT_EQ(http.requests.size(), 3u);
  EXPECT_EQ(http.requests[0].method, "PUT");
  EXPECT_EQ(http.requests[0].url, k_imds + "/latest/api/token");
  EXPECT_EQ(find_header(http.requests[0].headers, "X-aws-ec2-metadata-token-ttl-seconds"), "21600");
  EXPECT_EQ(http.requests[1].url, k_roles);
  EXPECT_EQ(http.requests[2].url, k_roles + "my-role");
  for (const auto& request : http.requests)
    EXPECT_LE(request.timeout, std::chrono::milliseconds(1000));
}

TEST_F(CredentialsTest, InstanceMetadataEndpointOverride) {
  env["AWS_EC2_METADATA_SERVICE_ENDPOINT"] = "http://127.0.0.1:1338/";
  http.answer("PUT", "http://127.0.0.1:1338/latest/api/token", 200, "T");
  http.answer("GET", "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/", 200, "r\n");
  http.answer("GET", "http://127.0.0.1:1338/latest/meta-data/iam/security-credentials/r", 200,
              R"({"Code":"Success","AccessKeyId":"LOCALKEY","SecretAccessKey":"s","Token":"t",)"
              R"("Expiration":"2031-02-03T04:05:06Z"})");
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->credentials.access_key_id, "LOCALKEY");
  EXPECT_EQ(format_timestamp(*resolved->expiration), "2031-02-03T04:05:06Z");
}

TEST_F(CredentialsTest, InstanceMetadataFallsBackToV1OnlyWhenTheTokenIsRefused) {
  http.answer("PUT", k_imds + "/latest/api/token", 403, "");
  http.answer("GET", k_roles, 200, "r");
  http.answer("GET", k_roles + "r", 200, credentials_json("V1KEY", "s", "t", std::nullopt));
  const auto resolved = resolve();
  ASSERT_TRUE(resolved) << resolved.error().message;
  EXPECT_EQ(resolved->credentials.access_key_id, "V1KEY");
  EXPECT_FALSE(find_header(http.requests.back().headers, "X-aws-ec2-metadata-token"));
}

TEST_F(CredentialsTest, InstanceMetadataDisabled) {
  env["AWS_EC2_METADATA_DISABLED"] = "TRUE";
  serve_imds("role", credentials_json("IMDSKEY", "s", "t", std::nullopt));
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_TRUE(http.requests.empty());
  EXPECT_NE(resolved.error().message.find("AWS_EC2_METADATA_DISABLED"), std::string::npos);
}

TEST_F(CredentialsTest, NothingFoundListsWhatWasTriedAfterOneRetry) {
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_EQ(resolved.error().kind, util::ErrorKind::not_found);
  const auto& message = resolved.error().message;
  for (const auto* part :
       {"AWS_ACCESS_KEY_ID is not set", ".aws/credentials", ".aws/config", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "169.254.169.254", "connection refused", "Set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY"}) {
    EXPECT_NE(message.find(part), std::string::npos) << part << " in " << message;
  }
  EXPECT_EQ(http.count("PUT", k_imds + "/latest/api/token"), 2u); // one attempt and one retry
  EXPECT_EQ(http.requests.size(), 2u);                            // no IMDSv1 after a dead endpoint
}

TEST_F(CredentialsTest, InstanceWithoutRoleIsNotFound) {
  http.answer("PUT", k_imds + "/latest/api/token", 200, "T");
  http.answer("GET", k_roles, 404, "");
  const auto resolved = resolve();
  ASSERT_FALSE(resolved);
  EXPECT_NE(resolved.error().message.find("no IAM role"), std::string::npos);
}

TEST_F(CredentialsTest, ChainOrderFromTheTopDown) {
  // Every source has credentials; removing the winner each time reveals the next one.
  write(".aws/credentials", "[default]\naws_access_key_id = FILEKEY\naws_secret_access_key = s\n");
  write(".aws/config", "[default]\naws_access_key_id = CFGKEY\naws_secret_access_key = s\n");
  env["AWS_ACCESS_KEY_ID"] = "ENVKEY";
  env["AWS_SECRET_ACCESS_KEY"] = "s";
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/c";
  http.answer("GET", "http://127.0.0.1:9/c", 200, credentials_json("CONTKEY", "s", "t", std::nullopt));
  serve_imds("r", credentials_json("IMDSKEY", "s", "t", std::nullopt));
  const auto winner = [&] { return resolve()->credentials.access_key_id; };
  EXPECT_EQ(winner(), "ENVKEY");
  env.erase("AWS_ACCESS_KEY_ID");
  EXPECT_EQ(winner(), "FILEKEY");
  write(".aws/credentials", "");
  EXPECT_EQ(winner(), "CFGKEY");
  write(".aws/config", "");
  EXPECT_EQ(winner(), "CONTKEY");
  env.erase("AWS_CONTAINER_CREDENTIALS_FULL_URI");
  EXPECT_EQ(winner(), "IMDSKEY");
}

TEST_F(CredentialsTest, ProviderCachesLongTermCredentials) {
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/c";
  http.answer("GET", "http://127.0.0.1:9/c", 200, credentials_json("K", "s", "t", std::nullopt));
  CredentialsProvider provider(env, {}, http);
  EXPECT_EQ(provider.source(), "");
  for (int i = 0; i < 5; ++i)
    ASSERT_TRUE(provider.get());
  EXPECT_EQ(provider.source(), "container");
  EXPECT_EQ(http.requests.size(), 1u);
}

TEST_F(CredentialsTest, ProviderRefreshesFiveMinutesBeforeExpiry) {
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/c";
  int served = 0;
  std::vector<Clock::duration> lifetimes{4min, 6min, 1h};
  http.route("GET", "http://127.0.0.1:9/c", [&](const HttpRequest&) -> Expected<HttpResponse> {
    const auto lifetime = lifetimes.at(static_cast<size_t>(served));
    ++served;
    return HttpResponse{200, {}, credentials_json("KEY" + std::to_string(served), "s", "t", Clock::now() + lifetime)};
  });
  CredentialsProvider provider(env, {}, http);
  EXPECT_EQ(provider.get()->access_key_id, "KEY1"); // 4 minutes left: inside the refresh window
  EXPECT_EQ(provider.get()->access_key_id, "KEY2"); // 6 minutes left: kept
  EXPECT_EQ(provider.get()->access_key_id, "KEY2");
  EXPECT_EQ(served, 2);
}

TEST_F(CredentialsTest, ProviderKeepsValidCredentialsWhenAnEarlyRefreshFails) {
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/c";
  http.answer("GET", "http://127.0.0.1:9/c", 200, credentials_json("OLD", "s", "t", Clock::now() + 2min));
  CredentialsProvider provider(env, {}, http);
  EXPECT_EQ(provider.get()->access_key_id, "OLD");
  http.answer("GET", "http://127.0.0.1:9/c", 503, "");
  EXPECT_EQ(provider.get()->access_key_id, "OLD");

  http.answer("GET", "http://127.0.0.1:9/c", 200, credentials_json("GONE", "s", "t", Clock::now() - 1min));
  CredentialsProvider expired(env, {}, http);
  EXPECT_EQ(expired.get()->access_key_id, "GONE");
  http.answer("GET", "http://127.0.0.1:9/c", 503, "");
  EXPECT_FALSE(expired.get());
}

TEST_F(CredentialsTest, ProviderIsSafeToShareBetweenThreads) {
  env["AWS_CONTAINER_CREDENTIALS_FULL_URI"] = "http://127.0.0.1:9/c";
  http.answer("GET", "http://127.0.0.1:9/c", 200, credentials_json("SHARED", "s", "t", Clock::now() + 1h));
  CredentialsProvider provider(env, {}, http);
  std::atomic<int> good{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        if (auto credentials = provider.get(); credentials && credentials->access_key_id == "SHARED") ++good;
        (void)provider.source();
      }
    });
  }
  for (auto& thread : threads)
    thread.join();
  EXPECT_EQ(good.load(), 8 * 200);
  EXPECT_EQ(http.requests.size(), 1u);
}

TEST(Timestamps, ParseAndFormat) {
  const auto base = parse_timestamp("2024-01-01T00:00:00Z");
  ASSERT_TRUE(base);
  EXPECT_EQ(base->time_since_epoch(), std::chrono::seconds(1704067200));
  EXPECT_EQ(format_timestamp(*base), "2024-01-01T00:00:00Z");
  EXPECT_EQ(parse_timestamp("2024-01-01T02:30:00+02:30"), base);
  EXPECT_EQ(parse_timestamp("2023-12-31T23:00:00-0100"), base);
  EXPECT_EQ(parse_timestamp("2024-01-01T00:00:00.123Z").value() - *base, std::chrono::seconds(0));
  EXPECT_EQ(format_timestamp(*parse_timestamp("2024-02-29T23:59:59Z")), "2024-02-29T23:59:59Z");
  for (const auto* bad : {"", "2024-01-01", "2024-13-01T00:00:00Z", "2023-02-29T00:00:00Z", "2024-01-01T24:00:00Z",
                          "2024-01-01T00:00:00Zjunk", "2024-01-01T00:00:00.Z", "yesterday"}) {
    EXPECT_FALSE(parse_timestamp(bad)) << bad;
  }
}

class RegionTest : public CredentialsTest {};

TEST_F(RegionTest, Precedence) {
  write(".aws/config", "[default]\nregion = eu-west-1\n[profile dev]\nregion = ap-south-1\n");
  EXPECT_EQ(resolve_region(env, std::nullopt), "eu-west-1");
  env["AWS_PROFILE"] = "dev";
  EXPECT_EQ(resolve_region(env, std::nullopt), "ap-south-1");
  EXPECT_EQ(resolve_region(env, std::nullopt, "default"), "eu-west-1");
  env["AWS_DEFAULT_REGION"] = "us-west-1";
  EXPECT_EQ(resolve_region(env, std::nullopt), "us-west-1");
  env["AWS_REGION"] = "us-west-2";
  EXPECT_EQ(resolve_region(env, std::nullopt), "us-west-2");
  EXPECT_EQ(resolve_region(env, "ca-central-1"), "ca-central-1");
}

TEST_F(RegionTest, MissingRegionSaysWhatToSet) {
  const auto region = resolve_region(env, std::nullopt);
  ASSERT_FALSE(region);
  for (const auto* part : {"--region", "AWS_REGION", "AWS_DEFAULT_REGION", "[default]", ".aws/config"})
    EXPECT_NE(region.error().message.find(part), std::string::npos) << part;
}

TEST_F(RegionTest, UnknownProfileAndBadNames) {
  env["AWS_PROFILE"] = "nope";
  EXPECT_FALSE(resolve_region(env, std::nullopt));
  EXPECT_EQ(resolve_region(env, "us-east-1"), "us-east-1");
  const auto bad = resolve_region(env, "us-east-1 # primary");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("--region"), std::string::npos);
}

} // namespace
} // namespace sagerun::aws
