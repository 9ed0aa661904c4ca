#pragma once
// The HTTP seam of the AWS layer: one request/response shape, two implementations —
// libcurl (the sagerun command: connection reuse, HTTP/1.1 keep-alive, TLS) and a minimal
// HTTP/1.1 client over sockets and OpenSSL that keeps the static `train` free of libcurl.

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "util/error.hpp"

namespace sagerun::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

// Case-insensitive lookup of the first header with this name.
std::optional<std::string> find_header(const Headers& headers, std::string_view name);

// Where a request body comes from: memory, or a byte range of a file (uploads of large parts).
struct FileRange {
  std::string path;
  uint64_t offset = 0;
  uint64_t length = 0;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url; // scheme://host[:port]/path[?query], path and query already URI-encoded
  Headers headers;
  std::string body;
  std::optional<FileRange> body_file; // used instead of `body` when set
  std::chrono::milliseconds timeout{std::chrono::minutes(5)};
  // Abort when fewer than 1 byte/s arrive for this long (a stalled server).
  std::chrono::seconds stall_timeout{std::chrono::seconds(30)};
};

struct HttpResponse {
  int status = 0;
  Headers headers;
  std::string body; // empty when the body went to a sink
  std::optional<std::string> header(std::string_view name) const { return find_header(headers, name); }
};

// Receives the response body piece by piece (only for 2xx responses; error bodies are kept in
// HttpResponse::body). Returning false aborts the transfer.
using BodySink = std::function<bool(std::string_view)>;

class HttpClient {
public:
  virtual ~HttpClient() = default;
  // Sends one request. Transport failures (refused, reset, timeout, TLS) are errors of kind io;
  // any HTTP status, 4xx and 5xx included, is a response.
  virtual Expected<HttpResponse> send(const HttpRequest& request, const BodySink& sink = {}) = 0;
};

// Splits "scheme://host:port/path?query" into its parts; false when malformed.
struct UrlParts {
  std::string scheme;
  std::string host;              // without brackets for IPv6
  int port = 0;                  // 80/443 when not given
  std::string path;              // "/" at least
  std::string query;             // without '?'
  std::string authority() const; // host[:port] as the Host header wants it (port only if not default)
};
std::optional<UrlParts> parse_url(std::string_view url);

// RFC 3986 percent-encoding as AWS wants it: unreserved characters kept, '/' kept when
// `keep_slash` (object keys in paths), everything else %XX uppercase.
std::string uri_encode(std::string_view text, bool keep_slash);
std::string uri_decode(std::string_view text);

} // namespace sagerun::aws
