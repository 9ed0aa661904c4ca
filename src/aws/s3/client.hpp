#pragma once
// The S3 API calls sagerun needs, signed with SigV4, retried when that is safe, and checked for
// integrity: Content-MD5 on every upload (S3 verifies it), ETags compared, sizes compared, and
// downloads written to a temporary name that is renamed only when whole.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "aws/credentials_source.hpp"
#include "aws/http.hpp"
#include "aws/retry.hpp"

namespace sagerun::aws::s3 {

using aws::CredentialsSource;

struct ObjectInfo {
  std::string key;
  uint64_t size = 0;
  std::string etag; // without quotes
  std::string last_modified;
};

struct Listing {
  std::vector<ObjectInfo> objects;
  std::vector<std::string> common_prefixes; // with a delimiter
};

struct PartInfo {
  int number = 0;
  std::string etag;
  std::string md5_raw; // the part's MD5, raw bytes, for checking the final ETag
};

struct MultipartUpload {
  std::string key;
  std::string upload_id;
};

struct ClientConfig {
  std::string endpoint; // scheme://host[:port]
  bool path_style = true;
  std::string region = "us-east-1";
  RetryPolicy retry;
  std::chrono::seconds stall_timeout{30}; // no byte for this long: the attempt fails (and is retried)
};

class Client {
public:
  Client(HttpClient& http, CredentialsSource credentials, ClientConfig config);

  Expected<Listing> list(const std::string& bucket, const std::string& prefix, const std::string& delimiter = "");
  Expected<ObjectInfo> head(const std::string& bucket, const std::string& key);
  // Streams the object (or bytes [first, last] of it) into `sink`; `before_attempt` runs before
  // each try so the receiver can start over. `if_match` pins the ETag across ranged reads.
  Expected<ObjectInfo> get(const std::string& bucket, const std::string& key, const BodySink& sink,
                           const std::function<void()>& before_attempt = {},
                           std::optional<std::pair<uint64_t, uint64_t>> range = std::nullopt,
                           const std::string& if_match = "");
  // Downloads to `path` through a temporary file in the same folder; checks size and MD5.
  Expected<ObjectInfo> download(const std::string& bucket, const std::string& key, const std::string& path);

  // Uploads bytes [offset, offset+length) of a file, or `body` when `file` is empty.
  Expected<std::string> put(const std::string& bucket, const std::string& key, const FileRange& file);
  Expected<std::string> put_bytes(const std::string& bucket, const std::string& key, const std::string& body);

  Expected<std::string> create_multipart(const std::string& bucket, const std::string& key);
  Expected<PartInfo> upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                 int number, const FileRange& file);
  Expected<PartInfo> upload_part_bytes(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                       int number, const std::string& body);
  Expected<std::string> complete_multipart(const std::string& bucket, const std::string& key,
                                           const std::string& upload_id, const std::vector<PartInfo>& parts);
  Expected<void> abort_multipart(const std::string& bucket, const std::string& key, const std::string& upload_id);
  Expected<std::vector<MultipartUpload>> list_multipart_uploads(const std::string& bucket, const std::string& prefix);

  Expected<void> remove(const std::string& bucket, const std::string& key);
  Expected<void> create_bucket(const std::string& bucket);

  // A presigned GET URL (for tools that fetch without signing, and for benchmarks).
  Expected<std::string> presign_get(const std::string& bucket, const std::string& key, std::chrono::seconds expires);

private:
  // `md5` is the part's raw digest; the part is `body`, or `file` when given.
  Expected<PartInfo> send_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                               int number, const std::string& md5, const std::string& body,
                               const std::optional<FileRange>& file);
  std::string url(const std::string& bucket, const std::string& key, const std::string& query) const;
  Expected<HttpResponse> call(const std::string& method, const std::string& bucket, const std::string& key,
                              const std::string& query, Headers headers, const std::string& body,
                              const std::optional<FileRange>& file, Idempotent idempotent, const BodySink& sink = {},
                              const std::function<void()>& before_attempt = {});

  HttpClient& m_http;
  CredentialsSource m_credentials;
  ClientConfig m_config;
};

// The ETag S3 gives a multipart object: hex MD5 of the parts' raw MD5s, "-", the part count.
std::string multipart_etag(const std::vector<PartInfo>& parts);

} // namespace sagerun::aws::s3
