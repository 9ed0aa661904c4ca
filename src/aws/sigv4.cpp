#include "aws/sigv4.hpp"

#include <algorithm>
#include <array>
#include <cstdio>
#include <utility>
#include <vector>

#include "aws/crypto.hpp"

namespace sagerun::aws {
namespace {

constexpr std::string_view k_algorithm = "AWS4-HMAC-SHA256";

// Headers left out of the signature, as botocore leaves them out: hop-by-hop headers a proxy may
// rewrite, User-Agent, and the tracing header that load balancers add.
constexpr std::array<std::string_view, 11> k_unsigned_headers = {
    "connection",        "expect",  "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
    "transfer-encoding", "upgrade", "user-agent", "x-amzn-trace-id",
};

std::string lowercase(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }

// Trims the value and turns every inner run of whitespace, line breaks of folded values
// included, into one space.
std::string trim_all(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  bool pending_space = false;
  for (const char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out.push_back(' ');
    pending_space = false;
    out.push_back(c);
  }
  return out;
}

// RFC 3986 §5.2.4 dot-segment removal, with empty segments dropped too, exactly as botocore does
// it (a trailing "/" survives only when something is left before it).
std::string remove_dot_segments(std::string_view path) {
  if (path.empty()) return "/";
  std::vector<std::string_view> segments;
  size_t start = 0;
  while (start <= path.size()) {
    const size_t slash = std::min(path.find('/', start), path.size());
    const std::string_view segment = path.substr(start, slash - start);
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    start = slash + 1;
  }
  std::string out = path.front() == '/' ? "/" : "";
  for (size_t i = 0; i < segments.size(); ++i) {
    if (i > 0) out.push_back('/');
    out.append(segments[i]);
  }
  if (path.back() == '/' && !segments.empty()) out.push_back('/');
  return out;
}

std::string canonical_path(std::string_view path, bool normalize_path) {
  if (normalize_path) return uri_encode(remove_dot_segments(path), /*keep_slash=*/true);
  return path.empty() ? "/" : std::string(path);
}

// The query's parameters, each name and value decoded and re-encoded the one way SigV4 accepts,
// in their original order. Empty pieces ("a=1&&b=2") carry nothing and are skipped.
std::vector<std::pair<std::string, std::string>> encoded_query_params(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  size_t start = 0;
  while (start <= query.size()) {
    const size_t amp = std::min(query.find('&', start), query.size());
    const std::string_view piece = query.substr(start, amp - start);
    if (!piece.empty()) {
      const size_t equals = piece.find('=');
      const std::string_view name = piece.substr(0, equals);
      const std::string_view value = equals == std::string_view::npos ? std::string_view() : piece.substr(equals + 1);
      params.emplace_back(uri_encode(uri_decode(name), false), uri_encode(uri_decode(value), false));
    }
    start = amp + 1;
  }
  return params;
}

std::string join_query(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out.push_back('&');
    out += name + "=" + value;
  }
  return out;
}

std::string canonical_query(std::string_view query) {
  auto params = encoded_query_params(query);
  std::sort(params.begin(), params.end());
  return join_query(params);
}

// The Host header as botocore derives it from a URL: lowercase, the port only when not the default.
std::string host_header(const UrlParts& parts) { return lowercase(parts.authority()); }

bool is_unsigned_header(std::string_view lower_name) {
  return std::find(k_unsigned_headers.begin(), k_unsigned_headers.end(), lower_name) != k_unsigned_headers.end();
}

void erase_headers(Headers& headers, std::initializer_list<std::string_view> lower_names) {
  std::erase_if(headers, [&](const auto& header) {
    const std::string name = lowercase(header.first);
    return std::find(lower_names.begin(), lower_names.end(), name) != lower_names.end();
  });
}

std::string sign(const Credentials& credentials, const SigningScope& scope, const CanonicalInput& input,
                 std::string* signed_headers_out) {
  const std::string request = canonical_request(input, !uses_s3_path_rules(scope.service), signed_headers_out);
  return signature(credentials.secret_access_key, scope, string_to_sign(request, scope));
}

} // namespace

bool uses_s3_path_rules(std::string_view service) {
  return service == "s3" || service == "s3-object-lambda" || service == "s3-outposts" || service == "s3express";
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  using namespace std::chrono;
  const auto seconds_since_epoch = floor<seconds>(time);
  const auto day = floor<days>(seconds_since_epoch);
  const year_month_day date{day};
  const hh_mm_ss clock{seconds_since_epoch - day};
  std::array<char, 32> out{};
  std::snprintf(out.data(), out.size(), "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()),
                static_cast<int>(clock.hours().count()), static_cast<int>(clock.minutes().count()),
                static_cast<int>(clock.seconds().count()));
  return out.data();
}

std::string credential_scope(const SigningScope& scope) {
  return amz_date(scope.time).substr(0, 8) + "/" + scope.region + "/" + scope.service + "/aws4_request";
}

std::string canonical_request(const CanonicalInput& input, bool normalize_path, std::string* signed_headers_out) {
  std::vector<std::pair<std::string, std::string>> headers;
  headers.reserve(input.headers.size());
  for (const auto& [name, value] : input.headers)
    headers.emplace_back(lowercase(trim_all(name)), trim_all(value));
  std::stable_sort(headers.begin(), headers.end(), [](const auto& a, const auto& b) { return a.first < b.first; });

  std::string canonical_headers;
  std::string signed_headers;
  for (size_t i = 0; i < headers.size(); ++i) {
    const bool same_as_previous = i > 0 && headers[i].first == headers[i - 1].first;
    if (same_as_previous) {
      canonical_headers += "," + headers[i].second;
      continue;
    }
    if (i > 0) {
      canonical_headers.push_back('\n');
      signed_headers.push_back(';');
    }
    canonical_headers += headers[i].first + ":" + headers[i].second;
    signed_headers += headers[i].first;
  }
  if (!headers.empty()) canonical_headers.push_back('\n');

  std::string out;
  out += input.method + "\n";
  out += canonical_path(input.path, normalize_path) + "\n";
  out += canonical_query(input.query) + "\n";
  out += canonical_headers + "\n";
  out += signed_headers + "\n";
  out += input.payload_hash;
  if (signed_headers_out != nullptr) *signed_headers_out = std::move(signed_headers);
  return out;
}

std::string string_to_sign(const std::string& canonical_request, const SigningScope& scope) {
  return std::string(k_algorithm) + "\n" + amz_date(scope.time) + "\n" + credential_scope(scope) + "\n" +
         sha256_hex(canonical_request);
}

std::string signature(const std::string& secret_access_key, const SigningScope& scope,
                      const std::string& string_to_sign) {
  const std::string date_key = hmac_sha256("AWS4" + secret_access_key, amz_date(scope.time).substr(0, 8));
  const std::string region_key = hmac_sha256(date_key, scope.region);
  const std::string service_key = hmac_sha256(region_key, scope.service);
  const std::string signing_key = hmac_sha256(service_key, "aws4_request");
  return hex(hmac_sha256(signing_key, string_to_sign));
}

void sign_request(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
                  const std::string& payload_hash, PayloadSigning payload_signing) {
  const auto parts = parse_url(request.url);
  Headers& headers = request.headers;
  erase_headers(headers, {"authorization", "x-amz-date", "x-amz-security-token"});
  if (payload_signing == PayloadSigning::sha256_header) erase_headers(headers, {"x-amz-content-sha256"});
  if (parts && !find_header(headers, "host")) headers.emplace_back("Host", host_header(*parts));
  headers.emplace_back("X-Amz-Date", amz_date(scope.time));
  if (!credentials.session_token.empty()) headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  if (payload_signing == PayloadSigning::sha256_header) headers.emplace_back("X-Amz-Content-SHA256", payload_hash);

  CanonicalInput input{request.method, parts ? parts->path : "/", parts ? parts->query : "", {}, payload_hash};
  for (const auto& header : headers) {
    if (!is_unsigned_header(lowercase(header.first))) input.headers.push_back(header);
  }
  std::string signed_headers;
  const std::string sig = sign(credentials, scope, input, &signed_headers);
  headers.emplace_back("Authorization", std::string(k_algorithm) + " Credential=" + credentials.access_key_id + "/" +
                                            credential_scope(scope) + ", SignedHeaders=" + signed_headers +
                                            ", Signature=" + sig);
}

std::string presign_url(const std::string& method, const std::string& url, const Credentials& credentials,
                        const SigningScope& scope, std::chrono::seconds expires) {
  const auto parts = parse_url(url);
  if (!parts) return url;
  // The order botocore writes: the URL's own parameters, then the authentication parameters.
  auto params = encoded_query_params(parts->query);
  const auto add = [&](std::string_view name, std::string_view value) {
    params.emplace_back(std::string(name), uri_encode(value, false));
  };
  add("X-Amz-Algorithm", k_algorithm);
  add("X-Amz-Credential", credentials.access_key_id + "/" + credential_scope(scope));
  add("X-Amz-Date", amz_date(scope.time));
  add("X-Amz-Expires", std::to_string(expires.count()));
  add("X-Amz-SignedHeaders", "host");
  if (!credentials.session_token.empty()) add("X-Amz-Security-Token", credentials.session_token);
  const std::string query = join_query(params);

  const bool s3 = uses_s3_path_rules(scope.service);
  const CanonicalInput input{method,
                             parts->path,
                             query,
                             {{"host", host_header(*parts)}},
                             s3 ? std::string(k_unsigned_payload) : sha256_hex("")};
  return url.substr(0, url.find('?')) + "?" + query + "&X-Amz-Signature=" + sign(credentials, scope, input, nullptr);
}

} // namespace sagerun::aws
