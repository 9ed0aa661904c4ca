// The signer against every case of AWS's SigV4 test suite (../shared/testdata/aws-signing-test-suite,
// beside the repository), plus the rules the suite leaves out: S3's path, re-signing, presigning.

#include "aws/sigv4.hpp"

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <string_view>

#include "aws/crypto.hpp"

namespace sagerun::aws {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

fs::path suite_dir() {
  if (const char* dir = std::getenv("SAGERUN_AWS_SIGNING_SUITE")) return dir;
  // tests/unit/ → the repository → the folder that holds it and shared/.
  return (fs::path(__FILE__).parent_path() / "../../../shared/testdata/aws-signing-test-suite/v4").lexically_normal();
}

std::vector<std::string> suite_case_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(suite_dir(), ec)) {
    if (fs::exists(entry.path() / "request.txt")) names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  return names;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

std::chrono::system_clock::time_point parse_iso8601(const std::string& text) {
  int year = 0, hour = 0, minute = 0, second = 0;
  unsigned month = 0, day = 0;
  EXPECT_EQ(std::sscanf(text.c_str(), "%d-%u-%uT%d:%d:%dZ", &year, &month, &day, &hour, &minute, &second), 6) << text;
  return std::chrono::sys_days(std::chrono::year(year) / std::chrono::month(month) / std::chrono::day(day)) +
         std::chrono::hours(hour) + std::chrono::minutes(minute) + std::chrono::seconds(second);
}

// request.txt: "METHOD target HTTP/1.1", headers (a line starting with whitespace continues the
// previous value), then a blank line and the body. The target may hold spaces and raw UTF-8.
struct SuiteRequest {
  std::string method, path, query;
  Headers headers;
  std::string body;
};

SuiteRequest parse_request(const std::string& text) {
  SuiteRequest request;
  const size_t head_end = text.find("\n\n");
  const std::string head = text.substr(0, head_end);
  if (head_end != std::string::npos) request.body = text.substr(head_end + 2);
  std::istringstream lines(head);
  std::string line;
  std::getline(lines, line);
  const size_t method_end = line.find(' ');
  const size_t version_start = line.rfind(" HTTP/");
  const std::string target = line.substr(method_end + 1, version_start - method_end - 1);
  request.method = line.substr(0, method_end);
  const size_t question = target.find('?');
  request.path = target.substr(0, question);
  if (question != std::string::npos) request.query = target.substr(question + 1);
  while (std::getline(lines, line)) {
    if (!line.empty() && (line.front() == ' ' || line.front() == '\t') && !request.headers.empty()) {
      request.headers.back().second += "\n" + line;
      continue;
    }
    const size_t colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  return request;
}

// The value of the first "Name:value" line of a signed request.
std::string signed_request_header(const std::string& text, const std::string& name) {
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    if (line.starts_with(name + ":")) return line.substr(name.size() + 1);
  }
  return {};
}

// "a=1&b=2" as sorted (name, value) pairs, each part in SigV4's encoding.
std::multiset<std::pair<std::string, std::string>> query_params(std::string_view query) {
  std::multiset<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size()) {
    const size_t amp = std::min(query.find('&', start), query.size());
    const std::string_view piece = query.substr(start, amp - start);
    const size_t equals = piece.find('=');
    const std::string_view value = equals == std::string_view::npos ? "" : piece.substr(equals + 1);
    if (!piece.empty()) {
      params.emplace(uri_encode(uri_decode(piece.substr(0, equals)), false), uri_encode(uri_decode(value), false));
    }
    start = amp + 1;
  }
  return params;
}

struct SuiteCase {
  std::string name;
  SuiteRequest request;
  Credentials credentials;
  SigningScope scope;
  bool normalize = true;
  bool sign_body = false;
  bool omit_session_token = false;
  std::chrono::seconds expires{};

  std::string expected(const std::string& file) const { return read_file(suite_dir() / name / file); }
  // The suite's unnormalized cases still encode the raw path once. With normalize_path = false the
  // signer takes the path as sent (S3's rule), so it is given the path encoded.
  std::string path_as_sent() const { return normalize ? request.path : uri_encode(request.path, true); }
  // omit_session_token: the token is sent but left out of the signature (a few services, such as
  // IoT, want this). The signer always signs a token, so these cases sign without one and the
  // tests add the token afterwards, as the suite's signer does.
  Credentials signing_credentials() const {
    Credentials signing = credentials;
    if (omit_session_token) signing.session_token.clear();
    return signing;
  }
};

SuiteCase load_case(const std::string& name) {
  SuiteCase c;
  c.name = name;
  c.request = parse_request(read_file(suite_dir() / name / "request.txt"));
  const auto context = nlohmann::json::parse(read_file(suite_dir() / name / "context.json"));
  const auto& credentials = context.at("credentials");
  c.credentials = {credentials.at("access_key_id"), credentials.at("secret_access_key"),
                   credentials.value("token", "")};
  c.scope = {context.at("region"), context.at("service"), parse_iso8601(context.at("timestamp"))};
  c.normalize = context.value("normalize", true);
  c.sign_body = context.value("sign_body", false);
  c.omit_session_token = context.value("omit_session_token", false);
  c.expires = std::chrono::seconds(context.value("expiration_in_seconds", 3600));
  return c;
}

// The cases `keep` accepts, read when the tests are registered.
std::vector<std::string> suite_cases(bool (*keep)(const SuiteCase&)) {
  std::vector<std::string> names;
  for (const auto& name : suite_case_names()) {
    if (keep(load_case(name))) names.push_back(name);
  }
  return names;
}

bool every_case(const SuiteCase&) { return true; }
// sign_request applies a real service's path rules, and every service but S3 normalizes.
bool normalized(const SuiteCase& c) { return c.normalize; }
// presign_url signs only the Host header, on a normalized path, with no body.
bool presignable(const SuiteCase& c) { return c.normalize && c.request.headers.size() == 1 && c.request.body.empty(); }

std::string case_test_name(const testing::TestParamInfo<std::string>& info) {
  std::string name = info.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

class AwsSigv4Suite : public testing::TestWithParam<std::string> {};
class AwsSigv4SuiteSignRequest : public testing::TestWithParam<std::string> {};
class AwsSigv4SuitePresign : public testing::TestWithParam<std::string> {};

TEST_P(AwsSigv4Suite, HeaderCanonicalRequestStringToSignAndSignature) {
  const SuiteCase c = load_case(GetParam());
  const std::string payload_hash = sha256_hex(c.request.body);
  CanonicalInput input{c.request.method, c.path_as_sent(), c.request.query, c.request.headers, payload_hash};
  input.headers.emplace_back("X-Amz-Date", amz_date(c.scope.time));
  const std::string token = c.signing_credentials().session_token;
  if (!token.empty()) input.headers.emplace_back("X-Amz-Security-Token", token);
  if (c.sign_body) input.headers.emplace_back("x-amz-content-sha256", payload_hash);

  std::string signed_headers;
  const std::string request = canonical_request(input, c.normalize, &signed_headers);
  EXPECT_EQ(request, c.expected("header-canonical-request.txt"));
  const std::string sts = string_to_sign(request, c.scope);
  EXPECT_EQ(sts, c.expected("header-string-to-sign.txt"));
  EXPECT_EQ(signature(c.credentials.secret_access_key, c.scope, sts), c.expected("header-signature.txt"));
  const std::string authorization = signed_request_header(c.expected("header-signed-request.txt"), "Authorization");
  EXPECT_NE(authorization.find("SignedHeaders=" + signed_headers + ","), std::string::npos) << authorization;
}

// The whole of sign_request, for the cases whose path rules are a real service's (the suite's
// unnormalized cases are checked through the steps above).
TEST_P(AwsSigv4SuiteSignRequest, WritesTheExpectedAuthorization) {
  const SuiteCase c = load_case(GetParam());
  HttpRequest request;
  request.method = c.request.method;
  request.url =
      "https://example.amazonaws.com" + c.request.path + (c.request.query.empty() ? "" : "?" + c.request.query);
  request.headers = c.request.headers;
  request.body = c.request.body;
  sign_request(request, c.signing_credentials(), c.scope, sha256_hex(c.request.body),
               c.sign_body ? PayloadSigning::sha256_header : PayloadSigning::plain);
  if (c.omit_session_token) request.headers.emplace_back("X-Amz-Security-Token", c.credentials.session_token);

  const std::string expected = c.expected("header-signed-request.txt");
  EXPECT_EQ(find_header(request.headers, "Authorization"), signed_request_header(expected, "Authorization"));
  EXPECT_EQ(find_header(request.headers, "X-Amz-Date"), "20150830T123600Z");
  EXPECT_EQ(find_header(request.headers, "X-Amz-Security-Token").value_or(""),
            signed_request_header(expected, "X-Amz-Security-Token"));
  if (c.sign_body) {
    EXPECT_EQ(find_header(request.headers, "x-amz-content-sha256"),
              signed_request_header(expected, "x-amz-content-sha256"));
  }
  // Host came from the request, not added twice.
  EXPECT_EQ(std::count_if(request.headers.begin(), request.headers.end(),
                          [](const auto& h) { return h.first == "Host" || h.first == "host"; }),
            1);
}

TEST_P(AwsSigv4Suite, QueryCanonicalRequestStringToSignAndSignature) {
  const SuiteCase c = load_case(GetParam());
  const Credentials credentials = c.signing_credentials();
  std::set<std::string> names;
  for (const auto& [name, value] : c.request.headers) {
    std::string lower = name;
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char ch) { return std::tolower(ch); });
    names.insert(lower);
  }
  std::string signed_headers;
  for (const auto& name : names)
    signed_headers += (signed_headers.empty() ? "" : ";") + name;
  std::string query = c.request.query.empty() ? "" : c.request.query + "&";
  query += "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" +
           uri_encode(credentials.access_key_id + "/" + credential_scope(c.scope), false) +
           "&X-Amz-Date=" + amz_date(c.scope.time) + "&X-Amz-Expires=" + std::to_string(c.expires.count()) +
           "&X-Amz-SignedHeaders=" + uri_encode(signed_headers, false);
  if (!credentials.session_token.empty())
    query += "&X-Amz-Security-Token=" + uri_encode(credentials.session_token, false);
  const CanonicalInput input{c.request.method, c.path_as_sent(), query, c.request.headers, sha256_hex(c.request.body)};

  const std::string request = canonical_request(input, c.normalize);
  EXPECT_EQ(request, c.expected("query-canonical-request.txt"));
  const std::string sts = string_to_sign(request, c.scope);
  EXPECT_EQ(sts, c.expected("query-string-to-sign.txt"));
  EXPECT_EQ(signature(c.credentials.secret_access_key, c.scope, sts), c.expected("query-signature.txt"));
}

TEST_P(AwsSigv4SuitePresign, UrlMatchesTheSignedQuery) {
  const SuiteCase c = load_case(GetParam());
  const std::string target = c.request.path + (c.request.query.empty() ? "" : "?" + c.request.query);
  const std::string url = presign_url(c.request.method, "https://example.amazonaws.com" + target,
                                      c.signing_credentials(), c.scope, c.expires);

  const std::string expected_line = c.expected("query-signed-request.txt");
  const std::string expected_target =
      expected_line.substr(expected_line.find(' ') + 1, expected_line.find(" HTTP/1.1") - expected_line.find(' ') - 1);
  const std::string prefix = "https://example.amazonaws.com" + c.request.path + "?";
  ASSERT_TRUE(url.starts_with(prefix)) << url;
  auto params = query_params(url.substr(prefix.size()));
  if (c.omit_session_token) params.emplace("X-Amz-Security-Token", uri_encode(c.credentials.session_token, false));
  EXPECT_EQ(params, query_params(expected_target.substr(expected_target.find('?') + 1)));
  EXPECT_TRUE(url.ends_with("&X-Amz-Signature=" + c.expected("query-signature.txt"))) << url;
}

INSTANTIATE_TEST_SUITE_P(Aws, AwsSigv4Suite, testing::ValuesIn(suite_cases(every_case)), case_test_name);
INSTANTIATE_TEST_SUITE_P(Aws, AwsSigv4SuiteSignRequest, testing::ValuesIn(suite_cases(normalized)), case_test_name);
INSTANTIATE_TEST_SUITE_P(Aws, AwsSigv4SuitePresign, testing::ValuesIn(suite_cases(presignable)), case_test_name);

// A clone without the suite beside it (anyone's) skips the suite's cases and says where to get
// it; CI always has it, so there (CI=true) a missing suite fails.
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AwsSigv4Suite);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AwsSigv4SuiteSignRequest);
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(AwsSigv4SuitePresign);

TEST(AwsSigv4, SuiteIsPresent) {
  const char* ci = std::getenv("CI");
  if (suite_case_names().empty() && (ci == nullptr || std::string_view(ci) != "true")) {
    GTEST_SKIP() << "AWS's SigV4 test suite is not at " << suite_dir()
                 << ": its cases are skipped. It is published in github.com/awslabs/aws-c-auth "
                    "(tests/aws-signing-test-suite/v4); put that folder there or name it in "
                    "SAGERUN_AWS_SIGNING_SUITE to run them.";
  }
  EXPECT_GE(suite_case_names().size(), 38u) << "AWS signing test suite missing or incomplete at " << suite_dir();
}

// --- Rules beyond the suite.

SigningScope scope_at(std::string service, std::chrono::system_clock::time_point time) {
  return {"us-east-1", std::move(service), time};
}

const Credentials k_doc_credentials{"AKIAIOSFODNN7EXAMPLE", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ""};
const auto k_doc_time = std::chrono::sys_days(std::chrono::year(2013) / 5 / 24);

TEST(AwsSigv4, AmzDateIsUtcAndTruncatesSeconds) {
  const auto time = std::chrono::sys_days(std::chrono::year(2015) / 8 / 30) + 12h + 36min + 59s + 999ms;
  EXPECT_EQ(amz_date(time), "20150830T123659Z");
  EXPECT_EQ(amz_date(std::chrono::sys_days(std::chrono::year(2024) / 2 / 29)), "20240229T000000Z");
  EXPECT_EQ(credential_scope({"eu-west-1", "sagemaker", time}), "20150830/eu-west-1/sagemaker/aws4_request");
}

// The S3 documentation's "GET Object" example (sigv4-header-based-auth).
TEST(AwsSigv4, S3GetObjectDocumentationExample) {
  HttpRequest request;
  request.url = "https://examplebucket.s3.amazonaws.com/test.txt";
  request.headers = {{"Range", "bytes=0-9"}};
  sign_request(request, k_doc_credentials, scope_at("s3", k_doc_time), sha256_hex(""), PayloadSigning::sha256_header);
  EXPECT_EQ(find_header(request.headers, "Authorization"),
            "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20130524/us-east-1/s3/aws4_request, "
            "SignedHeaders=host;range;x-amz-content-sha256;x-amz-date, "
            "Signature=f0e8bdb87c964420e857bd35b5d6ed310bd44f0170aba48dd91039c6036bdb41");
  EXPECT_EQ(find_header(request.headers, "Host"), "examplebucket.s3.amazonaws.com");
  EXPECT_EQ(find_header(request.headers, "x-amz-content-sha256"), sha256_hex(""));
}

// The S3 documentation's presigned URL example (sigv4-query-string-auth).
TEST(AwsSigv4, S3PresignDocumentationExample) {
  EXPECT_EQ(presign_url("GET", "https://examplebucket.s3.amazonaws.com/test.txt", k_doc_credentials,
                        scope_at("s3", k_doc_time), 86400s),
            "https://examplebucket.s3.amazonaws.com/test.txt?X-Amz-Algorithm=AWS4-HMAC-SHA256"
            "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20130524%2Fus-east-1%2Fs3%2Faws4_request"
            "&X-Amz-Date=20130524T000000Z&X-Amz-Expires=86400&X-Amz-SignedHeaders=host"
            "&X-Amz-Signature=aeeed9bbccd4d02ee5c0109b86d86835f995330da4c265957d157751f604d404");
}

TEST(AwsSigv4, S3SignsThePathAsSent) {
  const CanonicalInput input{"GET", "/bucket/a%20b/../c//d/./e%2B", "", {{"host", "h"}}, "UNSIGNED-PAYLOAD"};
  EXPECT_EQ(canonical_request(input, false), "GET\n/bucket/a%20b/../c//d/./e%2B\n\nhost:h\n\nhost\nUNSIGNED-PAYLOAD");
}

TEST(AwsSigv4, OtherServicesNormalizeAndEncodeThePathAgain) {
  const auto path_of = [](std::string path) {
    const std::string request = canonical_request({"GET", std::move(path), "", {}, "x"}, true);
    return request.substr(4, request.find('\n', 4) - 4);
  };
  EXPECT_EQ(path_of("/a%20b/c"), "/a%2520b/c");
  EXPECT_EQ(path_of("/a/b/../../.."), "/");
  EXPECT_EQ(path_of("/a/./b/."), "/a/b");
  EXPECT_EQ(path_of("//a//b//"), "/a/b/");
  EXPECT_EQ(path_of(""), "/");
  EXPECT_EQ(path_of("/a+b=c"), "/a%2Bb%3Dc");
}

TEST(AwsSigv4, QueryIsReencodedAndSortedByNameThenValue) {
  const auto query_of = [](std::string query) {
    const std::string request = canonical_request({"GET", "/", std::move(query), {}, "x"}, true);
    const size_t start = request.find('\n', 4) + 1;
    return request.substr(start, request.find('\n', start) - start);
  };
  EXPECT_EQ(query_of("b=2&a=2&a=1&a"), "a=&a=1&a=2&b=2");
  EXPECT_EQ(query_of("list-type=2&prefix=a%2fb c&max-keys="), "list-type=2&max-keys=&prefix=a%2Fb%20c");
  // '+' is a plus, not a space; '=' inside a value is data.
  EXPECT_EQ(query_of("k=a+b=c"), "k=a%2Bb%3Dc");
  EXPECT_EQ(query_of("Param-3=x&Param=y"), "Param=y&Param-3=x");
  EXPECT_EQ(query_of("a=1&&b=2&"), "a=1&b=2");
}

TEST(AwsSigv4, HeadersTrimmedFoldedAndJoined) {
  const CanonicalInput input{"GET", "/", "", {{"X-B", "  two\n   lines  "}, {"x-a", "1"}, {"X-A", "\t2  3 "}}, "h"};
  std::string signed_headers;
  EXPECT_EQ(canonical_request(input, true, &signed_headers), "GET\n/\n\nx-a:1,2 3\nx-b:two lines\n\nx-a;x-b\nh");
  EXPECT_EQ(signed_headers, "x-a;x-b");
}

TEST(AwsSigv4, SignRequestReplacesAnEarlierSignatureAndSkipsUnsignedHeaders) {
  const Credentials credentials{"AKID", "secret", "token-1"};
  const auto time = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);
  HttpRequest request;
  request.method = "POST";
  request.url = "https://API.SageMaker.us-east-1.amazonaws.com:8443/";
  request.headers = {{"User-Agent", "sagerun"}, {"Content-Type", "application/x-amz-json-1.1"}};
  sign_request(request, credentials, scope_at("sagemaker", time), sha256_hex("{}"), PayloadSigning::plain);
  const auto first = request.headers;
  sign_request(request, credentials, scope_at("sagemaker", time), sha256_hex("{}"), PayloadSigning::plain);
  EXPECT_EQ(request.headers, first);
  EXPECT_EQ(find_header(request.headers, "Host"), "api.sagemaker.us-east-1.amazonaws.com:8443");
  EXPECT_EQ(find_header(request.headers, "X-Amz-Security-Token"), "token-1");
  EXPECT_EQ(find_header(request.headers, "X-Amz-Content-SHA256"), std::nullopt);
  const std::string authorization = find_header(request.headers, "Authorization").value_or("");
  EXPECT_NE(authorization.find("SignedHeaders=content-type;host;x-amz-date;x-amz-security-token,"), std::string::npos)
      << authorization;
  EXPECT_EQ(std::count_if(request.headers.begin(), request.headers.end(),
                          [](const auto& h) { return h.first == "Authorization"; }),
            1);
}

TEST(AwsSigv4, PresignKeepsTheUrlsParametersAndSignsTheToken) {
  const Credentials credentials{"AKID", "secret", "a/b+c="};
  const auto time = std::chrono::sys_days(std::chrono::year(2024) / 1 / 1);
  const std::string url =
      presign_url("GET", "https://b.s3.amazonaws.com/k%20ey?versionId=v 1&x", credentials, scope_at("s3", time), 600s);
  EXPECT_TRUE(url.starts_with("https://b.s3.amazonaws.com/k%20ey?versionId=v%201&x=&X-Amz-Algorithm=")) << url;
  EXPECT_NE(url.find("&X-Amz-Expires=600&X-Amz-SignedHeaders=host&X-Amz-Security-Token=a%2Fb%2Bc%3D&X-Amz-Signature="),
            std::string::npos)
      << url;
  // Recomputed from the steps: S3 presigns with UNSIGNED-PAYLOAD over the path as sent.
  const std::string query = url.substr(url.find('?') + 1, url.find("&X-Amz-Signature=") - url.find('?') - 1);
  const std::string request =
      canonical_request({"GET", "/k%20ey", query, {{"host", "b.s3.amazonaws.com"}}, "UNSIGNED-PAYLOAD"}, false);
  EXPECT_TRUE(url.ends_with(signature("secret", scope_at("s3", time), string_to_sign(request, scope_at("s3", time)))));
  EXPECT_EQ(presign_url("GET", "not a url", credentials, scope_at("s3", time), 600s), "not a url");
}

TEST(AwsSigv4, S3FamilyUsesS3PathRules) {
  EXPECT_TRUE(uses_s3_path_rules("s3"));
  EXPECT_TRUE(uses_s3_path_rules("s3-object-lambda"));
  EXPECT_FALSE(uses_s3_path_rules("s3tables"));
  EXPECT_FALSE(uses_s3_path_rules("sagemaker"));
}

} // namespace
} // namespace sagerun::aws
