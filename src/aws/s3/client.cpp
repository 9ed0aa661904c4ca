#include "aws/s3/client.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <charconv>
#include <cstdio>
#include <utility>

#include "aws/crypto.hpp"
#include "aws/errors.hpp"
#include "aws/sigv4.hpp"
#include "aws/xml.hpp"
#include "util/atomic_file.hpp"
#include "util/fd.hpp"
#include "util/files.hpp"

namespace sagerun::aws::s3 {
namespace {

std::string raw_from_hex(const std::string& hex_text) {
  std::string raw;
  raw.reserve(hex_text.size() / 2);
  for (size_t i = 0; i + 1 < hex_text.size(); i += 2) {
    unsigned value = 0;
    std::from_chars(hex_text.data() + i, hex_text.data() + i + 2, value, 16);
    raw.push_back(static_cast<char>(value));
  }
  return raw;
}

std::string strip_quotes(std::string etag) {
  if (etag.size() >= 2 && etag.front() == '"' && etag.back() == '"') etag = etag.substr(1, etag.size() - 2);
  return etag;
}

bool is_plain_md5(const std::string& etag) {
  return etag.size() == 32 && etag.find_first_not_of("0123456789abcdef") == std::string::npos;
}

// MD5 of a file range, read in 1 MiB pieces; hex digest.
Expected<std::string> md5_of_range(const FileRange& range) {
  util::UniqueFd fd(::open(range.path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd.valid()) return util::fail(util::ErrorKind::io, util::errno_message(range.path, errno));
  Md5 md5;
  std::vector<char> buffer(1 << 20);
  uint64_t done = 0;
  while (done < range.length) {
    const size_t want = static_cast<size_t>(std::min<uint64_t>(buffer.size(), range.length - done));
    const ssize_t n = ::pread(fd.get(), buffer.data(), want, static_cast<off_t>(range.offset + done));
    if (n <= 0) return util::fail(util::ErrorKind::io, util::errno_message(range.path, n < 0 ? errno : EIO));
    md5.update(std::string_view(buffer.data(), static_cast<size_t>(n)));
    done += static_cast<uint64_t>(n);
  }
  return md5.hex_digest();
}

std::string query_param(const std::string& name, const std::string& value) {
  return uri_encode(name, false) + "=" + uri_encode(value, false);
}

uint64_t to_u64(const std::string& text) {
  uint64_t value = 0;
  std::from_chars(text.data(), text.data() + text.size(), value);
  return value;
}

} // namespace

std::string multipart_etag(const std::vector<PartInfo>& parts) {
  std::string joined;
  for (const auto& part : parts)
    joined += part.md5_raw;
  Md5 md5;
  md5.update(joined);
  return md5.hex_digest() + "-" + std::to_string(parts.size());
}

Client::Client(HttpClient& http, CredentialsSource credentials, ClientConfig config)
    : m_http(http), m_credentials(std::move(credentials)), m_config(std::move(config)) {
  while (m_config.endpoint.ends_with("/"))
    m_config.endpoint.pop_back();
}

std::string Client::url(const std::string& bucket, const std::string& key, const std::string& query) const {
  std::string base;
  if (m_config.path_style || bucket.empty()) {
    base = m_config.endpoint + (bucket.empty() ? "/" : "/" + bucket + (key.empty() ? "" : "/"));
  } else {
    const auto host_start = m_config.endpoint.find("://") + 3;
    base = m_config.endpoint.substr(0, host_start) + bucket + "." + m_config.endpoint.substr(host_start) + "/";
  }
  return base + uri_encode(key, true) + (query.empty() ? "" : "?" + query);
}

Expected<HttpResponse> Client::call(const std::string& method, const std::string& bucket, const std::string& key,
                                    const std::string& query, Headers headers, const std::string& body,
                                    const std::optional<FileRange>& file, Idempotent idempotent, const BodySink& sink,
                                    const std::function<void()>& before_attempt) {
  const std::string target = url(bucket, key, query);
  const std::string payload_hash = file ? std::string(k_unsigned_payload) : sha256_hex(body);
  const auto make = [&]() -> Expected<HttpRequest> {
    auto credentials = m_credentials();
    if (!credentials) return std::unexpected(credentials.error());
    HttpRequest request;
    request.method = method;
    request.url = target;
    request.headers = headers;
    request.body = body;
    request.body_file = file;
    request.stall_timeout = m_config.stall_timeout;
    sign_request(request, *credentials, SigningScope{m_config.region, "s3", std::chrono::system_clock::now()},
                 payload_hash, PayloadSigning::sha256_header);
    return request;
  };
  return send_with_retries(m_http, make, sink, idempotent, m_config.retry, before_attempt);
}

Expected<Listing> Client::list(const std::string& bucket, const std::string& prefix, const std::string& delimiter) {
  Listing listing;
  std::string token;
  for (;;) {
    std::vector<std::string> params = {query_param("encoding-type", "url"), query_param("list-type", "2"),
                                       query_param("max-keys", "1000")};
    if (!token.empty()) params.push_back(query_param("continuation-token", token));
    if (!delimiter.empty()) params.push_back(query_param("delimiter", delimiter));
    if (!prefix.empty()) params.push_back(query_param("prefix", prefix));
    std::sort(params.begin(), params.end());
    std::string query;
    for (const auto& p : params)
      query += (query.empty() ? "" : "&") + p;
    auto response = call("GET", bucket, "", query, {}, "", std::nullopt, Idempotent::yes);
    if (!response) return std::unexpected(response.error());
    if (response->status != 200)
      return std::unexpected(to_error(parse_service_error(*response), "list s3://" + bucket + "/" + prefix));
    const std::string& body = response->body;
    for (const auto contents : xml::elements(body, "Contents")) {
      ObjectInfo info;
      info.key = uri_decode(xml::first(contents, "Key").value_or(""));
      info.size = to_u64(xml::first(contents, "Size").value_or("0"));
      info.etag = strip_quotes(xml::first(contents, "ETag").value_or(""));
      info.last_modified = xml::first(contents, "LastModified").value_or("");
      listing.objects.push_back(std::move(info));
    }
    for (const auto common : xml::elements(body, "CommonPrefixes")) {
      listing.common_prefixes.push_back(uri_decode(xml::first(common, "Prefix").value_or("")));
    }
    if (xml::first(body, "IsTruncated").value_or("false") != "true") break;
    token = xml::first(body, "NextContinuationToken").value_or("");
    if (token.empty())
      return util::fail(util::ErrorKind::io,
                        "list s3://" + bucket + "/" + prefix + ": truncated listing without a continuation token");
  }
  return listing;
}

Expected<ObjectInfo> Client::head(const std::string& bucket, const std::string& key) {
  auto response = call("HEAD", bucket, key, "", {}, "", std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) {
    auto error = parse_service_error(*response);
    if (error.status == 404 && error.code == "NotFound") error.code = "NoSuchKey";
    return std::unexpected(to_error(error, "s3://" + bucket + "/" + key));
  }
  return ObjectInfo{key, to_u64(response->header("Content-Length").value_or("0")),
                    strip_quotes(response->header("ETag").value_or("")),
                    response->header("Last-Modified").value_or("")};
}

Expected<ObjectInfo> Client::get(const std::string& bucket, const std::string& key, const BodySink& sink,
                                 const std::function<void()>& before_attempt,
                                 std::optional<std::pair<uint64_t, uint64_t>> range, const std::string& if_match) {
  Headers headers;
  if (range)
    headers.emplace_back("Range", "bytes=" + std::to_string(range->first) + "-" + std::to_string(range->second));
  if (!if_match.empty()) headers.emplace_back("If-Match", "\"" + if_match + "\"");
  uint64_t received = 0;
  std::optional<uint64_t> expected;
  const BodySink counting = [&](std::string_view piece) {
    received += piece.size();
    return sink(piece);
  };
  const auto restart = [&] {
    received = 0;
    if (before_attempt) before_attempt();
  };
  auto response = call("GET", bucket, key, "", headers, "", std::nullopt, Idempotent::yes, counting, restart);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200 && response->status != 206) {
    return std::unexpected(to_error(parse_service_error(*response), "GET s3://" + bucket + "/" + key));
  }
  if (const auto length = response->header("Content-Length")) expected = to_u64(*length);
  if (expected && *expected != received) {
    return util::fail(util::ErrorKind::io, "GET s3://" + bucket + "/" + key + ": received " + std::to_string(received) +
                                               " of " + std::to_string(*expected) + " bytes");
  }
  return ObjectInfo{key, received, strip_quotes(response->header("ETag").value_or("")),
                    response->header("Last-Modified").value_or("")};
}

Expected<ObjectInfo> Client::download(const std::string& bucket, const std::string& key, const std::string& path) {
  auto file = util::AtomicFile::create(path);
  if (!file) return std::unexpected(file.error());
  Md5 md5;
  std::optional<util::Error> write_error;
  bool first_attempt = true; // the new temporary is empty: only a retry has to empty it
  const auto restart = [&] {
    if (std::exchange(first_attempt, false)) return;
    if (auto emptied = file->truncate(); !emptied) write_error = emptied.error();
    md5 = Md5();
  };
  const BodySink sink = [&](std::string_view piece) {
    if (write_error) return false;
    if (auto written = file->write(piece); !written) {
      write_error = written.error();
      return false;
    }
    md5.update(piece);
    return true;
  };
  auto info = get(bucket, key, sink, restart);
  if (write_error) return std::unexpected(*write_error);
  if (!info) return std::unexpected(info.error());
  if (is_plain_md5(info->etag) && md5.hex_digest() != info->etag) {
    return util::fail(util::ErrorKind::io,
                      "s3://" + bucket + "/" + key + ": downloaded bytes do not match the ETag (MD5)");
  }
  if (auto committed = file->commit(); !committed) return std::unexpected(committed.error());
  return info;
}

Expected<std::string> Client::put(const std::string& bucket, const std::string& key, const FileRange& file) {
  auto md5 = md5_of_range(file);
  if (!md5) return std::unexpected(md5.error());
  Headers headers = {{"Content-MD5", base64_encode(raw_from_hex(*md5))}};
  auto response = call("PUT", bucket, key, "", headers, "", file, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200)
    return std::unexpected(to_error(parse_service_error(*response), "PUT s3://" + bucket + "/" + key));
  auto etag = strip_quotes(response->header("ETag").value_or(""));
  if (is_plain_md5(etag) && etag != *md5) {
    return util::fail(util::ErrorKind::io,
                      "PUT s3://" + bucket + "/" + key + ": the server's ETag does not match the MD5 sent");
  }
  return etag;
}

Expected<std::string> Client::put_bytes(const std::string& bucket, const std::string& key, const std::string& body) {
  Headers headers = {{"Content-MD5", md5_base64(body)}};
  auto response = call("PUT", bucket, key, "", headers, body, std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200)
    return std::unexpected(to_error(parse_service_error(*response), "PUT s3://" + bucket + "/" + key));
  return strip_quotes(response->header("ETag").value_or(""));
}

Expected<std::string> Client::create_multipart(const std::string& bucket, const std::string& key) {
  // Not idempotent: a retried create would leave a second, orphaned upload behind.
  auto response = call("POST", bucket, key, "uploads=", {}, "", std::nullopt, Idempotent::no);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200)
    return std::unexpected(
        to_error(parse_service_error(*response), "create multipart upload s3://" + bucket + "/" + key));
  auto id = xml::first(response->body, "UploadId");
  if (!id || id->empty())
    return util::fail(util::ErrorKind::io,
                      "create multipart upload s3://" + bucket + "/" + key + ": no UploadId in the response");
  return *id;
}

Expected<PartInfo> Client::upload_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                       int number, const FileRange& file) {
  auto md5 = md5_of_range(file);
  if (!md5) return std::unexpected(md5.error());
  return send_part(bucket, key, upload_id, number, raw_from_hex(*md5), "", file);
}

Expected<PartInfo> Client::upload_part_bytes(const std::string& bucket, const std::string& key,
                                             const std::string& upload_id, int number, const std::string& body) {
  return send_part(bucket, key, upload_id, number, md5_raw(body), body, std::nullopt);
}

Expected<PartInfo> Client::send_part(const std::string& bucket, const std::string& key, const std::string& upload_id,
                                     int number, const std::string& md5, const std::string& body,
                                     const std::optional<FileRange>& file) {
  const std::string query =
      query_param("partNumber", std::to_string(number)) + "&" + query_param("uploadId", upload_id);
  Headers headers = {{"Content-MD5", base64_encode(md5)}};
  auto response = call("PUT", bucket, key, query, headers, body, file, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200) {
    return std::unexpected(to_error(parse_service_error(*response),
                                    "upload part " + std::to_string(number) + " of s3://" + bucket + "/" + key));
  }
  const auto etag = strip_quotes(response->header("ETag").value_or(""));
  if (is_plain_md5(etag) && etag != hex(md5)) {
    return util::fail(util::ErrorKind::io, "part " + std::to_string(number) + " of s3://" + bucket + "/" + key +
                                               ": ETag does not match the MD5 sent");
  }
  return PartInfo{number, etag, md5};
}

Expected<std::string> Client::complete_multipart(const std::string& bucket, const std::string& key,
                                                 const std::string& upload_id, const std::vector<PartInfo>& parts) {
  std::string body = "<CompleteMultipartUpload>";
  for (const auto& part : parts) {
    body += "<Part><PartNumber>" + std::to_string(part.number) + "</PartNumber><ETag>\"" + xml::escape(part.etag) +
            "\"</ETag></Part>";
  }
  body += "</CompleteMultipartUpload>";
  auto response = call("POST", bucket, key, query_param("uploadId", upload_id), {{"Content-Type", "application/xml"}},
                       body, std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  // S3 may answer 200 with an <Error> document when the completion failed late.
  if (response->status != 200 || response->body.find("<Error>") != std::string::npos) {
    return std::unexpected(
        to_error(parse_service_error(*response), "complete multipart upload s3://" + bucket + "/" + key));
  }
  auto etag = strip_quotes(xml::first(response->body, "ETag").value_or(""));
  const auto expected = multipart_etag(parts);
  if (!etag.empty() && etag.find('-') != std::string::npos && etag != expected) {
    return util::fail(util::ErrorKind::io, "s3://" + bucket + "/" + key + ": the multipart ETag " + etag +
                                               " does not match the parts sent (" + expected + ")");
  }
  return etag;
}

Expected<void> Client::abort_multipart(const std::string& bucket, const std::string& key,
                                       const std::string& upload_id) {
  auto response =
      call("DELETE", bucket, key, query_param("uploadId", upload_id), {}, "", std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 204 && response->status != 200 && response->status != 404) {
    return std::unexpected(
        to_error(parse_service_error(*response), "abort multipart upload s3://" + bucket + "/" + key));
  }
  return {};
}

Expected<std::vector<MultipartUpload>> Client::list_multipart_uploads(const std::string& bucket,
                                                                      const std::string& prefix) {
  std::string query = "uploads=";
  if (!prefix.empty()) query = query_param("prefix", prefix) + "&" + query;
  auto response = call("GET", bucket, "", query, {}, "", std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200)
    return std::unexpected(to_error(parse_service_error(*response), "list multipart uploads in s3://" + bucket));
  std::vector<MultipartUpload> uploads;
  for (const auto upload : xml::elements(response->body, "Upload")) {
    uploads.push_back({xml::first(upload, "Key").value_or(""), xml::first(upload, "UploadId").value_or("")});
  }
  return uploads;
}

Expected<void> Client::remove(const std::string& bucket, const std::string& key) {
  auto response = call("DELETE", bucket, key, "", {}, "", std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 204 && response->status != 200) {
    return std::unexpected(to_error(parse_service_error(*response), "DELETE s3://" + bucket + "/" + key));
  }
  return {};
}

Expected<void> Client::create_bucket(const std::string& bucket) {
  std::string body;
  if (m_config.region != "us-east-1") {
    body = "<CreateBucketConfiguration><LocationConstraint>" + m_config.region +
           "</LocationConstraint></CreateBucketConfiguration>";
  }
  auto response = call("PUT", bucket, "", "", {}, body, std::nullopt, Idempotent::yes);
  if (!response) return std::unexpected(response.error());
  if (response->status != 200)
    return std::unexpected(to_error(parse_service_error(*response), "create bucket " + bucket));
  return {};
}

Expected<std::string> Client::presign_get(const std::string& bucket, const std::string& key,
                                          std::chrono::seconds expires) {
  auto credentials = m_credentials();
  if (!credentials) return std::unexpected(credentials.error());
  return presign_url("GET", url(bucket, key, ""), *credentials,
                     SigningScope{m_config.region, "s3", std::chrono::system_clock::now()}, expires);
}

} // namespace sagerun::aws::s3
