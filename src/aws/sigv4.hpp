#pragma once
// AWS Signature Version 4: signing a request with the Authorization header, presigning a URL, and
// the pure steps in between (canonical request, string to sign, signature), which the tests check
// against AWS's signing test suite and botocore.
// S3 (and its variants) signs the path exactly as sent; every other service signs it normalized
// ("." and ".." segments and empty segments removed) and percent-encoded once more.

#include <chrono>
#include <string>
#include <string_view>

#include "aws/credentials_types.hpp"
#include "aws/http.hpp"

namespace sagerun::aws {

struct SigningScope {
  std::string region, service;
  std::chrono::system_clock::time_point time;
};

enum class PayloadSigning {
  sha256_header, // S3: the payload hash is also sent as x-amz-content-sha256
  plain,
};

// The hash S3 accepts in place of the body's when the body is not signed (presigned URLs,
// streamed uploads over TLS).
inline constexpr std::string_view k_unsigned_payload = "UNSIGNED-PAYLOAD";

// True for the services that sign the path as sent (s3, s3-object-lambda, s3-outposts, s3express).
bool uses_s3_path_rules(std::string_view service);

// Signs `request` in place: replaces any earlier Authorization, X-Amz-Date, X-Amz-Security-Token
// (and x-amz-content-sha256 for sha256_header), adds Host from the URL when missing, X-Amz-Date,
// X-Amz-Security-Token when the credentials carry a session token, x-amz-content-sha256 =
// payload_hash for sha256_header, then Authorization. payload_hash: hex SHA-256 of the body, or
// "UNSIGNED-PAYLOAD". Hop-by-hop headers and User-Agent are sent unsigned, as botocore does, so a
// proxy that rewrites them does not break the signature. A URL that parse_url rejects is signed
// as path "/"; the transport reports the bad URL when the request is sent.
void sign_request(HttpRequest& request, const Credentials& credentials, const SigningScope& scope,
                  const std::string& payload_hash, PayloadSigning payload_signing);

// A presigned URL (query authentication) valid for `expires` from scope.time, signing only the Host
// header. The URL's own query parameters are kept, in order, re-encoded the way they are signed.
// The payload is "UNSIGNED-PAYLOAD" for S3 and the hash of an empty body for other services (as
// botocore and the AWS test suite do). A URL that parse_url rejects is returned unchanged.
std::string presign_url(const std::string& method, const std::string& url, const Credentials& credentials,
                        const SigningScope& scope, std::chrono::seconds expires);

// --- The pure steps.

struct CanonicalInput {
  std::string method;
  std::string path;  // as sent, already encoded
  std::string query; // the raw query string, without '?'
  Headers headers;   // exactly the headers to sign, any case, duplicates allowed
  std::string payload_hash;
};

// The canonical request. Header names are lowercased and sorted, values trimmed with inner runs of
// whitespace (folded lines included) collapsed to one space, repeated headers joined with "," in
// order. Query names and values are decoded, re-encoded (RFC 3986) and sorted by name, then
// value. normalize_path: true for every service but S3 (see the note at the top).
// signed_headers_out receives the SignedHeaders list ("host;x-amz-date").
std::string canonical_request(const CanonicalInput& input, bool normalize_path,
                              std::string* signed_headers_out = nullptr);

std::string string_to_sign(const std::string& canonical_request, const SigningScope& scope);

// The hex signature of `string_to_sign` under the key derived from the secret and the scope.
std::string signature(const std::string& secret_access_key, const SigningScope& scope,
                      const std::string& string_to_sign);

// "20150830T123600Z" (UTC, seconds truncated).
std::string amz_date(std::chrono::system_clock::time_point time);

// "20150830/us-east-1/service/aws4_request".
std::string credential_scope(const SigningScope& scope);

} // namespace sagerun::aws
